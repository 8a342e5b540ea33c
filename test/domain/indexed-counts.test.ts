/**
 * Counts answered from the indexes (one SKU, one email, created_at_min alone) must equal what walking the
 * list with the same filter finds, also for pre-orders with several lines of one SKU.
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.ts';
import { countPreOrders, listPreOrders, type PreOrderFilter } from '../../src/domain/queries.ts';
import type { StoreState } from '../../src/domain/store.ts';

function walk(state: StoreState, filter: PreOrderFilter): number {
  let count = 0;
  let after: string | undefined;
  for (;;) {
    const page = listPreOrders(state, filter, 200, after);
    count += page.items.length;
    if (!page.has_more) return count;
    after = page.items[page.items.length - 1]!.id;
  }
}

describe('counts answered from the indexes', () => {
  it('equal the pre-orders a walk of the list finds, for every SKU, every email and a creation time of every pre-order', () => {
    const engine = createEngine({ scenario: 'mixed-catalogue', journalSize: 0 });
    try {
      const store = engine.defaultStore();
      const variant = store.state.data.waitlists.flatMap((w) => w.state === 'LIVE' ? w.allocations.filter((a) => a.buy_size === null || a.committed + 2 <= a.buy_size) : [])[0]!.variant_id;
      // Two lines of one SKU in one pre-order: counted once.
      const placed = engine.dispatchRaw('placePreOrder', { body: { email: 'Twice@Example.com', lines: [{ variant_id: variant, quantity: 1 }, { variant_id: variant, quantity: 1 }] } });
      expect(placed.status).toBe(201);
      const state = store.state;
      const skus = new Set(state.data.variants.map((v) => v.sku));
      const emails = new Set(state.data.pre_orders.map((o) => o.email));
      expect(skus.size).toBeGreaterThan(1);
      for (const sku of [...skus, 'NO-SUCH-SKU']) expect(countPreOrders(state, { skus: sku }), sku).toBe(walk(state, { skus: sku }));
      for (const email of [...emails, 'TWICE@example.com', 'nobody@example.com']) expect(countPreOrders(state, { email }), email).toBe(walk(state, { email }));
      for (const order of state.data.pre_orders) expect(countPreOrders(state, { created_at_min: order.created_at })).toBe(walk(state, { created_at_min: order.created_at }));
      expect(countPreOrders(state, { created_at_min: '2099-01-01T00:00:00Z' })).toBe(0);
    } finally {
      engine.close();
    }
  });
});
