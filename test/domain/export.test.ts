import { describe, expect, it } from 'vitest';
import { signShopperToken } from '../../src/client/shopper-token.ts';
import { credentials, type Harness } from '../support/simulator.ts';
import { fresh, launchedWithBuySize, now, placeThenTick, postInventory, preOrder, units } from '../support/steps.ts';

const isExported = (order: any): boolean[] => order.line_items.map((l: any) => l.shopify_line_item_id !== null);

/** Switches the store to the older reading of POST /inventory, where a change of the value moves the budget. */
async function useDifferenceMode(h: Harness): Promise<void> {
  const res = await h.control('PATCH', '/__sim/settings', { inventory_mode: 'difference' });
  expect(res.status).toBe(200);
  expect(res.body.data.inventory_mode).toBe('difference');
}

async function fulfillmentOrders(h: Harness, query: Record<string, string> = {}): Promise<any[]> {
  const res = await h.privateGet('/admin/api/v1/fulfillment-orders', { limit: 250, ...query });
  expect(res.status).toBe(200);
  return res.body.data.fulfillment_orders;
}

describe('exporting on POST /inventory', () => {
  it('exports open units of the SKU oldest first, whole lines only, stopping at the first line that does not fit', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launchedWithBuySize(h, 20);
    const [a, b] = live.availability.variants;
    const other = await placeThenTick(h, 'other@example.com', [{ variant_id: b.variant_id, quantity: 1 }]);
    const first = await placeThenTick(h, 'first@example.com', [{ variant_id: a.variant_id, quantity: 2 }]);
    const second = await placeThenTick(h, 'second@example.com', [{ variant_id: a.variant_id, quantity: 3 }]);
    const third = await placeThenTick(h, 'third@example.com', [{ variant_id: a.variant_id, quantity: 1 }]);

    // 4 units: the first line (2) fits, the second (3) does not, so the third (1) waits although it would fit.
    await postInventory(h, a.sku, 4);
    expect(isExported(await preOrder(h, first.reference))).toEqual([true]);
    expect(isExported(await preOrder(h, second.reference))).toEqual([false]);
    expect(isExported(await preOrder(h, third.reference))).toEqual([false]);
    expect(isExported(await preOrder(h, other.reference))).toEqual([false]);
    expect(await units(h, a.sku)).toEqual({ open_units: 3 + 1, canceled_units: 0, exported_units: 2 });
    expect(await units(h, b.sku)).toEqual({ open_units: 1, canceled_units: 0, exported_units: 0 });

    // Enough units for everything left exports the rest in order.
    await postInventory(h, a.sku, 4 + 3 + 1);
    for (const order of [first, second, third]) expect(isExported(await preOrder(h, order.reference))).toEqual([true]);
    expect(await units(h, a.sku)).toEqual({ open_units: 0, canceled_units: 0, exported_units: 2 + 3 + 1 });
  });

  it('skips cancelled lines when it looks for the oldest open one', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launchedWithBuySize(h, 20);
    const [a] = live.availability.variants;
    const cancelled = await placeThenTick(h, 'gone@example.com', [{ variant_id: a.variant_id, quantity: 1 }]);
    const kept = await placeThenTick(h, 'kept@example.com', [{ variant_id: a.variant_id, quantity: 1 }]);
    expect((await h.control('POST', `/__sim/pre-orders/${cancelled.id}/cancel`, { reason: 'CUSTOMER' })).status).toBe(200);
    await postInventory(h, a.sku, 1);
    expect(isExported(await preOrder(h, kept.reference))).toEqual([true]);
    expect(isExported(await preOrder(h, cancelled.reference))).toEqual([false]);
    expect(await units(h, a.sku)).toEqual({ open_units: 0, canceled_units: 1, exported_units: 1 });
  });

  it('exports nothing more when the same level is posted again', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launchedWithBuySize(h, 20);
    const [a] = live.availability.variants;
    for (let i = 0; i < 4; i += 1) await placeThenTick(h, `same${i}@example.com`, [{ variant_id: a.variant_id, quantity: 1 }]);
    await postInventory(h, a.sku, 2);
    const after = { units: await units(h, a.sku), fulfillment: await fulfillmentOrders(h) };
    expect(after.units.exported_units).toBe(2);

    await postInventory(h, a.sku, 2);
    await postInventory(h, a.sku, 2);
    expect(await units(h, a.sku)).toEqual(after.units);
    expect(await fulfillmentOrders(h)).toEqual(after.fulfillment);
  });

  it('exports the difference when the level is raised, in inventory_mode "difference"', async () => {
    const h = await fresh('scheduled-launch');
    await useDifferenceMode(h);
    const live = await launchedWithBuySize(h, 20);
    const [a] = live.availability.variants;
    const first = await placeThenTick(h, 'r1@example.com', [{ variant_id: a.variant_id, quantity: 2 }]);
    const second = await placeThenTick(h, 'r2@example.com', [{ variant_id: a.variant_id, quantity: 3 }]);
    const third = await placeThenTick(h, 'r3@example.com', [{ variant_id: a.variant_id, quantity: 1 }]);

    await postInventory(h, a.sku, 2);
    expect([isExported(await preOrder(h, first.reference)), isExported(await preOrder(h, second.reference))]).toEqual([[true], [false]]);
    await postInventory(h, a.sku, 2 + 3);
    expect([isExported(await preOrder(h, second.reference)), isExported(await preOrder(h, third.reference))]).toEqual([[true], [false]]);
    expect(await units(h, a.sku)).toEqual({ open_units: 1, canceled_units: 0, exported_units: 2 + 3 });
    await postInventory(h, a.sku, 2 + 3 + 1);
    expect(isExported(await preOrder(h, third.reference))).toEqual([true]);
  });

  it('exports what a new value makes available after the level was lowered to 0', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launchedWithBuySize(h, 20);
    const [a] = live.availability.variants;
    for (let i = 0; i < 4; i += 1) await placeThenTick(h, `low${i}@example.com`, [{ variant_id: a.variant_id, quantity: 1 }]);

    await postInventory(h, a.sku, 1);
    expect((await units(h, a.sku)).exported_units).toBe(1);
    await postInventory(h, a.sku, 0);
    expect((await units(h, a.sku)).exported_units).toBe(1);
    // 2 units available now: 2 more export, whatever was exported before (in either inventory mode).
    await postInventory(h, a.sku, 2);
    expect(await units(h, a.sku)).toEqual({ open_units: 4 - 1 - 2, canceled_units: 0, exported_units: 1 + 2 });
  });

  it('takes units away from what is left to export when the level is lowered, in inventory_mode "difference"', async () => {
    const h = await fresh('scheduled-launch');
    await useDifferenceMode(h);
    const live = await launchedWithBuySize(h, 20);
    const [a] = live.availability.variants;
    await placeThenTick(h, 'only@example.com', [{ variant_id: a.variant_id, quantity: 1 }]);
    // 3 units posted, 1 used: 2 are left for later pre-orders until the level drops by 2.
    await postInventory(h, a.sku, 3);
    await postInventory(h, a.sku, 1);
    const later = await placeThenTick(h, 'later@example.com', [{ variant_id: a.variant_id, quantity: 1 }]);
    const run = await h.control('POST', '/__sim/exports/run');
    expect(run.status).toBe(200);
    expect(run.body.data).toEqual({ exported_orders: 0, exported_units: 0 });
    expect(isExported(await preOrder(h, later.reference))).toEqual([false]);
  });

  it('records one exported order per run, numbered PD…/1 and then PD…/2 for a later export of the same pre-order', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launchedWithBuySize(h, 20);
    const [a, b] = live.availability.variants;
    const order = await placeThenTick(h, 'split@example.com', [
      { variant_id: a.variant_id, quantity: 1 },
      { variant_id: b.variant_id, quantity: 2 },
      { variant_id: a.variant_id, quantity: 2 },
    ]);
    expect(order.exported_orders).toEqual([]);

    const firstAt = await now(h);
    await postInventory(h, a.sku, 3);
    const once = await preOrder(h, order.reference);
    expect(once.exported_orders).toHaveLength(1);
    expect(once.exported_orders[0]).toMatchObject({
      order_number: `${order.order_number}/1`,
      type: 'SHOPIFY_ORDER',
      created_at: firstAt,
      line_items: [{ id: order.line_items[0].id }, { id: order.line_items[2].id }],
    });
    expect(once.line_items[0].shopify_line_item_id).not.toBe(once.line_items[2].shopify_line_item_id);
    expect(isExported(once)).toEqual([true, false, true]);

    await h.control('POST', '/__sim/clock/advance', { seconds: 3600 });
    const secondAt = await now(h);
    await postInventory(h, b.sku, 2);
    const twice = await preOrder(h, order.reference);
    expect(twice.exported_orders).toHaveLength(2);
    expect(twice.exported_orders[0]).toEqual(once.exported_orders[0]);
    expect(twice.exported_orders[1]).toMatchObject({
      order_number: `${order.order_number}/2`,
      type: 'SHOPIFY_ORDER',
      created_at: secondAt,
      line_items: [{ id: order.line_items[1].id }],
    });
    expect(twice.exported_orders[1].id).not.toBe(twice.exported_orders[0].id);
    expect(isExported(twice)).toEqual([true, true, true]);
  });

  it('fills the order_id of the shopper view line items with the exported order', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launchedWithBuySize(h, 20);
    const [a, b] = live.availability.variants;
    const email = 'viewer@example.com';
    const order = await placeThenTick(h, email, [{ variant_id: a.variant_id, quantity: 1 }, { variant_id: b.variant_id, quantity: 1 }]);
    await postInventory(h, a.sku, 1);
    const exported = (await preOrder(h, order.reference)).exported_orders[0];

    const nowMs = Date.parse(await now(h));
    const timestamp = Math.floor(nowMs / 1000);
    const token = signShopperToken(email, timestamp, credentials.shared_secret);
    const view = await h.publicGet('/api/v1/pre-orders', { email, timestamp, token });
    expect(view.status).toBe(200);
    const [mine] = view.body.data.orders;
    expect(mine.id).toBe(order.id);
    expect(mine.line_items.map((l: any) => [l.id, l.order_id])).toEqual([
      [order.line_items[0].id, exported.id],
      [order.line_items[1].id, null],
    ]);
  });

  it('creates an UNFULFILLED fulfillment order referenced #PD…-n for each export', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launchedWithBuySize(h, 20);
    const [a, b] = live.availability.variants;
    const order = await placeThenTick(h, 'fo@example.com', [{ variant_id: a.variant_id, quantity: 2 }, { variant_id: b.variant_id, quantity: 1 }]);
    expect(await fulfillmentOrders(h)).toEqual([]);

    const firstAt = await now(h);
    await postInventory(h, a.sku, 2);
    const [first] = await fulfillmentOrders(h, { references: `${order.reference}-1` });
    expect(first).toMatchObject({
      status: 'UNFULFILLED',
      reference: `${order.reference}-1`,
      created_at: firstAt,
      purchased_at: order.created_at,
      currency: order.currency,
      fulfillments: [],
    });
    expect(first.customer.email).toBe(order.customer.email);
    expect(first.line_items.map((l: any) => [l.id, l.sku, l.quantity])).toEqual([[order.line_items[0].id, a.sku, 2]]);
    const byId = await h.privateGet(`/admin/api/v1/fulfillment-orders/${first.id}`);
    expect(byId.status).toBe(200);
    expect(byId.body.data).toEqual(first);

    await h.control('POST', '/__sim/clock/advance', { seconds: 60 });
    await postInventory(h, b.sku, 1);
    const all = await fulfillmentOrders(h);
    expect(all.map((fo) => [fo.reference, fo.status])).toEqual([[`${order.reference}-1`, 'UNFULFILLED'], [`${order.reference}-2`, 'UNFULFILLED']]);
    expect(all[1].line_items.map((l: any) => [l.id, l.quantity])).toEqual([[order.line_items[1].id, 1]]);
  });
});

