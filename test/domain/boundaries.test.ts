import { describe, expect, it } from 'vitest';
import { privateHeaders } from '../support/simulator.ts';
import { cancel, cents, fresh, listAll, preOrder, snapshot } from '../support/steps.ts';

describe('times JavaScript cannot hold', () => {
  it('refuses a leap-second at_time with 400 naming at_time instead of failing', async () => {
    const h = await fresh('on-preorder');
    const res = await h.privateGet('/admin/api/v1/pre-orders/count-units/sku/ANY', { at_time: '2016-12-31T23:59:60Z' });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain('at_time');
  });

  it('refuses a leap-second clock and keeps telling the time', async () => {
    const h = await fresh('on-preorder');
    const before = (await h.control('GET', '/__sim/clock')).body.data.now;
    const res = await h.control('PUT', '/__sim/clock', { now: '2030-12-31T23:59:60Z' });
    expect(res.status).toBe(400);
    expect((await h.control('GET', '/__sim/clock')).body.data.now).toBe(before);
  });
});

describe('refunds never exceed what an exported order is worth', () => {
  it('refuses a unit refund once an appeasement has taken the whole order value', async () => {
    const h = await fresh('ready-to-fulfil');
    const order = (await listAll(h)).find((o) => o.exported_orders.length === 1)!;
    const [line] = order.line_items;
    const whole = await h.privatePost('/admin/api/v1/refund', {
      id: 'appease-all', order: order.exported_orders[0].id, amount: order.total_price, currency: order.currency,
    });
    expect(whole.status).toBe(201);
    const more = await h.privatePost('/admin/api/v1/refund', {
      id: 'then-a-unit', order: order.exported_orders[0].id, line_items: [{ id: line.shopify_line_item_id, quantity: 1 }],
    });
    expect(more.status).toBe(400);
    expect(more.body.error.code).toBe('INVALID_REFUND_REQUEST');
    const after = await preOrder(h, order.reference);
    expect(cents(after.total_refunded)).toBe(cents(order.total_price));
  });

  it('refunds shipping only through the export that carries it, the first', async () => {
    const h = await fresh('partially-exported');
    const split = (await listAll(h)).find((o) => o.exported_orders.length === 2)!;
    const second = await h.privatePost('/admin/api/v1/refund', { id: 'ship-2', order: split.exported_orders[1].id, shipping: true });
    expect(second.status).toBe(400);
    expect(second.body.error.details[0].field).toBe('shipping');
    const first = await h.privatePost('/admin/api/v1/refund', { id: 'ship-1', order: split.exported_orders[0].id, shipping: true });
    expect(first.status).toBe(201);
    expect(first.body.data.refunded.amount).toBe(split.shipping_price);
  });
});

describe('paging by update time while orders change', () => {
  it('skips no pre-order when the cursor order itself is updated between pages', async () => {
    const h = await fresh('on-preorder');
    const since = { updated_at_min: '2000-01-01T00:00:00.000Z' };
    const everything = await listAll(h, since);
    const first = await h.privateGet('/admin/api/v1/pre-orders', { ...since, limit: 3 });
    const cursorOrder = first.body.data.orders[2];
    const open = cursorOrder.line_items.find((l: { cancelled: boolean; shopify_line_item_id: string | null }) => !l.cancelled && !l.shopify_line_item_id);
    expect((await cancel(h, cursorOrder, { reason: 'CUSTOMER', line_item_ids: [open.id] })).status).toBe(200);
    const seen = new Set<string>(first.body.data.orders.map((o: { id: string }) => o.id));
    let after: string | null = first.body.data.starting_after;
    while (after) {
      const page = await h.privateGet('/admin/api/v1/pre-orders', { ...since, limit: 3, starting_after: after });
      for (const o of page.body.data.orders) seen.add(o.id);
      after = page.body.data.starting_after;
    }
    expect([...seen].sort()).toEqual(everything.map((o) => o.id).sort());
  });
});

describe('snapshot import', () => {
  it('refuses a snapshot missing a store part with 400 and keeps serving the current state', async () => {
    const h = await fresh('on-preorder');
    const good = await snapshot(h);
    const broken = structuredClone(good);
    delete Object.values(broken.stores as Record<string, Record<string, unknown>>)[0]!.unit_history;
    const res = await h.request('PUT', '/__sim/snapshot', { body: broken });
    expect(res.status).toBe(400);
    expect(await snapshot(h)).toEqual(good);
  });

  it('refuses a snapshot whose clock is earlier than its data', async () => {
    const h = await fresh('on-preorder');
    const good = await snapshot(h);
    const early = { ...good, clock: { ...good.clock, now: '2000-01-01T00:00:00.000Z' } };
    const res = await h.request('PUT', '/__sim/snapshot', { body: early });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_SNAPSHOT');
  });

  it('refuses a snapshot of an unknown scenario, which reset could not rebuild', async () => {
    const h = await fresh('on-preorder');
    const res = await h.request('PUT', '/__sim/snapshot', { body: { ...(await snapshot(h)), scenario: 'no-such-scenario' } });
    expect(res.status).toBe(400);
    expect((await h.control('POST', '/__sim/reset')).status).toBe(200);
  });
});

