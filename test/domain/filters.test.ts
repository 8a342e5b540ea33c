import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/simulator.ts';
import { advance, count, fresh, launched, listAll, now, placeThenTick, type Query } from '../support/steps.ts';

const ids = (orders: any[]): string[] => orders.map((o) => o.id);
const lineState = (line: any): string => (line.cancelled ? 'cancelled' : line.shopify_line_item_id !== null ? 'exported' : 'open');

/** Checks the list and the count under `filter` against the full list filtered here. */
async function expectFilter(h: Harness, filter: Query, all: any[], keep: (order: any) => boolean): Promise<any[]> {
  const listed = await listAll(h, filter, 5);
  const expected = all.filter(keep);
  expect(ids(listed), JSON.stringify(filter)).toEqual(ids(expected));
  expect(await count(h, filter), JSON.stringify(filter)).toBe(expected.length);
  return listed;
}

describe('pre-order list filters on a store with open, cancelled, exported and mixed orders', () => {
  let h: Harness;
  let all: any[];
  let changedFrom: string;
  let mixed: any;
  let touched: { exportRun: string[]; cancelledLast: any; placedLast: any };

  beforeAll(async () => {
    h = await startHarness({ scenario: 'mixed-catalogue' });
    const waitlists = (await h.privateGet('/admin/api/v1/waitlists', { limit: 100 })).body.data.waitlists;
    const live = waitlists.find((w: any) => w.state === 'LIVE' && w.availability.variants.length >= 2 && w.availability.variants.every((v: any) => v.available > 2));
    const [a, b] = live.availability.variants;
    await advance(h, 3600);
    changedFrom = await now(h);
    mixed = (await h.control('POST', '/__sim/pre-orders', { email: 'Mixed.Case@Example.com', lines: [{ variant_id: a.variant_id, quantity: 1 }, { variant_id: b.variant_id, quantity: 1 }] })).body.data;
    await advance(h, 60);
    await h.control('POST', `/__sim/pre-orders/${mixed.id}/cancel`, { reason: 'CUSTOMER', line_item_ids: [mixed.line_items[1].id] });
    await advance(h, 60);
    const exportedBefore = new Set(ids((await listAll(h)).filter((o) => o.line_items.some((l: any) => l.shopify_line_item_id !== null && l.sku === a.sku))));
    const open = (await h.privateGet(`/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent(a.sku)}`)).body.data.open_units;
    const level = (await h.privatePost('/admin/api/v1/inventory', { sku: a.sku, available_units: 0 })).body.data.available_units;
    await h.privatePost('/admin/api/v1/inventory', { sku: a.sku, available_units: level + open });
    const exportRun = ids((await listAll(h)).filter((o) => !exportedBefore.has(o.id) && o.line_items.some((l: any) => l.shopify_line_item_id !== null && l.sku === a.sku)));
    await advance(h, 60);
    const cancelledLast = (await listAll(h)).find((o) => o.line_items.every((l: any) => lineState(l) === 'open'));
    await h.control('POST', `/__sim/pre-orders/${cancelledLast.id}/cancel`, { reason: 'MERCHANT' });
    await advance(h, 60);
    const placedLast = (await h.control('POST', '/__sim/pre-orders', { email: 'late@example.com', lines: [{ variant_id: b.variant_id, quantity: 2 }] })).body.data;
    touched = { exportRun, cancelledLast, placedLast };
    all = await listAll(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('has an order with one cancelled and one exported line to tell all_line_items from some_line_item', () => {
    const found = all.find((o) => o.id === mixed.id);
    expect(found.line_items.map(lineState)).toEqual(['exported', 'cancelled']);
    expect(touched.exportRun).toContain(mixed.id);
  });

  it('created_at_min keeps the pre-orders created at or after the time', async () => {
    const min = all[Math.floor(all.length / 3)].created_at;
    const listed = await expectFilter(h, { created_at_min: min }, all, (o) => Date.parse(o.created_at) >= Date.parse(min));
    expect(listed.length).toBeLessThan(all.length);
    expect(listed[0].created_at).toBe(min);
  });

  it('updated_at_min keeps the pre-orders changed at or after the time, ordered by update time', async () => {
    const listed = await listAll(h, { updated_at_min: changedFrom }, 2);
    const expected = new Set([...touched.exportRun, touched.cancelledLast.id, touched.placedLast.id]);
    expect(new Set(ids(listed))).toEqual(expected);
    expect(listed).toHaveLength(expected.size);
    // The export ran before the last cancellation, which came before the last placement.
    expect(ids(listed).slice(-2)).toEqual([touched.cancelledLast.id, touched.placedLast.id]);
    expect(await count(h, { updated_at_min: changedFrom })).toBe(expected.size);
  });

  it('updated_at_max keeps the pre-orders not changed after the time', async () => {
    const before = new Date(Date.parse(changedFrom) - 1).toISOString();
    const changed = new Set([...touched.exportRun, touched.cancelledLast.id, touched.placedLast.id]);
    const listed = await expectFilter(h, { updated_at_max: before }, all, (o) => !changed.has(o.id));
    expect(listed.length).toBeGreaterThan(0);
  });

  it('references keeps exactly the listed references', async () => {
    const picked = [all[all.length - 1], all[0], all[2]];
    const wanted = new Set(picked.map((o) => o.reference));
    const listed = await expectFilter(h, { references: [...wanted, '#PD0000000'].join(',') }, all, (o) => wanted.has(o.reference));
    expect(listed).toHaveLength(3);
  });

  it('skus keeps the pre-orders with a line of any listed SKU', async () => {
    const skus = [...new Set(all.flatMap((o) => o.line_items.map((l: any) => l.sku)))] as string[];
    expect(skus.length).toBeGreaterThan(2);
    const wanted = new Set(skus.slice(1, 3));
    const listed = await expectFilter(h, { skus: [...wanted].join(',') }, all, (o) => o.line_items.some((l: any) => wanted.has(l.sku)));
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.length).toBeLessThan(all.length);
  });

  it('email keeps the pre-orders of that email, compared case-insensitively', async () => {
    const listed = await expectFilter(h, { email: mixed.customer.email.toUpperCase() }, all, (o) => o.customer.email.toLowerCase() === mixed.customer.email.toLowerCase());
    expect(ids(listed)).toEqual([mixed.id]);
    const someone = all[1].customer.email;
    await expectFilter(h, { email: someone.toUpperCase() }, all, (o) => o.customer.email.toLowerCase() === someone.toLowerCase());
  });

  it('all_line_items keeps the pre-orders whose every line is in one of the states', async () => {
    for (const states of [['cancelled'], ['exported'], ['cancelled', 'exported']]) {
      const listed = await expectFilter(h, { all_line_items: states.join(',') }, all, (o) => o.line_items.every((l: any) => states.includes(lineState(l))));
      expect(listed.length, states.join(',')).toBeGreaterThan(0);
    }
    expect(ids(await listAll(h, { all_line_items: 'cancelled,exported' }))).toContain(mixed.id);
    expect(ids(await listAll(h, { all_line_items: 'exported' }))).not.toContain(mixed.id);
  });

  it('reads a list of line states with spaces around its commas as the same list', async () => {
    expect(ids(await listAll(h, { all_line_items: 'cancelled , exported' }))).toEqual(ids(await listAll(h, { all_line_items: 'cancelled,exported' })));
    expect(await count(h, { some_line_item: ' exported, cancelled' })).toBe(await count(h, { some_line_item: 'exported,cancelled' }));
  });

  it('some_line_item keeps the pre-orders with a line in one of the states', async () => {
    for (const states of [['cancelled'], ['exported'], ['exported', 'cancelled']]) {
      const listed = await expectFilter(h, { some_line_item: states.join(',') }, all, (o) => o.line_items.some((l: any) => states.includes(lineState(l))));
      expect(listed.length, states.join(',')).toBeGreaterThan(0);
      expect(ids(listed), states.join(',')).toContain(mixed.id);
    }
  });

  it('continues after the cursor when starting_after is a pre-order outside the email filter, never paging back', async () => {
    const own = await fresh('scheduled-launch');
    const line = { variant_id: (await launched(own)).availability.variants[0].variant_id, quantity: 1 };
    const before = await placeThenTick(own, 'repeat@example.com', [line]);
    const cursor = await placeThenTick(own, 'someone.else@example.com', [line]);
    const after = [await placeThenTick(own, 'Repeat@Example.com', [line]), await placeThenTick(own, 'repeat@example.com', [line])];
    const res = await own.privateGet('/admin/api/v1/pre-orders', { email: 'repeat@example.com', starting_after: cursor.id });
    expect(res.status).toBe(200);
    expect(ids(res.body.data.orders)).toEqual(ids(after));
    expect(ids(res.body.data.orders)).not.toContain(before.id);
  });

  it('answers 400 naming both when all_line_items and some_line_item are combined', async () => {
    const filter = { all_line_items: 'cancelled', some_line_item: 'exported' };
    for (const path of ['/admin/api/v1/pre-orders', '/admin/api/v1/pre-orders/count']) {
      const res = await h.privateGet(path, filter);
      expect(res.status, path).toBe(400);
      const fields = res.body.error.details.map((d: any) => d.field);
      expect(fields, path).toEqual(expect.arrayContaining(['all_line_items', 'some_line_item']));
    }
  });
});

describe('the update time of a pre-order', () => {
  it('moves when a line is cancelled, so updated_at_min finds the order', async () => {
    const h = await fresh('on-preorder');
    await advance(h, 3600);
    const from = await now(h);
    expect(await listAll(h, { updated_at_min: from })).toEqual([]);
    const oldest = (await listAll(h)).find((o) => o.cancelled_at === null);
    expect((await h.control('POST', `/__sim/pre-orders/${oldest.id}/cancel`, { reason: 'CUSTOMER' })).status).toBe(200);
    expect(ids(await listAll(h, { updated_at_min: from }))).toEqual([oldest.id]);
    expect(await count(h, { updated_at_min: from })).toBe(1);
  });

  it('moves when lines are exported, so updated_at_min finds the exported orders', async () => {
    const h = await fresh('on-preorder');
    const before = await listAll(h);
    const sku = before.find((o) => o.cancelled_at === null).line_items[0].sku;
    await advance(h, 3600);
    const from = await now(h);
    const open = (await h.privateGet(`/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent(sku)}`)).body.data.open_units;
    expect(open).toBeGreaterThan(0);
    expect((await h.privatePost('/admin/api/v1/inventory', { sku, available_units: open })).status).toBe(201);
    const exported = (await listAll(h)).filter((o) => o.exported_orders.length > 0);
    expect(exported.length).toBeGreaterThan(0);
    expect(new Set(ids(await listAll(h, { updated_at_min: from })))).toEqual(new Set(ids(exported)));
    expect(await count(h, { updated_at_min: from })).toBe(exported.length);
  });

  it('moves when the order is refunded, so updated_at_min finds it', async () => {
    const h = await fresh('refund-window');
    const target = (await listAll(h, { some_line_item: 'exported' })).find((o) => o.total_refunded === '0.00');
    await advance(h, 3600);
    const from = await now(h);
    expect(await listAll(h, { updated_at_min: from })).toEqual([]);
    const res = await h.privatePost('/admin/api/v1/refund', { id: 'appease', order: target.exported_orders[0].id, amount: '1.00', currency: target.currency });
    expect(res.status).toBe(201);
    expect(ids(await listAll(h, { updated_at_min: from }))).toEqual([target.id]);
  });

  it('moves when a pre-order is placed, so updated_at_min finds the new order', async () => {
    const h = await fresh('on-preorder');
    const variant = (await h.privateGet('/admin/api/v1/waitlists')).body.data.waitlists[0].availability.variants[0];
    await advance(h, 3600);
    const from = await now(h);
    const placed = (await h.control('POST', '/__sim/pre-orders', { email: 'new@example.com', lines: [{ variant_id: variant.variant_id, quantity: 1 }] })).body.data;
    expect(ids(await listAll(h, { updated_at_min: from }))).toEqual([placed.id]);
  });

  it('orders the list by update time when updated_at_min is given', async () => {
    const h = await fresh('on-preorder');
    const open = (await listAll(h)).filter((o) => o.cancelled_at === null);
    const [oldest, middle, newest] = [open[0], open[Math.floor(open.length / 2)], open[open.length - 1]];
    const variants = (await h.privateGet('/admin/api/v1/waitlists')).body.data.waitlists[0].availability.variants;
    await advance(h, 3600);
    const from = await now(h);
    const cancel = async (order: any, lineIds?: string[]) => {
      expect((await h.control('POST', `/__sim/pre-orders/${order.id}/cancel`, { reason: 'CUSTOMER', ...(lineIds ? { line_item_ids: lineIds } : {}) })).status).toBe(200);
      await advance(h, 60);
    };
    await cancel(newest);
    const twoLines = (await h.control('POST', '/__sim/pre-orders', { email: 'two@example.com', lines: [{ variant_id: variants[0].variant_id, quantity: 1 }, { variant_id: variants[1].variant_id, quantity: 1 }] })).body.data;
    await advance(h, 60);
    await cancel(oldest);
    const midpoint = await now(h);
    await cancel(middle);
    // Changed again: the order moves to the end and appears once.
    await cancel(twoLines, [twoLines.line_items[0].id]);

    const expected = [newest.id, oldest.id, middle.id, twoLines.id];
    expect(ids(await listAll(h, { updated_at_min: from }))).toEqual(expected);
    expect(ids(await listAll(h, { updated_at_min: from }, 1))).toEqual(expected);
    expect(ids(await listAll(h, { updated_at_min: midpoint }))).toEqual([middle.id, twoLines.id]);
    expect(await count(h, { updated_at_min: from })).toBe(expected.length);
    // Without updated_at_min the order stays creation order.
    expect(ids((await listAll(h)).filter((o) => expected.includes(o.id)))).toEqual([oldest.id, middle.id, newest.id, twoLines.id]);
  });
});