describe('POST /inventory as the units available now (inventory_mode "replace", the default)', () => {
  it('exports the two pre-orders that arrived after 4 units were posted and exported, when 3 are posted next', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launchedWithBuySize(h, 20);
    const [a] = live.availability.variants;
    const early = [];
    for (let i = 0; i < 4; i += 1) early.push(await placeThenTick(h, `early${i}@example.com`, [{ variant_id: a.variant_id, quantity: 1 }]));
    await postInventory(h, a.sku, 4);
    expect(await units(h, a.sku)).toEqual({ open_units: 0, canceled_units: 0, exported_units: 4 });

    const late = [
      await placeThenTick(h, 'late1@example.com', [{ variant_id: a.variant_id, quantity: 1 }]),
      await placeThenTick(h, 'late2@example.com', [{ variant_id: a.variant_id, quantity: 1 }]),
    ];
    // The platform reserved the 4 exported units and has 3 left: 3 are available now, so both new ones export.
    await postInventory(h, a.sku, 3);
    for (const order of late) expect(isExported(await preOrder(h, order.reference))).toEqual([true]);
    expect(await units(h, a.sku)).toEqual({ open_units: 0, canceled_units: 0, exported_units: 6 });

    // 1 unit is left for a later pre-order when the export job runs; posting 3 again is a no-op.
    await postInventory(h, a.sku, 3);
    const later = await placeThenTick(h, 'later@example.com', [{ variant_id: a.variant_id, quantity: 1 }]);
    expect((await h.control('POST', '/__sim/exports/run')).body.data).toEqual({ exported_orders: 1, exported_units: 1 });
    expect(isExported(await preOrder(h, later.reference))).toEqual([true]);
    const last = await placeThenTick(h, 'last@example.com', [{ variant_id: a.variant_id, quantity: 1 }]);
    expect((await h.control('POST', '/__sim/exports/run')).body.data).toEqual({ exported_orders: 0, exported_units: 0 });
    expect(isExported(await preOrder(h, last.reference))).toEqual([false]);
  });

  it('lowers what is left to export to a lower value posted before anything exported', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launchedWithBuySize(h, 20);
    const [a] = live.availability.variants;
    await postInventory(h, a.sku, 5);
    await postInventory(h, a.sku, 1);
    const first = await placeThenTick(h, 'one@example.com', [{ variant_id: a.variant_id, quantity: 1 }]);
    const second = await placeThenTick(h, 'two@example.com', [{ variant_id: a.variant_id, quantity: 1 }]);
    expect((await h.control('POST', '/__sim/exports/run')).body.data).toEqual({ exported_orders: 1, exported_units: 1 });
    expect([isExported(await preOrder(h, first.reference)), isExported(await preOrder(h, second.reference))]).toEqual([[true], [false]]);
  });

  it('keeps the older difference reading for a store created with inventory_mode "difference"', async () => {
    const h = await fresh('scheduled-launch');
    const created = await h.control('POST', '/__sim/stores', { scenario: 'scheduled-launch', inventory_mode: 'difference' });
    expect(created.status).toBe(201);
    const store = created.body.data;
    expect((await h.control('GET', `/__sim/stores/${store.id}/settings`)).body.data.inventory_mode).toBe('difference');
    // The example under the older reading: posting 3 after 4 takes 1 away and exports nothing.
    const scheduled = h.sim.engine.stores.get(store.id)!.state.data.waitlists.find((w) => w.state === 'SCHEDULED')!;
    await h.control('PUT', `/__sim/stores/${store.id}/clock`, { now: scheduled.launch_date });
    const variant = scheduled.allocations[0]!.variant_id;
    const sku = h.sim.engine.stores.get(store.id)!.state.index.variantsById.get(variant)!.sku;
    const headers = { 'X-Purple-Dot-Access-Token': store.credentials.private_access_token };
    const place = async (email: string) => {
      const res = await h.control('POST', `/__sim/stores/${store.id}/pre-orders`, { email, lines: [{ variant_id: variant, quantity: 1 }] });
      expect(res.status).toBe(201);
      await h.control('POST', `/__sim/stores/${store.id}/clock/advance`, { seconds: 60 });
    };
    for (let i = 0; i < 4; i += 1) await place(`d${i}@example.com`);
    expect((await h.request('POST', '/admin/api/v1/inventory', { body: { sku, available_units: 4 }, headers })).status).toBe(201);
    await place('d4@example.com');
    await place('d5@example.com');
    expect((await h.request('POST', '/admin/api/v1/inventory', { body: { sku, available_units: 3 }, headers })).status).toBe(201);
    const counts = await h.request('GET', `/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent(sku)}`, { headers });
    expect(counts.body.data).toMatchObject({ open_units: 2, exported_units: 4 });
  });
});

