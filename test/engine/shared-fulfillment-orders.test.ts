/**
 * A page of fulfillment orders an adapter only writes out is made from kept, frozen presentations while the
 * store has not changed, and afresh once anything changed: byte for byte what a fresh presentation gives.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, DEFAULT_CREDENTIALS } from '../../src/engine/engine.ts';
import { jsonTextOf } from '../../src/engine/json-text.ts';

const headers = { 'x-purple-dot-access-token': DEFAULT_CREDENTIALS.private_access_token };
type Page = { data: { fulfillment_orders: { id: string; status: string }[] } };

describe('pages of fulfillment orders shared between answers an adapter writes out', () => {
  it('are the same frozen objects while nothing changed, and equal a fresh presentation, text included, after every kind of change', () => {
    const engine = createEngine({ scenario: 'ready-to-fulfil' });
    try {
      const viaAdapter = () => engine.dispatchRaw('listFulfillmentOrders', { headers, query: { limit: '250' }, streamable: true }).body as Page;
      const fresh = () => engine.dispatchRaw('listFulfillmentOrders', { headers, query: { limit: '250' } }).body as Page;
      const same = (step: string): Page => {
        const shared = viaAdapter();
        const text = jsonTextOf(shared.data);
        expect(text, step).toBeDefined();
        expect(text!.pieces.join(''), step).toBe(JSON.stringify(fresh().data));
        expect(JSON.stringify(shared.data), step).toBe(JSON.stringify(fresh().data));
        return shared;
      };
      const first = same('at the start');
      const orders = first.data.fulfillment_orders;
      expect(orders.length).toBeGreaterThan(2);
      expect(viaAdapter().data.fulfillment_orders[0]).toBe(orders[0]);
      expect(Object.isFrozen(orders[0])).toBe(true);

      const open = orders.filter((fo) => fo.status === 'UNFULFILLED');
      expect(open.length).toBeGreaterThan(1);
      expect(engine.dispatchRaw('createFulfillment', { headers, body: { fulfillment: { fulfillment_order_id: open[0]!.id } } }).status).toBe(201);
      const afterFulfil = same('after a fulfilment');
      expect(afterFulfil.data.fulfillment_orders.find((fo) => fo.id === open[0]!.id)!.status).toBe('FULFILLED');

      expect(engine.dispatchRaw('voidFulfillmentOrder', { path: { id: open[1]!.id } }).status).toBe(200);
      same('after a void');

      // A change elsewhere in the store (a placement) also drops what was kept: it is all or nothing.
      const before = viaAdapter().data.fulfillment_orders[0];
      const live = engine.defaultStore().state.data.waitlists.find((w) => w.state === 'LIVE' && w.allocations.some((a) => a.buy_size === null || a.committed < a.buy_size));
      if (live) {
        const variant = live.allocations.find((a) => a.buy_size === null || a.committed < a.buy_size)!.variant_id;
        expect(engine.dispatchRaw('placePreOrder', { body: { email: 'late@example.com', lines: [{ variant_id: variant, quantity: 1 }] } }).status).toBe(201);
        expect(viaAdapter().data.fulfillment_orders[0]).not.toBe(before);
      }
      same('after a placement');
      expect(engine.dispatchRaw('reset', {}).status).toBe(200);
      same('after a reset');
    } finally {
      engine.close();
    }
  });
});
