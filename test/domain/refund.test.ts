import { describe, expect, it } from 'vitest';
import type { Harness } from '../support/simulator.ts';
import { cents, fresh, preOrder, snapshot } from '../support/steps.ts';

/** Integer cents back to a money string. */
const money = (value: number): string => `${Math.floor(value / 100)}.${String(value % 100).padStart(2, '0')}`;

/**
 * On the scheduled-launch product made LIVE: a pre-order with a 2-unit line and a 1-unit line of two SKUs,
 * exported in one export each (so `/1` carries the 2-unit line, `/2` the other), and a second shopper's
 * exported pre-order for a foreign line.
 */
async function exportedOrders(h: Harness): Promise<{ order: any; first: any; second: any; other: any }> {
  const [scheduled] = (await h.privateGet('/admin/api/v1/waitlists')).body.data.waitlists;
  expect((await h.control('PATCH', `/__sim/waitlists/${scheduled.id}`, { state: 'LIVE' })).status).toBe(200);
  const [a, b, c] = scheduled.availability.variants;
  const placed = await h.control('POST', '/__sim/pre-orders', {
    email: 'refund@example.com',
    lines: [{ variant_id: a.variant_id, quantity: 2 }, { variant_id: b.variant_id, quantity: 1 }],
  });
  const otherPlaced = await h.control('POST', '/__sim/pre-orders', { email: 'other@example.com', lines: [{ variant_id: c.variant_id, quantity: 1 }] });
  for (const [sku, units] of [[a.sku, 2], [b.sku, 1], [c.sku, 1]] as const) {
    expect((await h.privatePost('/admin/api/v1/inventory', { sku, available_units: units })).status).toBe(201);
  }
  const order = await preOrder(h, placed.body.data.reference);
  const other = await preOrder(h, otherPlaced.body.data.reference);
  expect(order.exported_orders).toHaveLength(2);
  return { order, first: order.exported_orders[0], second: order.exported_orders[1], other };
}

const refund = (h: Harness, body: Record<string, unknown>) => h.privatePost('/admin/api/v1/refund', body);

/** Sends each body, expects the status and code, and checks that nothing changed. */
async function refusedAll(h: Harness, bodies: Record<string, unknown>[], status: number, code: string): Promise<void> {
  const before = await snapshot(h);
  for (const body of bodies) {
    const res = await refund(h, body);
    expect(res.status, JSON.stringify(body)).toBe(status);
    expect(res.body.error.code, JSON.stringify(body)).toBe(code);
  }
  expect(await snapshot(h)).toEqual(before);
}

