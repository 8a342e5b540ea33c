import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.ts';
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

describe('cursors in update order carry their own position', () => {
  const since = { updated_at_min: '2000-01-01T00:00:00.000Z' };
  const token = { 'x-purple-dot-access-token': privateHeaders['X-Purple-Dot-Access-Token'] };
  type Line = { id: string; cancelled: boolean; shopify_line_item_id: string | null };
  type Listed = { status: number; body: { data: { orders: { id: string; line_items: Line[] }[]; starting_after: string | null }; error?: { details: { field: string }[] } } };
  const pageOf = (engine: ReturnType<typeof createEngine>, query: Record<string, string>): Listed =>
    engine.dispatchRaw('listPreOrders', { query, headers: token }) as unknown as Listed;

  it('resumes a walk after other clients have been served 12,000 pages and the cursor order has changed', () => {
    const engine = createEngine({ scenario: 'on-preorder', journalSize: 0 });
    const everything = pageOf(engine, { ...since, limit: '100' }).body.data.orders.map((o) => o.id);
    const first = pageOf(engine, { ...since, limit: '5' });
    const seen = first.body.data.orders.map((o) => o.id);
    // The page's last order changes, so it moves to the end of update order: its ID no longer says where the walk was.
    const cursorOrder = first.body.data.orders[4]!;
    const open = cursorOrder.line_items.find((l) => !l.cancelled && !l.shopify_line_item_id)!;
    expect(engine.dispatchRaw('cancelPreOrder', { path: { id: cursorOrder.id }, body: { reason: 'CUSTOMER', line_item_ids: [open.id] } }).status).toBe(200);
    // Other clients page with ranges of their own: a server that kept one entry per served page forgot this walk.
    for (let i = 0; i < 12_000; i += 1) pageOf(engine, { updated_at_min: new Date(946_684_800_000 + i).toISOString(), limit: '1' });
    let after = first.body.data.starting_after;
    while (after) {
      const page = pageOf(engine, { ...since, limit: '5', starting_after: after });
      expect(page.status).toBe(200);
      seen.push(...page.body.data.orders.map((o) => o.id));
      after = page.body.data.starting_after;
    }
    // The changed order is met again at the end, where its update moved it; none is missed.
    expect([...new Set(seen)].sort()).toEqual([...everything].sort());
    engine.close();
  });

  it('resumes in another simulator loaded from the same snapshot, after the cursor order changed there', async () => {
    const h = await fresh('on-preorder');
    const other = await fresh('on-preorder');
    const everything = (await listAll(h, since)).map((o) => o.id);
    const first = await h.privateGet('/admin/api/v1/pre-orders', { ...since, limit: 3 });
    expect((await other.request('PUT', '/__sim/snapshot', { body: await snapshot(h) })).status).toBe(200);
    const cursorOrder = first.body.data.orders[2];
    const open = cursorOrder.line_items.find((l: { cancelled: boolean; shopify_line_item_id: string | null }) => !l.cancelled && !l.shopify_line_item_id);
    expect((await cancel(other, cursorOrder, { reason: 'CUSTOMER', line_item_ids: [open.id] })).status).toBe(200);
    const seen = new Set<string>(first.body.data.orders.map((o: { id: string }) => o.id));
    let after: string | null = first.body.data.starting_after;
    while (after) {
      const page = await other.privateGet('/admin/api/v1/pre-orders', { ...since, limit: 3, starting_after: after });
      expect(page.status).toBe(200);
      for (const o of page.body.data.orders) seen.add(o.id);
      after = page.body.data.starting_after;
    }
    expect([...seen].sort()).toEqual([...everything].sort());
  });

  it('refuses an altered cursor, one of another time range and one of another store with 400 naming starting_after', () => {
    const engine = createEngine({ scenario: 'on-preorder', journalSize: 0 });
    const stranger = createEngine({ scenario: 'on-preorder', journalSize: 0, credentials: { private_access_token: 'pd_sim_another_store_token' } });
    const cursor = pageOf(engine, { ...since, limit: '2' }).body.data.starting_after!;
    const altered = `${cursor.slice(0, 35)}${cursor[35] === '0' ? '1' : '0'}`;
    const foreign = stranger.dispatchRaw('listPreOrders', { query: { ...since, limit: '2' }, headers: { 'x-purple-dot-access-token': 'pd_sim_another_store_token' } }) as unknown as Listed;
    const refusals = [
      pageOf(engine, { ...since, limit: '2', starting_after: altered }),
      pageOf(engine, { updated_at_min: '2000-01-01T00:00:00.001Z', limit: '2', starting_after: cursor }),
      pageOf(engine, { ...since, limit: '2', starting_after: foreign.body.data.starting_after! }),
      // A cursor of update order means nothing in creation order.
      pageOf(engine, { limit: '2', starting_after: cursor }),
    ];
    for (const refused of refusals) {
      expect(refused.status).toBe(400);
      expect(refused.body.error!.details.map((d) => d.field)).toEqual(['starting_after']);
    }
    expect(pageOf(engine, { ...since, limit: '2', starting_after: cursor }).status).toBe(200);
    engine.close();
    stranger.close();
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


describe('SKUs that look like object properties', () => {
  it('counts units of a SKU named constructor like any unknown SKU', async () => {
    const h = await fresh('on-preorder');
    for (const sku of ['constructor', 'hasOwnProperty', '__proto__']) {
      const res = await h.privateGet(`/admin/api/v1/pre-orders/count-units/sku/${sku}`);
      expect(res.status, sku).toBe(200);
      expect(res.body.data).toMatchObject({ sku, open_units: 0, canceled_units: 0, exported_units: 0 });
    }
  });
});

describe('the end of time', () => {
  it('refuses to advance the clock past year 9999 and keeps its time', async () => {
    const h = await fresh('on-preorder');
    const last = '9999-12-31T23:59:59.000Z';
    expect((await h.control('PUT', '/__sim/clock', { now: last })).status).toBe(200);
    const res = await h.control('POST', '/__sim/clock/advance', { seconds: 1 });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('seconds');
    expect((await h.control('GET', '/__sim/clock')).body.data.now).toBe(last);
  });
});

describe('paging by update time to the end and polling again', () => {
  it('finds a change to the last pre-order served when polling after the final page', async () => {
    const h = await fresh('on-preorder');
    const since = { updated_at_min: '2000-01-01T00:00:00.000Z' };
    const all = await listAll(h, since);
    const last = all[all.length - 1];
    const open = all.find((o) => o.id !== last.id && o.line_items.some((l: { cancelled: boolean }) => !l.cancelled))!;
    const line = open.line_items.find((l: { cancelled: boolean }) => !l.cancelled);
    expect((await cancel(h, open, { reason: 'CUSTOMER', line_item_ids: [line.id] })).status).toBe(200);
    const poll = await h.privateGet('/admin/api/v1/pre-orders', { ...since, starting_after: last.id });
    expect(poll.body.data.orders.map((o: { id: string }) => o.id)).toEqual([open.id]);
  });
});

describe('snapshot import checks the state holds together', () => {
  type Store = { [key: string]: any };
  const storeOf = (snap: { stores: Record<string, Store> }): Store => Object.values(snap.stores)[0]!;
  const cases: [string, string, (store: Store) => void][] = [
    ['ready-to-fulfil', 'an exported order naming a line that does not exist', (s) => { s.pre_orders[0].exported_orders[0].line_item_ids = ['nope']; }],
    ['on-preorder', 'a waitlist of an unknown product', (s) => { s.waitlists[0].product_id = 'nope'; }],
    ['on-preorder', 'a variant of an unknown product', (s) => { s.variants[0].product_id = 'nope'; }],
    ['on-preorder', 'pre-orders out of creation order', (s) => { s.pre_orders.reverse(); }],
    ['on-preorder', 'an update counter below the updates in use', (s) => { s.counters.updates = 0; }],
    ['on-preorder', 'an ID counter that would hand out IDs again', (s) => { s.counters.ids = 0; }],
  ];
  it.each(cases)('refuses a %s snapshot with %s, keeping the current state', async (scenario, _what, spoil) => {
    const h = await fresh(scenario);
    const good = await snapshot(h);
    const bad = structuredClone(good);
    spoil(storeOf(bad));
    const res = await h.request('PUT', '/__sim/snapshot', { body: bad });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_SNAPSHOT');
    expect(await snapshot(h)).toEqual(good);
  });
});

describe('times given with an offset', () => {
  it('are kept and shown in UTC with milliseconds', async () => {
    const h = await fresh('on-preorder');
    const product = h.sim.engine.defaultStore().state.data.products[0]!;
    const res = await h.control('POST', '/__sim/waitlists', {
      product_id: product.id,
      earliest_ship_date: '2026-03-01T10:00:00+02:00',
      latest_ship_date: '2026-03-15T10:00:00.5+02:00',
      variants: [{ variant_id: product.variant_ids[0], buy_size: 1 }],
    });
    expect(res.status).toBe(201);
    expect(res.body.data.earliest_ship_date).toBe('2026-03-01T08:00:00.000Z');
    expect(res.body.data.latest_ship_date).toBe('2026-03-15T08:00:00.500Z');
  });
});
