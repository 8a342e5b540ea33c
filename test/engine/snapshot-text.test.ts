/**
 * The snapshot export's text in pieces (what a streamed export over HTTP writes) against the text of the export
 * made in one go, for a store whose lists run over several pieces.
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.ts';
import { defineScenario } from '../../src/engine/scenario.ts';
import { snapshotAnswerPieces } from '../../src/engine/snapshot-text.ts';

/** 450 pre-orders: more than two pieces of 200, and a last piece that is not full. */
const threePieces = defineScenario({
  name: 'three-pieces',
  summary: '450 pre-orders over 3 products',
  build(b) {
    b.daysBefore(10);
    const items = Array.from({ length: 3 }, () => b.product({ sizes: ['S', 'M'] }));
    for (const item of items) b.waitlist(item, 1_000);
    const variants = items.flatMap((item) => item.variants);
    const shoppers = Array.from({ length: 20 }, () => b.shopper());
    b.daysBefore(9);
    for (let i = 0; i < 450; i += 1) {
      b.placeFor(shoppers[i % shoppers.length]!, [{ variant_id: variants[i % variants.length]!.id, quantity: 1 }]);
      b.minutes(1);
    }
  },
});

describe('the snapshot export written in pieces', () => {
  it('is byte for byte the text of the export made in one go, for lists longer than a piece', () => {
    const engine = createEngine({ scenario: 'three-pieces', scenarios: [threePieces], journalSize: 0 });
    try {
      const store = engine.defaultStore();
      expect(store.state.data.pre_orders).toHaveLength(450);
      const inOneGo = engine.dispatchRaw('exportSnapshot', {});
      expect(inOneGo.status).toBe(200);
      expect([...snapshotAnswerPieces(store)].join('')).toBe(JSON.stringify(inOneGo.body));
    } finally {
      engine.close();
    }
  });
});