describe('POST /__sim/exports/run', () => {
  it('exports pre-orders placed after the stock was posted', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launchedWithBuySize(h, 20);
    const [a] = live.availability.variants;
    await postInventory(h, a.sku, 3);
    expect(await units(h, a.sku)).toEqual({ open_units: 0, canceled_units: 0, exported_units: 0 });

    const late = await placeThenTick(h, 'late@example.com', [{ variant_id: a.variant_id, quantity: 2 }]);
    expect(isExported(await preOrder(h, late.reference))).toEqual([false]);
    const run = await h.control('POST', '/__sim/exports/run');
    expect(run.status).toBe(200);
    expect(run.body.data).toEqual({ exported_orders: 1, exported_units: 2 });
    const exported = await preOrder(h, late.reference);
    expect(exported.exported_orders.map((e: any) => e.order_number)).toEqual([`${late.order_number}/1`]);
    expect((await fulfillmentOrders(h)).map((fo) => fo.reference)).toEqual([`${late.reference}-1`]);

    // One unit is left, too few for a line of 2.
    const tooBig = await placeThenTick(h, 'big@example.com', [{ variant_id: a.variant_id, quantity: 2 }]);
    expect((await h.control('POST', '/__sim/exports/run')).body.data).toEqual({ exported_orders: 0, exported_units: 0 });
    expect(isExported(await preOrder(h, tooBig.reference))).toEqual([false]);
    expect(await units(h, a.sku)).toEqual({ open_units: 2, canceled_units: 0, exported_units: 2 });
  });

  it('puts the lines of one pre-order exported in one run into one exported order, across SKUs', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launchedWithBuySize(h, 20);
    const [a, b] = live.availability.variants;
    await postInventory(h, a.sku, 1);
    await postInventory(h, b.sku, 1);
    const order = await placeThenTick(h, 'both@example.com', [{ variant_id: a.variant_id, quantity: 1 }, { variant_id: b.variant_id, quantity: 1 }]);

    const run = await h.control('POST', '/__sim/exports/run');
    expect(run.status).toBe(200);
    expect(run.body.data.exported_units).toBe(2);
    const exported = await preOrder(h, order.reference);
    expect(isExported(exported)).toEqual([true, true]);
    // "Exported lines of one pre-order in one run form one exported order … and one UNFULFILLED fulfillment order."
    expect(exported.exported_orders.map((e: any) => e.order_number)).toEqual([`${order.order_number}/1`]);
    expect(run.body.data.exported_orders).toBe(1);
    expect(await fulfillmentOrders(h)).toHaveLength(1);
  });
});