describe('refunding an exported order', () => {
  it('refunds one unit of a line and raises total_refunded by the refunded amount', async () => {
    const h = await fresh('scheduled-launch');
    const { order, first } = await exportedOrders(h);
    const line = order.line_items[0];
    expect(order.total_refunded).toBe('0.00');

    const one = await refund(h, { id: 'unit-1', order: first.id, line_items: [{ id: line.shopify_line_item_id, quantity: 1 }] });
    expect(one.status).toBe(201);
    expect(one.body.data).toEqual({
      id: 'unit-1',
      order: first.id,
      refunded: { amount: money(Math.round(cents(line.total) / line.quantity)), currency: order.currency },
    });
    expect((await preOrder(h, order.reference)).total_refunded).toBe(one.body.data.refunded.amount);

    // The second unit takes what is left of the line, so the units add up to the line total.
    const two = await refund(h, { id: 'unit-2', order: first.id, line_items: [{ id: line.shopify_line_item_id, quantity: 1 }] });
    expect(two.status).toBe(201);
    expect(cents(one.body.data.refunded.amount) + cents(two.body.data.refunded.amount)).toBe(cents(line.total));
    expect((await preOrder(h, order.reference)).total_refunded).toBe(line.total);
  });

  it('refunds two units of a line listed twice in one request', async () => {
    const h = await fresh('scheduled-launch');
    const { order, first } = await exportedOrders(h);
    const line = order.line_items[0];
    const res = await refund(h, { id: 'both', order: first.id, line_items: [{ id: line.shopify_line_item_id, quantity: 1 }, { id: line.shopify_line_item_id, quantity: 1 }] });
    expect(res.status).toBe(201);
    expect(res.body.data.refunded.amount).toBe(line.total);
    expect((await preOrder(h, order.reference)).total_refunded).toBe(line.total);
  });

  it('refunds the shipping price once, and answers 400 SHIPPING_ALREADY_REFUNDED the second time', async () => {
    const h = await fresh('scheduled-launch');
    const { order, first, second } = await exportedOrders(h);
    const res = await refund(h, { id: 'ship', order: first.id, shipping: true });
    expect(res.status).toBe(201);
    expect(res.body.data.refunded.amount).toBe(order.shipping_price);
    expect((await preOrder(h, order.reference)).total_refunded).toBe(order.shipping_price);

    await refusedAll(h, [
      { id: 'ship-again', order: first.id, shipping: true },
      { id: 'ship-other-export', order: second.id, shipping: true },
      { id: 'ship-with-line', order: first.id, shipping: true, line_items: [{ id: order.line_items[0].shopify_line_item_id, quantity: 1 }] },
    ], 400, 'SHIPPING_ALREADY_REFUNDED');
  });

  it('refunds an appeasement amount in the order currency', async () => {
    const h = await fresh('scheduled-launch');
    const { order, first } = await exportedOrders(h);
    const res = await refund(h, { id: 'sorry', order: first.id, amount: '5.25', currency: order.currency });
    expect(res.status).toBe(201);
    expect(res.body.data.refunded).toEqual({ amount: '5.25', currency: order.currency });
    const again = await refund(h, { id: 'sorry-2', order: first.id, amount: '1', currency: order.currency });
    expect(again.body.data.refunded.amount).toBe('1.00');
    expect((await preOrder(h, order.reference)).total_refunded).toBe(money(525 + 100));
  });

  it('answers 400 INVALID_REFUND_REQUEST for a request mixing a line-item refund and an appeasement', async () => {
    const h = await fresh('scheduled-launch');
    const { order, first } = await exportedOrders(h);
    const line = { id: order.line_items[0].shopify_line_item_id, quantity: 1 };
    await refusedAll(h, [
      { id: 'mixed-1', order: first.id, line_items: [line], amount: '1.00', currency: order.currency },
      { id: 'mixed-2', order: first.id, shipping: true, amount: '1.00', currency: order.currency },
      { id: 'mixed-3', order: first.id, line_items: [line], currency: order.currency },
    ], 400, 'INVALID_REFUND_REQUEST');
  });

  it('answers 400 INVALID_REFUND_REQUEST for a request that refunds nothing', async () => {
    const h = await fresh('scheduled-launch');
    const { first } = await exportedOrders(h);
    await refusedAll(h, [
      { id: 'empty-1', order: first.id },
      { id: 'empty-2', order: first.id, line_items: [] },
      { id: 'empty-3', order: first.id, shipping: false },
    ], 400, 'INVALID_REFUND_REQUEST');
  });

  it('answers 400 INVALID_REFUND_REQUEST for a malformed amount or currency', async () => {
    const h = await fresh('scheduled-launch');
    const { order, first } = await exportedOrders(h);
    await refusedAll(h, [
      { id: 'bad-1', order: first.id, amount: 'five', currency: order.currency },
      { id: 'bad-2', order: first.id, amount: '5.001', currency: order.currency },
      { id: 'bad-3', order: first.id, amount: '-5.00', currency: order.currency },
      { id: 'bad-4', order: first.id, amount: '0.00', currency: order.currency },
      { id: 'bad-5', order: first.id, amount: 5, currency: order.currency },
      { id: 'bad-6', order: first.id, amount: '5.00', currency: 'usd' },
      { id: 'bad-7', order: first.id, amount: '5.00' },
      // More than is left to refund on the exported order.
      { id: 'bad-8', order: first.id, amount: money(cents(order.total_price) + 1), currency: order.currency },
    ], 400, 'INVALID_REFUND_REQUEST');
  });

  it('answers 400 INVALID_LINE_ITEMS for an entry without id or quantity, or with a quantity other than 1', async () => {
    const h = await fresh('scheduled-launch');
    const { order, first } = await exportedOrders(h);
    const id = order.line_items[0].shopify_line_item_id;
    await refusedAll(h, [
      { id: 'lines-1', order: first.id, line_items: [{ id, quantity: 2 }] },
      { id: 'lines-2', order: first.id, line_items: [{ id, quantity: 0 }] },
      { id: 'lines-3', order: first.id, line_items: [{ id }] },
      { id: 'lines-4', order: first.id, line_items: [{ quantity: 1 }] },
    ], 400, 'INVALID_LINE_ITEMS');
  });

  it('answers 400 CURRENCY_MISMATCH for an appeasement in another currency', async () => {
    const h = await fresh('scheduled-launch');
    const { order, first } = await exportedOrders(h);
    const foreign = order.currency === 'EUR' ? 'GBP' : 'EUR';
    await refusedAll(h, [{ id: 'fx', order: first.id, amount: '1.00', currency: foreign }], 400, 'CURRENCY_MISMATCH');
  });

  it('answers 400 NOT_ENOUGH_ITEMS_LEFT_TO_REFUND for more units than are left', async () => {
    const h = await fresh('scheduled-launch');
    const { order, first } = await exportedOrders(h);
    const line = order.line_items[0];
    const unit = { id: line.shopify_line_item_id, quantity: 1 };
    const everyUnit = Array.from({ length: line.quantity }, () => unit);
    await refusedAll(h, [{ id: 'over', order: first.id, line_items: [...everyUnit, unit] }], 400, 'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND');

    expect((await refund(h, { id: 'all', order: first.id, line_items: everyUnit })).status).toBe(201);
    await refusedAll(h, [{ id: 'one-more', order: first.id, line_items: [unit] }], 400, 'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND');
  });

  it('answers 404 UNKNOWN_ORDER for an order that is not an exported order of the store', async () => {
    const h = await fresh('scheduled-launch');
    const { order } = await exportedOrders(h);
    await refusedAll(h, [
      { id: 'nobody-1', order: '999', shipping: true },
      // The Purple Dot pre-order ID and order number are not the platform order ID.
      { id: 'nobody-2', order: order.id, shipping: true },
      { id: 'nobody-3', order: order.exported_orders[0].order_number, shipping: true },
    ], 404, 'UNKNOWN_ORDER');
  });

  it('answers 404 UNKNOWN_LINE_ITEMS for a line item that is not on the order', async () => {
    const h = await fresh('scheduled-launch');
    const { order, first, other } = await exportedOrders(h);
    await refusedAll(h, [
      { id: 'stranger-1', order: first.id, line_items: [{ id: '123', quantity: 1 }] },
      // A line of the same pre-order exported in another export, and a line of another pre-order.
      { id: 'stranger-2', order: first.id, line_items: [{ id: order.line_items[1].shopify_line_item_id, quantity: 1 }] },
      { id: 'stranger-3', order: first.id, line_items: [{ id: other.line_items[0].shopify_line_item_id, quantity: 1 }] },
      // The Purple Dot line item ID is not the platform one.
      { id: 'stranger-4', order: first.id, line_items: [{ id: order.line_items[0].id, quantity: 1 }] },
    ], 404, 'UNKNOWN_LINE_ITEMS');
  });
});

