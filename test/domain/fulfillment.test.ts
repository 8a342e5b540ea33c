import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Harness } from '../support/simulator.ts';
import { fresh, now } from '../support/steps.ts';

/**
 * On the scheduled-launch product made LIVE: one pre-order with two lines of the same variant (3 and 2
 * units), exported together, so one fulfillment order with two lines; plus a second pre-order exported
 * the same way on another variant, for a line that belongs elsewhere.
 */
async function exportedFulfillmentOrders(h: Harness): Promise<{ order: any; fo: any; otherOrder: any; otherFo: any }> {
  const [scheduled] = (await h.privateGet('/admin/api/v1/waitlists')).body.data.waitlists;
  expect((await h.control('PATCH', `/__sim/waitlists/${scheduled.id}`, { state: 'LIVE' })).status).toBe(200);
  const [a, b] = scheduled.availability.variants;
  const placed = await h.control('POST', '/__sim/pre-orders', {
    email: 'ship@example.com',
    lines: [{ variant_id: a.variant_id, quantity: 3 }, { variant_id: a.variant_id, quantity: 2 }],
  });
  const other = await h.control('POST', '/__sim/pre-orders', { email: 'other@example.com', lines: [{ variant_id: b.variant_id, quantity: 1 }] });
  expect((await h.privatePost('/admin/api/v1/inventory', { sku: a.sku, available_units: 5 })).status).toBe(201);
  expect((await h.privatePost('/admin/api/v1/inventory', { sku: b.sku, available_units: 1 })).status).toBe(201);
  const fo = async (order: any) => {
    const res = await h.privateGet('/admin/api/v1/fulfillment-orders', { references: `${order.reference}-1` });
    expect(res.body.data.fulfillment_orders).toHaveLength(1);
    return res.body.data.fulfillment_orders[0];
  };
  const order = (await h.privateGet('/admin/api/v1/pre-orders', { references: placed.body.data.reference })).body.data.orders[0];
  const otherOrder = (await h.privateGet('/admin/api/v1/pre-orders', { references: other.body.data.reference })).body.data.orders[0];
  return { order, fo: await fo(order), otherOrder, otherFo: await fo(otherOrder) };
}

const fulfil = (h: Harness, fulfillment: Record<string, unknown>) => h.privatePost('/admin/api/v1/fulfillment', { fulfillment });

async function getFo(h: Harness, id: string): Promise<any> {
  const res = await h.privateGet(`/admin/api/v1/fulfillment-orders/${id}`);
  expect(res.status).toBe(200);
  return res.body.data;
}

