/**
 * The lookups of exports (fulfillment orders by ID, position and reference; exported orders by platform ID) are
 * brought up to date when one of them is read, not by each export. Read at any moment, they must hold what an
 * index built afresh from the same data holds.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CREDENTIALS } from '../../src/index.ts';
import { createEngine, type Engine } from '../../src/engine/engine.ts';
import { stateOf, type StoreState } from '../../src/domain/store.ts';

const headers = { 'x-purple-dot-access-token': DEFAULT_CREDENTIALS.private_access_token };

/** Each lookup as sorted [key, what it names] pairs, comparable across states that hold copies of one data. */
function lookups(state: StoreState): Record<string, [string, string][]> {
  const index = state.index;
  const sorted = (pairs: [string, string][]): [string, string][] => pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    byId: sorted([...index.fulfillmentOrdersById].map(([key, fo]) => [key, fo.id])),
    position: sorted([...index.fulfillmentOrderPosition].map(([key, position]) => [key, String(position)])),
    byReference: sorted([...index.fulfillmentOrdersByReference].map(([key, fo]) => [key, fo.id])),
    external: sorted([...index.externalOrders].map(([key, { order, exported }]) => [key, `${order.id} ${exported.id} ${exported.fulfillment_order_id}`])),
  };
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
});