describe('refund idempotency', () => {
  it('answers a repeat with the same id, order and payload with the same status and body and refunds nothing more', async () => {
    const h = await fresh('scheduled-launch');
    const { order, first } = await exportedOrders(h);
    const body = { id: 'once', order: first.id, line_items: [{ id: order.line_items[0].shopify_line_item_id, quantity: 1 }], shipping: true };
    const original = await refund(h, body);
    expect(original.status).toBe(201);
    const refunded = (await preOrder(h, order.reference)).total_refunded;
    expect(refunded).toBe(original.body.data.refunded.amount);

    for (const repeat of [body, { shipping: true, line_items: body.line_items, order: body.order, id: body.id }]) {
      const again = await refund(h, repeat);
      expect(again.status).toBe(original.status);
      expect(again.body).toEqual(original.body);
    }
    expect((await preOrder(h, order.reference)).total_refunded).toBe(refunded);

    // A different refund in between does not change the replayed answer.
    expect((await refund(h, { id: 'later', order: first.id, amount: '1.00', currency: order.currency })).status).toBe(201);
    expect((await refund(h, body)).body).toEqual(original.body);
  });

  it('answers 409 IDEMPOTENCY_KEY_REUSED for the same id and order with a different payload', async () => {
    const h = await fresh('scheduled-launch');
    const { order, first } = await exportedOrders(h);
    const unit = { id: order.line_items[0].shopify_line_item_id, quantity: 1 };
    expect((await refund(h, { id: 'key', order: first.id, line_items: [unit] })).status).toBe(201);
    await refusedAll(h, [
      { id: 'key', order: first.id, line_items: [unit, unit] },
      { id: 'key', order: first.id, line_items: [unit], shipping: true },
      { id: 'key', order: first.id, amount: '1.00', currency: order.currency },
    ], 409, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('treats the same id on another order as a new refund', async () => {
    const h = await fresh('scheduled-launch');
    const { order, first, second } = await exportedOrders(h);
    const a = await refund(h, { id: 'shared', order: first.id, amount: '2.00', currency: order.currency });
    const b = await refund(h, { id: 'shared', order: second.id, amount: '3.00', currency: order.currency });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.data).toEqual({ id: 'shared', order: second.id, refunded: { amount: '3.00', currency: order.currency } });
    expect((await preOrder(h, order.reference)).total_refunded).toBe('5.00');
  });
});

describe('a refund before shipping, seen from the fulfillment order', () => {
  it('takes the refunded unit off the fulfillment order, its totals with it, so the warehouse ships only what is left', async () => {
    const h = await fresh('scheduled-launch');
    const { first } = await exportedOrders(h);
    const foBefore = (await h.privateGet('/admin/api/v1/fulfillment-orders', { limit: 250 })).body.data.fulfillment_orders
      .find((fo: any) => fo.line_items.some((l: any) => l.quantity === 2) && fo.status === 'UNFULFILLED');
    const line = foBefore.line_items.find((l: any) => l.quantity === 2);
    const order = await preOrder(h, (await h.privateGet('/admin/api/v1/pre-orders', { limit: 200 })).body.data.orders.find((o: any) => o.exported_orders.some((e: any) => e.id === first.id)).reference);
    const shopifyLine = order.line_items.find((l: any) => l.id === line.id).shopify_line_item_id;

    const refunded = await refund(h, { id: 'before-shipping', order: first.id, line_items: [{ id: shopifyLine, quantity: 1 }] });
    expect(refunded.status).toBe(201);
    const foAfter = (await h.privateGet(`/admin/api/v1/fulfillment-orders/${foBefore.id}`)).body.data;
    const lineAfter = foAfter.line_items.find((l: any) => l.id === line.id);
    expect(lineAfter.quantity).toBe(1);
    expect(cents(foAfter.total_price)).toBe(cents(foBefore.total_price) - cents(refunded.body.data.refunded.amount));

    // Shipping what it shows is accepted; shipping the refunded unit too is not.
    const tooMany = await h.privatePost('/admin/api/v1/fulfillment', { fulfillment: { fulfillment_order_id: foBefore.id, line_items: [{ id: line.id, quantity: 2 }] } });
    expect(tooMany.status).toBe(400);
    const shipped = await h.privatePost('/admin/api/v1/fulfillment', { fulfillment: { fulfillment_order_id: foBefore.id, line_items: [{ id: line.id, quantity: 1 }] } });
    expect(shipped.status).toBe(201);
    expect(shipped.body.data.fulfillment_order.line_items.find((l: any) => l.id === line.id).quantity).toBe(1);
  });
});