describe('fulfilling a fulfillment order', () => {
  it('records a partial fulfilment by line quantity and leaves the order UNFULFILLED', async () => {
    const h = await fresh('scheduled-launch');
    const { fo } = await exportedFulfillmentOrders(h);
    expect(fo.status).toBe('UNFULFILLED');
    const [big] = fo.line_items;
    await h.control('POST', '/__sim/clock/advance', { seconds: 120 });
    const at = await now(h);

    const res = await fulfil(h, { fulfillment_order_id: fo.id, line_items: [{ id: big.id, quantity: 1 }] });
    expect(res.status).toBe(201);
    expect(res.body.data.fulfillment).toMatchObject({ fulfillment_order_id: fo.id, created_at: at, line_items: [{ id: big.id, quantity: 1 }] });
    expect(res.body.data.fulfillment_order.status).toBe('UNFULFILLED');
    const stored = await getFo(h, fo.id);
    expect(stored).toEqual(res.body.data.fulfillment_order);
    expect(stored.fulfillments).toEqual([res.body.data.fulfillment]);
  });

  it('becomes FULFILLED only once every unit of every line is fulfilled', async () => {
    const h = await fresh('scheduled-launch');
    const { fo } = await exportedFulfillmentOrders(h);
    const [big, small] = fo.line_items;

    const wholeBig = await fulfil(h, { fulfillment_order_id: fo.id, line_items: [{ id: big.id, quantity: big.quantity }] });
    expect(wholeBig.body.data.fulfillment_order.status).toBe('UNFULFILLED');
    const partSmall = await fulfil(h, { fulfillment_order_id: fo.id, line_items: [{ id: small.id, quantity: small.quantity - 1 }] });
    expect(partSmall.body.data.fulfillment_order.status).toBe('UNFULFILLED');
    const rest = await fulfil(h, { fulfillment_order_id: fo.id, line_items: [{ id: small.id, quantity: 1 }] });
    expect(rest.status).toBe(201);
    expect(rest.body.data.fulfillment_order.status).toBe('FULFILLED');
    expect((await getFo(h, fo.id)).fulfillments).toHaveLength(3);
  });

  it('reads line_items and tracking_info given as null as blank: every remaining unit, no tracking', async () => {
    const h = await fresh('scheduled-launch');
    const { fo } = await exportedFulfillmentOrders(h);
    const res = await fulfil(h, { fulfillment_order_id: fo.id, line_items: null, tracking_info: null });
    expect(res.status).toBe(201);
    expect(res.body.data.fulfillment.line_items).toEqual(fo.line_items.map((l: any) => ({ id: l.id, quantity: l.quantity })));
    expect(res.body.data.fulfillment.tracking_info).toBeNull();
    expect(res.body.data.fulfillment_order.status).toBe('FULFILLED');
  });

  it('fulfils every remaining unit when line_items is omitted or empty', async () => {
    const h = await fresh('scheduled-launch');
    const { fo, otherFo } = await exportedFulfillmentOrders(h);
    const [big, small] = fo.line_items;
    expect((await fulfil(h, { fulfillment_order_id: fo.id, line_items: [{ id: big.id, quantity: 1 }] })).status).toBe(201);

    const rest = await fulfil(h, { fulfillment_order_id: fo.id });
    expect(rest.status).toBe(201);
    expect(rest.body.data.fulfillment.line_items).toEqual([{ id: big.id, quantity: big.quantity - 1 }, { id: small.id, quantity: small.quantity }]);
    expect(rest.body.data.fulfillment_order.status).toBe('FULFILLED');

    const empty = await fulfil(h, { fulfillment_order_id: otherFo.id, line_items: [] });
    expect(empty.status).toBe(201);
    expect(empty.body.data.fulfillment.line_items).toEqual(otherFo.line_items.map((l: any) => ({ id: l.id, quantity: l.quantity })));
    expect(empty.body.data.fulfillment_order.status).toBe('FULFILLED');
  });

  it('keeps notify_customer and tracking_info and shows them in GET /fulfillment-orders/{id}', async () => {
    const h = await fresh('scheduled-launch');
    const { fo } = await exportedFulfillmentOrders(h);
    const [big] = fo.line_items;
    const tracking = { number: '1Z999AA10123456784', company: 'UPS', url: 'https://www.ups.com/track?tracknum=1Z999AA10123456784' };

    const first = await fulfil(h, { fulfillment_order_id: fo.id, line_items: [{ id: big.id, quantity: 1 }], notify_customer: true, tracking_info: tracking });
    expect(first.body.data.fulfillment).toMatchObject({ notify_customer: true, tracking_info: tracking });
    const second = await fulfil(h, { fulfillment_order_id: fo.id, line_items: [{ id: big.id, quantity: 1 }] });
    expect(second.body.data.fulfillment).toMatchObject({ notify_customer: false, tracking_info: null });

    const stored = await getFo(h, fo.id);
    expect(stored.fulfillments.map((f: any) => [f.id, f.notify_customer, f.tracking_info])).toEqual([
      [first.body.data.fulfillment.id, true, tracking],
      [second.body.data.fulfillment.id, false, null],
    ]);
  });
});

describe('a refused fulfilment', () => {
  it('answers 404 UNKNOWN_FULFILLMENT_ORDER for an unknown fulfillment order', async () => {
    const h = await fresh('scheduled-launch');
    await exportedFulfillmentOrders(h);
    const res = await fulfil(h, { fulfillment_order_id: randomUUID() });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('UNKNOWN_FULFILLMENT_ORDER');
  });

  it("answers 404 naming the IDs for the docs' own example body, whose IDs are not UUIDs", async () => {
    const h = await fresh('scheduled-launch');
    const docsId = '00000000-00000000-00000000-00000000';
    const unknownOrder = await fulfil(h, { fulfillment_order_id: docsId, line_items: [{ id: docsId, quantity: 1 }] });
    expect([unknownOrder.status, unknownOrder.body.error.code]).toEqual([404, 'UNKNOWN_FULFILLMENT_ORDER']);
    expect(unknownOrder.body.error.details.map((d: any) => d.field)).toEqual(['fulfillment.fulfillment_order_id']);
    const { fo } = await exportedFulfillmentOrders(h);
    const unknownLine = await fulfil(h, { fulfillment_order_id: fo.id, line_items: [{ id: docsId, quantity: 1 }] });
    expect([unknownLine.status, unknownLine.body.error.code]).toEqual([404, 'UNKNOWN_LINE_ITEMS']);
    expect(unknownLine.body.error.details.map((d: any) => d.field)).toEqual(['fulfillment.line_items[0].id']);
  });

  it('answers 404 UNKNOWN_LINE_ITEMS for a line not on the fulfillment order and fulfils nothing', async () => {
    const h = await fresh('scheduled-launch');
    const { fo, otherFo } = await exportedFulfillmentOrders(h);
    const res = await fulfil(h, {
      fulfillment_order_id: fo.id,
      line_items: [{ id: fo.line_items[0].id, quantity: 1 }, { id: otherFo.line_items[0].id, quantity: 1 }],
    });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('UNKNOWN_LINE_ITEMS');
    expect(await getFo(h, fo.id)).toEqual(fo);
    expect(await getFo(h, otherFo.id)).toEqual(otherFo);
  });

  it('answers 400 QUANTITY_EXCEEDS_UNFULFILLED for more units than are left on a line', async () => {
    const h = await fresh('scheduled-launch');
    const { fo } = await exportedFulfillmentOrders(h);
    const [big] = fo.line_items;

    const tooMany = await fulfil(h, { fulfillment_order_id: fo.id, line_items: [{ id: big.id, quantity: big.quantity + 1 }] });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.code).toBe('QUANTITY_EXCEEDS_UNFULFILLED');
    // Listing a line twice adds up.
    const twice = await fulfil(h, { fulfillment_order_id: fo.id, line_items: [{ id: big.id, quantity: big.quantity }, { id: big.id, quantity: 1 }] });
    expect(twice.status).toBe(400);
    expect(twice.body.error.code).toBe('QUANTITY_EXCEEDS_UNFULFILLED');
    expect(await getFo(h, fo.id)).toEqual(fo);

    expect((await fulfil(h, { fulfillment_order_id: fo.id, line_items: [{ id: big.id, quantity: big.quantity - 1 }] })).status).toBe(201);
    const afterPartial = await fulfil(h, { fulfillment_order_id: fo.id, line_items: [{ id: big.id, quantity: 2 }] });
    expect(afterPartial.status).toBe(400);
    expect(afterPartial.body.error.code).toBe('QUANTITY_EXCEEDS_UNFULFILLED');
  });

  it('answers 409 FULFILLMENT_ORDER_ALREADY_FULFILLED once the order is FULFILLED', async () => {
    const h = await fresh('scheduled-launch');
    const { fo } = await exportedFulfillmentOrders(h);
    expect((await fulfil(h, { fulfillment_order_id: fo.id })).body.data.fulfillment_order.status).toBe('FULFILLED');
    const fulfilled = await getFo(h, fo.id);
    const again = await fulfil(h, { fulfillment_order_id: fo.id });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('FULFILLMENT_ORDER_ALREADY_FULFILLED');
    expect(await getFo(h, fo.id)).toEqual(fulfilled);
  });

  it('answers 409 FULFILLMENT_ORDER_VOIDED for a voided order', async () => {
    const h = await fresh('scheduled-launch');
    const { fo } = await exportedFulfillmentOrders(h);
    expect((await h.control('POST', `/__sim/fulfillment-orders/${fo.id}/void`)).status).toBe(200);
    const res = await fulfil(h, { fulfillment_order_id: fo.id, line_items: [{ id: fo.line_items[0].id, quantity: 1 }] });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('FULFILLMENT_ORDER_VOIDED');
    expect((await getFo(h, fo.id)).fulfillments).toEqual([]);
  });
});

