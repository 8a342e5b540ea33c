/**
 * The lookups of exports (fulfillment orders by ID, position and reference; exported orders by platform ID) are
 * brought up to date when one of them is read, not by each export. Read at any moment, they must hold what an
 * index built afresh from the same data holds.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CREDENTIALS } from '../../src/index.ts';
import { createEngine, type Engine } from '../../src/engine/engine.ts';
import { stateOf, type StoreIndex, type StoreState } from '../../src/domain/store.ts';
import { defineScenario } from '../../src/engine/scenario.ts';

const headers = { 'x-purple-dot-access-token': DEFAULT_CREDENTIALS.private_access_token };

const sorted = (pairs: [string, string][]): [string, string][] => pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Each lookup read on its own, as sorted [key, what it names] pairs, comparable across states that hold copies of one data. */
const readers = {
  byId: (index: StoreIndex) => sorted([...index.fulfillmentOrdersById].map(([key, fo]) => [key, fo.id])),
  position: (index: StoreIndex) => sorted([...index.fulfillmentOrderPosition].map(([key, position]) => [key, String(position)])),
  byReference: (index: StoreIndex) => sorted([...index.fulfillmentOrdersByReference].map(([key, fo]) => [key, fo.id])),
  external: (index: StoreIndex) => sorted([...index.externalOrders].map(([key, { order, exported }]) => [key, `${order.id} ${exported.id} ${exported.fulfillment_order_id}`])),
};
type LookupName = keyof typeof readers;
const names = Object.keys(readers) as LookupName[];

function lookups(state: StoreState): Record<string, [string, string][]> {
  return Object.fromEntries(names.map((name) => [name, readers[name](state.index)]));
}

const fresh = (state: StoreState): Record<string, [string, string][]> => lookups(stateOf(structuredClone(state.data)));

function postInventory(engine: Engine, sku: string, units: number): void {
  expect(engine.dispatchRaw('updateInventory', { headers, body: { sku, available_units: units } }).status).toBe(201);
}

describe('the lookups of exports', () => {
  it('hold every export made since they were last read, as an index built afresh from the data does', () => {
    const engine = createEngine({ scenario: 'partially-exported', journalSize: 0 });
    try {
      const store = engine.defaultStore();
      // The scenario's own exports were made live, so the first read is already a catch-up.
      expect(store.state.data.fulfillment_orders.length).toBeGreaterThan(0);
      expect(lookups(store.state)).toEqual(fresh(store.state));
      const [small, medium] = store.state.data.variants;

      // Exports of one SKU, then a read of a single lookup: every lookup is up to date after it.
      postInventory(engine, small!.sku, 30);
      const newest = store.state.data.fulfillment_orders.at(-1)!;
      expect(store.state.index.fulfillmentOrdersByReference.size).toBe(store.state.data.fulfillment_orders.length);
      expect(store.state.index.fulfillmentOrdersById.get(newest.id)).toBe(newest);
      expect(store.state.index.fulfillmentOrderPosition.get(newest.id)).toBe(store.state.data.fulfillment_orders.length - 1);
      expect(lookups(store.state)).toEqual(fresh(store.state));

      // One pre-order with lines of two SKUs, exported in one run of pending exports: one export of two lines.
      postInventory(engine, medium!.sku, 30);
      const before = store.state.data.fulfillment_orders.length;
      const placed = engine.dispatchRaw('placePreOrder', {
        query: { api_key: DEFAULT_CREDENTIALS.public_api_key },
        body: { email: 'both@example.com', lines: [{ variant_id: small!.id, quantity: 1 }, { variant_id: medium!.id, quantity: 1 }] },
      });
      expect(placed.status).toBe(201);
      expect(engine.dispatchRaw('runExports', {}).status).toBe(200);
      const made = store.state.data.fulfillment_orders.slice(before);
      expect(made.map((fo) => fo.lines.length)).toEqual([2]);
      // Read through the external order's lookup first this time.
      const exported = store.state.data.pre_orders.at(-1)!.exported_orders[0]!;
      expect(store.state.index.externalOrders.get(exported.id)?.exported).toBe(exported);
      expect(lookups(store.state)).toEqual(fresh(store.state));
    } finally {
      engine.close();
    }
  });

  it('each catch up on their own: one read alone is whole, and the others still take in what it took', () => {
    const engine = createEngine({ scenario: 'partially-exported', journalSize: 0 });
    try {
      const store = engine.defaultStore();
      const [small, medium] = store.state.data.variants;
      // Each round exports a little, then reads one lookup alone, in turn; the others fall behind by more and more.
      for (const [round, name] of [...names, ...names.slice().reverse()].entries()) {
        postInventory(engine, (round % 2 === 0 ? small : medium)!.sku, 10 * (round + 1));
        expect(readers[name](store.state.index)).toEqual(readers[name](stateOf(structuredClone(store.state.data)).index));
      }
      expect(lookups(store.state)).toEqual(fresh(store.state));
    } finally {
      engine.close();
    }
  });

  it('stay whole when what the others had taken is let go while one lags', () => {
    const orders = 11_000;
    const scenario = defineScenario({
      name: 'one-sku-many-orders',
      summary: `${orders} pre-orders of one SKU (test only)`,
      build(b) {
        const item = b.product({ sizes: ['S'] });
        b.waitlist(item, orders * 2);
        const shopper = b.shopper();
        for (let i = 0; i < orders; i += 1) b.placeFor(shopper, [{ variant_id: item.variants[0]!.id, quantity: 1 }]);
      },
    });
    const engine = createEngine({ scenario: scenario.name, scenarios: [scenario], journalSize: 0 });
    try {
      const store = engine.defaultStore();
      const sku = store.state.data.variants[0]!.sku;
      const at = store.state.data.fulfillment_orders.length;
      postInventory(engine, sku, 6_000);
      expect(store.state.data.fulfillment_orders.length - at).toBe(6_000);
      expect(readers.byId(store.state.index)).toHaveLength(at + 6_000);
      postInventory(engine, sku, 5_000);
      expect(store.state.data.fulfillment_orders.length - at).toBe(11_000);
      // Three lookups pass the lagging one by over half of what is kept: the first 6,000 orders are let go.
      for (const name of ['position', 'byReference', 'external'] as const) readers[name](store.state.index);
      expect(store.state.index.unindexedExports.length).toBe(5_000);
      expect(lookups(store.state)).toEqual(fresh(store.state));
      expect(store.state.index.unindexedExports).toHaveLength(0);
    } finally {
      engine.close();
    }
  });
});
