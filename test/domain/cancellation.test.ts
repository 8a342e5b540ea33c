import { describe, expect, it } from 'vitest';
import { cancel, fresh, launched, now, place, preOrder, units, variantOf, waitlist } from '../support/steps.ts';

describe('cancelling a pre-order', () => {
  it('cancels only the given open line, returns its units to the waitlist and leaves the order open', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launched(h);
    const [a, b] = live.availability.variants;
    const order = await place(h, 'half@example.com', [{ variant_id: a.variant_id, quantity: 2 }, { variant_id: b.variant_id, quantity: 3 }]);
    const placedWaitlist = await waitlist(h, live.id);
    const before = { a: await units(h, a.sku), b: await units(h, b.sku) };
    await h.control('POST', '/__sim/clock/advance', { seconds: 60 });
    const at = await now(h);

    const res = await cancel(h, order, { reason: 'CUSTOMER', line_item_ids: [order.line_items[0].id] });
    expect(res.status).toBe(200);
    const [cancelledLine, keptLine] = res.body.data.line_items;
    expect(cancelledLine).toMatchObject({ id: order.line_items[0].id, cancelled: true, cancelled_at: at });
    expect(keptLine).toMatchObject({ id: order.line_items[1].id, cancelled: false, cancelled_at: null });
    expect(res.body.data.cancelled_at).toBeNull();
    expect(res.body.data.cancel_reason).toBeNull();

    const after = await waitlist(h, live.id);
    expect(variantOf(after, a.variant_id)).toMatchObject({
      committed: variantOf(placedWaitlist, a.variant_id).committed - 2,
      available: variantOf(placedWaitlist, a.variant_id).available + 2,
    });
    expect(variantOf(after, b.variant_id)).toEqual(variantOf(placedWaitlist, b.variant_id));
    expect(await units(h, a.sku)).toEqual({ ...before.a, open_units: before.a.open_units - 2, canceled_units: before.a.canceled_units + 2 });
    expect(await units(h, b.sku)).toEqual(before.b);
    expect(await preOrder(h, order.reference)).toEqual(res.body.data);
  });

  it('sets the order cancelled_at and cancel_reason once every line is cancelled', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launched(h);
    const [a, b] = live.availability.variants;
    const order = await place(h, 'all@example.com', [{ variant_id: a.variant_id, quantity: 1 }, { variant_id: b.variant_id, quantity: 1 }]);

    expect((await cancel(h, order, { reason: 'CUSTOMER', line_item_ids: [order.line_items[0].id] })).status).toBe(200);
    await h.control('POST', '/__sim/clock/advance', { seconds: 300 });
    const at = await now(h);
    const last = await cancel(h, order, { reason: 'MERCHANT', line_item_ids: [order.line_items[1].id] });
    expect(last.status).toBe(200);
    expect(last.body.data.cancelled_at).toBe(at);
    expect(last.body.data.cancel_reason).toBe('MERCHANT');
    expect(last.body.data.line_items.every((l: any) => l.cancelled)).toBe(true);

    // Without line ids, every open line goes at once.
    const whole = await place(h, 'whole@example.com', [{ variant_id: a.variant_id, quantity: 2 }, { variant_id: b.variant_id, quantity: 1 }]);
    const all = await cancel(h, whole, { reason: 'FRAUD' });
    expect(all.status).toBe(200);
    expect(all.body.data.cancelled_at).toBe(at);
    expect(all.body.data.cancel_reason).toBe('FRAUD');
    expect(all.body.data.line_items.map((l: any) => [l.cancelled, l.cancelled_at])).toEqual([[true, at], [true, at]]);
    expect(await units(h, a.sku)).toEqual({ open_units: 0, canceled_units: 1 + 2, exported_units: 0 });
    expect(variantOf(await waitlist(h, live.id), a.variant_id)).toMatchObject({ committed: 0, available: a.buy_size });
  });

  it('refuses a line that is already cancelled with 409 LINE_ITEM_ALREADY_CANCELLED', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launched(h);
    const [a, b] = live.availability.variants;
    const order = await place(h, 'twice@example.com', [{ variant_id: a.variant_id, quantity: 1 }, { variant_id: b.variant_id, quantity: 1 }]);
    expect((await cancel(h, order, { reason: 'CUSTOMER', line_item_ids: [order.line_items[0].id] })).status).toBe(200);
    const figures = await units(h, a.sku);

    const again = await cancel(h, order, { reason: 'CUSTOMER', line_item_ids: [order.line_items[0].id] });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('LINE_ITEM_ALREADY_CANCELLED');
    expect(await units(h, a.sku)).toEqual(figures);
    expect((await preOrder(h, order.reference)).line_items[1].cancelled).toBe(false);
  });

  it('refuses an exported line with 409 LINE_ITEM_ALREADY_EXPORTED and changes nothing', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launched(h);
    const [a] = live.availability.variants;
    const order = await place(h, 'shipped@example.com', [{ variant_id: a.variant_id, quantity: 2 }]);
    expect((await h.privatePost('/admin/api/v1/inventory', { sku: a.sku, available_units: 2 })).status).toBe(201);
    const exported = await preOrder(h, order.reference);
    expect(exported.line_items[0].shopify_line_item_id).not.toBeNull();
    const figures = { units: await units(h, a.sku), waitlist: await waitlist(h, live.id) };

    const byLine = await cancel(h, order, { reason: 'CUSTOMER', line_item_ids: [order.line_items[0].id] });
    expect(byLine.status).toBe(409);
    expect(byLine.body.error.code).toBe('LINE_ITEM_ALREADY_EXPORTED');
    const whole = await cancel(h, order, { reason: 'CUSTOMER' });
    expect(whole.status).toBe(409);
    expect(whole.body.error.code).toBe('LINE_ITEM_ALREADY_EXPORTED');

    expect(await preOrder(h, order.reference)).toEqual(exported);
    expect(await units(h, a.sku)).toEqual(figures.units);
    expect(await waitlist(h, live.id)).toEqual(figures.waitlist);
  });

  it('cancels only the open lines of a partly exported pre-order when no line ids are given', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launched(h);
    const [a, b] = live.availability.variants;
    const order = await place(h, 'partly@example.com', [{ variant_id: a.variant_id, quantity: 1 }, { variant_id: b.variant_id, quantity: 2 }]);
    expect((await h.privatePost('/admin/api/v1/inventory', { sku: a.sku, available_units: 1 })).status).toBe(201);

    // "Cancels the given open line items, or every open line when line_item_ids is omitted."
    const res = await cancel(h, order, { reason: 'CUSTOMER' });
    expect(res.status).toBe(200);
    expect(res.body.data.line_items.map((l: any) => [l.cancelled, l.shopify_line_item_id !== null])).toEqual([[false, true], [true, false]]);
    expect(res.body.data.cancelled_at).toBeNull();
    expect(await units(h, b.sku)).toEqual({ open_units: 0, canceled_units: 2, exported_units: 0 });
    expect(await units(h, a.sku)).toEqual({ open_units: 0, canceled_units: 0, exported_units: 1 });
  });

  it('happens to every open line of a waitlist when it closes, with reason WAITLIST_CLOSED', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launched(h);
    const [a, b] = live.availability.variants;
    const allOpen = await place(h, 'open@example.com', [{ variant_id: a.variant_id, quantity: 1 }]);
    const mixed = await place(h, 'mixed@example.com', [{ variant_id: a.variant_id, quantity: 2 }, { variant_id: b.variant_id, quantity: 1 }]);
    const earlier = await place(h, 'earlier@example.com', [{ variant_id: b.variant_id, quantity: 1 }]);
    expect((await cancel(h, earlier, { reason: 'CUSTOMER' })).status).toBe(200);
    // The mixed order's line of b exports; its line of a stays open.
    expect((await h.privatePost('/admin/api/v1/inventory', { sku: b.sku, available_units: 1 })).status).toBe(201);
    const before = { a: await units(h, a.sku), b: await units(h, b.sku) };
    await h.control('POST', '/__sim/clock/advance', { seconds: 3600 });
    const at = await now(h);

    const closed = await h.control('PATCH', `/__sim/waitlists/${live.id}`, { state: 'CLOSED' });
    expect(closed.status).toBe(200);
    expect(closed.body.data.state).toBe('CLOSED');

    const openAfter = await preOrder(h, allOpen.reference);
    expect(openAfter.cancelled_at).toBe(at);
    expect(openAfter.cancel_reason).toBe('WAITLIST_CLOSED');
    expect(openAfter.line_items[0]).toMatchObject({ cancelled: true, cancelled_at: at });

    const mixedAfter = await preOrder(h, mixed.reference);
    expect(mixedAfter.line_items.map((l: any) => l.cancelled)).toEqual([true, false]);
    expect(mixedAfter.line_items[1].shopify_line_item_id).not.toBeNull();
    expect(mixedAfter.cancelled_at).toBeNull();

    const earlierAfter = await preOrder(h, earlier.reference);
    expect(earlierAfter.cancel_reason).toBe('CUSTOMER');
    expect(earlierAfter.cancelled_at).not.toBe(at);

    expect(await units(h, a.sku)).toEqual({ open_units: 0, canceled_units: before.a.canceled_units + before.a.open_units, exported_units: before.a.exported_units });
    expect(await units(h, b.sku)).toEqual(before.b);
    const closedWaitlist = await waitlist(h, live.id);
    expect(variantOf(closedWaitlist, a.variant_id).committed).toBe(0);
    expect(variantOf(closedWaitlist, b.variant_id).committed).toBe(before.b.exported_units);
  });
});