describe('voiding a fulfillment order', () => {
  it('happens when every unit is refunded before any fulfilment', async () => {
    const h = await fresh('scheduled-launch');
    const { order, fo } = await exportedFulfillmentOrders(h);
    const externalOrder = order.exported_orders[0].id;
    const entries = order.line_items.flatMap((l: any) => Array.from({ length: l.quantity }, () => ({ id: l.shopify_line_item_id, quantity: 1 })));

    // All but one unit: still UNFULFILLED.
    const most = await h.privatePost('/admin/api/v1/refund', { id: 'most', order: externalOrder, line_items: entries.slice(1) });
    expect(most.status).toBe(201);
    expect((await getFo(h, fo.id)).status).toBe('UNFULFILLED');
    const last = await h.privatePost('/admin/api/v1/refund', { id: 'last', order: externalOrder, line_items: entries.slice(0, 1) });
    expect(last.status).toBe(201);
    expect((await getFo(h, fo.id)).status).toBe('VOIDED');
  });

  it('leaves refunded units out of what is left to fulfil', async () => {
    const h = await fresh('scheduled-launch');
    const { order, fo } = await exportedFulfillmentOrders(h);
    const [big, small] = order.line_items;
    expect((await h.privatePost('/admin/api/v1/refund', { id: 'one', order: order.exported_orders[0].id, line_items: [{ id: big.shopify_line_item_id, quantity: 1 }] })).status).toBe(201);
    const res = await fulfil(h, { fulfillment_order_id: fo.id });
    expect(res.body.data.fulfillment.line_items).toEqual([{ id: big.id, quantity: big.quantity - 1 }, { id: small.id, quantity: small.quantity }]);
    expect(res.body.data.fulfillment_order.status).toBe('FULFILLED');
  });

  it('happens through POST /__sim/fulfillment-orders/{id}/void for an untouched order only', async () => {
    const h = await fresh('scheduled-launch');
    const { fo, otherFo } = await exportedFulfillmentOrders(h);
    const voided = await h.control('POST', `/__sim/fulfillment-orders/${otherFo.id}/void`);
    expect(voided.status).toBe(200);
    expect(voided.body.data.status).toBe('VOIDED');
    expect(await getFo(h, otherFo.id)).toEqual(voided.body.data);

    expect((await fulfil(h, { fulfillment_order_id: fo.id, line_items: [{ id: fo.line_items[0].id, quantity: 1 }] })).status).toBe(201);
    const partly = await h.control('POST', `/__sim/fulfillment-orders/${fo.id}/void`);
    expect(partly.status).toBe(409);
    expect(partly.body.error.code).toBe('FULFILLMENT_ORDER_NOT_VOIDABLE');
    expect((await getFo(h, fo.id)).status).toBe('UNFULFILLED');
  });
});
