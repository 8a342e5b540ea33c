/**
 * The engine without HTTP: dispatch answers every operation in-process, every change is heard as an event
 * after it commits and in order, scheduled launches fire at their time, and each engine is its own world.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it, vi } from 'vitest';
import {
  createEngine, createSimulator, defineScenario, DEFAULT_CREDENTIALS, type Engine, type EngineEvent,
} from '../../src/index.ts';

/** Header names in any case: the engine reads them as HTTP would. */
const asPrivate = { 'X-Purple-Dot-Access-Token': DEFAULT_CREDENTIALS.private_access_token };

interface Data<T> { data: T }
const dataOf = <T>(answer: { body: unknown }): T => (answer.body as Data<T>).data;

function listen(engine: Engine): EngineEvent[] {
  const heard: EngineEvent[] = [];
  engine.subscribe((event) => heard.push(event));
  return heard;
}

/** One product with three variants on a LIVE waitlist of 5 units each, nothing sold. */
const oneProduct = defineScenario({
  name: 'one-product',
  summary: 'One product with three variants on a LIVE waitlist of 5 units each.',
  build(b) {
    const item = b.product({ id: 'P-1', handle: 'the-shoe', variants: [{ id: 'V-S', sku: 'SHOE-S', title: 'S' }, { id: 'V-M', sku: 'SHOE-M', title: 'M' }, { id: 'V-L', sku: 'SHOE-L', title: 'L' }] });
    b.waitlist(item, 5);
  },
});

describe('engine dispatch', () => {
  it('answers an operation in-process with the same status and body the HTTP API gives', async () => {
    const sim = createSimulator();
    const running = await sim.listen(0);
    try {
      const overHttp = await fetch(`${running.url}/admin/api/v1/pre-orders?limit=3`, { headers: { 'X-Purple-Dot-Access-Token': DEFAULT_CREDENTIALS.private_access_token } });
      const inProcess = createEngine().dispatch('listPreOrders', { headers: asPrivate, query: { limit: 3 } });
      expect(inProcess.status).toBe(overHttp.status);
      expect(inProcess.body).toEqual(await overHttp.json());
    } finally {
      await running.close();
    }
  });

  it('answers refusals as 4xx answers in the error envelope instead of throwing', () => {
    const engine = createEngine();
    const noToken = engine.dispatch('listPreOrders', {});
    expect(noToken.status).toBe(401);
    expect(noToken.body).toMatchObject({ meta: { result: 'error' }, error: { code: 'MISSING_ACCESS_TOKEN' } });
    const badLimit = engine.dispatch('listPreOrders', { headers: asPrivate, query: { limit: 0 } });
    expect(badLimit.status).toBe(400);
    expect(badLimit.body).toMatchObject({ error: { details: [{ field: 'limit' }] } });
  });

  it('sets the Link to the next page from the URL the caller gives', () => {
    const answer = createEngine().dispatch('listPreOrders', { headers: asPrivate, query: { limit: 2 }, url: 'http://shop.test/admin/api/v1/pre-orders?limit=2' });
    const cursor = dataOf<{ starting_after: string }>(answer).starting_after;
    expect(answer.headers.Link).toBe(`<http://shop.test/admin/api/v1/pre-orders?limit=2&starting_after=${cursor}>; rel="next"`);
  });

  it('keeps two engines apart: a pre-order placed in one is not in the other', () => {
    const [one, two] = [createEngine({ scenarios: [oneProduct], scenario: 'one-product' }), createEngine({ scenarios: [oneProduct], scenario: 'one-product' })];
    expect(one.dispatch('placePreOrder', { body: { email: 'a@example.com', lines: [{ variant_id: 'V-S', quantity: 1 }] } }).status).toBe(201);
    const count = (engine: Engine) => dataOf<{ count: number }>(engine.dispatch('countPreOrders', { headers: asPrivate })).count;
    expect([count(one), count(two)]).toEqual([1, 0]);
  });
});

describe('domain events', () => {
  it('tells a subscriber of a placement, then the waitlist units it took, after the change is visible', () => {
    const engine = createEngine({ scenarios: [oneProduct], scenario: 'one-product' });
    const seen: { type: string; orders: number }[] = [];
    engine.subscribe((event) => seen.push({ type: event.type, orders: engine.defaultStore().state.data.pre_orders.length }));
    const placed = dataOf<{ id: string }>(engine.dispatch('placePreOrder', { body: { email: 'a@example.com', lines: [{ variant_id: 'V-S', quantity: 2 }] } }));
    expect(seen).toEqual([{ type: 'pre_order.placed', orders: 1 }, { type: 'waitlist.changed', orders: 1 }]);
    expect(engine.defaultStore().state.data.pre_orders[0]!.id).toBe(placed.id);
  });

  it('follows a pre-order through cancel, export, fulfilment and refund in the order it happened, numbering every event', () => {
    const engine = createEngine({ scenarios: [oneProduct], scenario: 'one-product' });
    const heard = listen(engine);
    const first = dataOf<{ id: string }>(engine.dispatch('placePreOrder', { body: { email: 'a@example.com', lines: [{ variant_id: 'V-S', quantity: 1 }] } }));
    const second = dataOf<{ id: string; line_items: { id: string }[] }>(engine.dispatch('placePreOrder', { body: { email: 'b@example.com', lines: [{ variant_id: 'V-M', quantity: 1 }] } }));
    expect(engine.dispatch('cancelPreOrder', { body: { reason: 'CUSTOMER' }, path: { id: first.id } }).status).toBe(200);
    expect(engine.dispatch('updateInventory', { headers: asPrivate, body: { sku: 'SHOE-M', available_units: 1 } }).status).toBe(201);
    const fo = engine.defaultStore().state.data.fulfillment_orders[0]!;
    expect(engine.dispatch('createFulfillment', { headers: asPrivate, body: { fulfillment: { fulfillment_order_id: fo.id } } }).status).toBe(201);
    const line = engine.defaultStore().state.data.pre_orders[1]!.line_items[0]!;
    expect(engine.dispatch('createRefund', { headers: asPrivate, body: { id: 'r-1', order: line.external_order_id!, amount: '1.00', currency: 'USD' } }).status).toBe(201);

    expect(heard.map((e) => e.type)).toEqual([
      'pre_order.placed', 'waitlist.changed',
      'pre_order.placed', 'waitlist.changed',
      'pre_order.cancelled', 'waitlist.changed',
      'inventory.updated', 'line_items.exported', 'fulfillment_order.created',
      'fulfillment_order.fulfilled',
      'pre_order.changed', 'refund.created',
    ]);
    expect(heard.find((e) => e.type === 'pre_order.cancelled')).toMatchObject({ pre_order_id: first.id, whole_order: true, reason: 'CUSTOMER' });
    expect(heard.find((e) => e.type === 'line_items.exported')).toMatchObject({ pre_order_id: second.id, line_item_ids: [second.line_items[0]!.id], fulfillment_order_id: fo.id });
    const seqs = heard.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(heard.every((e) => e.store === 'default')).toBe(true);
  });

  it('tells nobody of a refused change, and the store is as it was', () => {
    const engine = createEngine({ scenarios: [oneProduct], scenario: 'one-product' });
    const heard = listen(engine);
    const before = engine.dispatch('exportSnapshot').body;
    // The second line asks for more units than are left: the whole order is refused.
    const refused = engine.dispatch('placePreOrder', { body: { email: 'a@example.com', lines: [{ variant_id: 'V-S', quantity: 1 }, { variant_id: 'V-M', quantity: 6 }] } });
    expect(refused.status).toBe(409);
    const closing = engine.dispatch('updateWaitlist', { body: { state: 'DRAFT' }, path: { id: engine.defaultStore().state.data.waitlists[0]!.id } });
    expect(closing.status).toBe(409);
    expect(heard).toEqual([]);
    expect(engine.dispatch('exportSnapshot').body).toEqual(before);
  });

  it('stops telling a subscriber once it unsubscribes', () => {
    const engine = createEngine({ scenarios: [oneProduct], scenario: 'one-product' });
    const heard: EngineEvent[] = [];
    const stop = engine.subscribe((event) => heard.push(event));
    engine.dispatch('placePreOrder', { body: { email: 'a@example.com', lines: [{ variant_id: 'V-S', quantity: 1 }] } });
    const count = heard.length;
    stop();
    engine.dispatch('placePreOrder', { body: { email: 'b@example.com', lines: [{ variant_id: 'V-S', quantity: 1 }] } });
    expect(count).toBeGreaterThan(0);
    expect(heard).toHaveLength(count);
  });

  it('keeps answering when a subscriber throws, and reports the subscriber as a bug', () => {
    const reported: unknown[] = [];
    const engine = createEngine({ scenarios: [oneProduct], scenario: 'one-product', onBug: (error) => reported.push(error) });
    engine.subscribe(() => {
      throw new Error('subscriber broke');
    });
    const placed = engine.dispatch('placePreOrder', { body: { email: 'a@example.com', lines: [{ variant_id: 'V-S', quantity: 1 }] } });
    expect(placed.status).toBe(201);
    expect(reported.map((e) => (e as Error).message)).toContain('subscriber broke');
  });
});

/** Schedules a waitlist for the product of `sold-out` that has none; answers the status of the creation. */
function scheduleBareProduct(engine: Engine, launch: string, pause?: string): number {
  const data = engine.defaultStore().state.data;
  const product = data.products.find((p) => !data.waitlists.some((w) => w.product_id === p.id))!;
  return engine.dispatch('createWaitlist', { body: {
    product_id: product.id,
    state: 'SCHEDULED',
    launch_date: launch,
    ...(pause ? { scheduled_pause_date: pause } : {}),
    earliest_ship_date: '2027-03-01T00:00:00.000Z',
    latest_ship_date: '2027-03-15T00:00:00.000Z',
    variants: product.variant_ids.map((variant_id) => ({ variant_id, buy_size: 5 })),
  } }).status;
}

describe('scheduled launches and pauses', () => {
  it('launch during an advance of the manual clock, each at its own time, before the advance answers', () => {
    const engine = createEngine({ scenario: 'scheduled-launch' });
    const heard = listen(engine);
    const waitlist = engine.defaultStore().state.data.waitlists.find((w) => w.state === 'SCHEDULED')!;
    const advanced = engine.dispatch('advanceClock', { body: { seconds: 30 * 86_400 } });
    expect(advanced.status).toBe(200);
    expect(heard).toEqual([expect.objectContaining({ type: 'waitlist.state_changed', waitlist_id: waitlist.id, from: 'SCHEDULED', to: 'LIVE', at: waitlist.launch_date })]);
    expect(waitlist.updated_at).toBe(waitlist.launch_date);
  });

  it('launch and then pause on a timer under the system clock, with no request arriving', async () => {
    const engine = createEngine({ scenario: 'sold-out', clock: 'system' });
    try {
      // Listening before the waitlist is made: a stall past both times would have the engine catch up during
      // the creation itself, and a listener added after it would hear nothing.
      const heard = listen(engine);
      const paused = new Promise<void>((resolve) => engine.subscribe((e) => e.type === 'waitlist.state_changed' && e.to === 'PAUSED' && resolve()));
      const now = engine.defaultStore().clock.nowMs();
      expect(scheduleBareProduct(engine, new Date(now + 300).toISOString(), new Date(now + 600).toISOString())).toBe(201);
      await paused;
      expect(heard.map((e) => e.type === 'waitlist.state_changed' ? [e.from, e.to] : e.type)).toEqual(['waitlist.created', ['SCHEDULED', 'LIVE'], ['LIVE', 'PAUSED']]);
    } finally {
      engine.close();
    }
  });
});

describe('scenarios of your own', () => {
  it('serve the IDs, handles and SKUs the scenario gives, next to the built-in ones', () => {
    const engine = createEngine({ scenarios: [oneProduct], scenario: 'one-product' });
    const state = dataOf<{ state: string; waitlist: { units_left: number } }>(engine.dispatch('getVariantPreorderState', { query: { variant_id: 'V-M', api_key: DEFAULT_CREDENTIALS.public_api_key } }));
    expect(state).toMatchObject({ state: 'ON_PREORDER', waitlist: { units_left: 5 } });
    expect(dataOf<{ product: { handle: string } }>(engine.dispatch('getProductPreorderState', { query: { handle: 'the-shoe', api_key: DEFAULT_CREDENTIALS.public_api_key } })).product.handle).toBe('the-shoe');
    const names = dataOf<{ name: string }[]>(engine.dispatch('listScenarios')).map((s) => s.name);
    expect(names).toContain('one-product');
    expect(names).toContain('on-preorder');
    expect(engine.dispatch('loadScenario', { body: { name: 'sold-out' } }).status).toBe(200);
    expect(engine.dispatch('loadScenario', { body: { name: 'one-product' } }).status).toBe(200);
  });

  it('place pre-orders at the times the scenario says', () => {
    const placedAt = defineScenario({
      name: 'placed-at',
      summary: 'One pre-order placed at a given time.',
      build(b) {
        const item = b.product({ sizes: ['One Size'] });
        b.waitlist(item, 5);
        b.at('2026-01-02T10:30:00.000Z');
        b.placeFor(b.shopper(), [{ variant_id: item.variants[0]!.id, quantity: 1 }]);
      },
    });
    const engine = createEngine({ scenarios: [placedAt], scenario: 'placed-at' });
    expect(engine.defaultStore().state.data.pre_orders[0]!.created_at).toBe('2026-01-02T10:30:00.000Z');
  });

  it('refuse a scenario whose name is already taken', () => {
    expect(() => createEngine({ scenarios: [{ ...oneProduct, name: 'sold-out' }] })).toThrow(/sold-out/);
  });
});

describe('the Express app', () => {
  it('serves a route the caller adds after creation, and still answers unknown paths 404 in the envelope', async () => {
    const sim = createSimulator();
    const running = await sim.listen(0);
    sim.app.get('/health', (_req, res) => {
      res.json({ ok: true });
    });
    try {
      const mine = await fetch(`${running.url}/health`);
      expect([mine.status, await mine.json()]).toEqual([200, { ok: true }]);
      const unknown = await fetch(`${running.url}/nowhere`);
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ meta: { result: 'error' }, error: { code: 'NOT_FOUND' } });
    } finally {
      await running.close();
    }
  });

  it('answers a failing route of the caller with 500 in the envelope and reports it', async () => {
    const reported: unknown[] = [];
    const sim = createSimulator({ onBug: (error) => reported.push(error) });
    sim.app.get('/broken', () => {
      throw new Error('my route broke');
    });
    const running = await sim.listen(0);
    try {
      const res = await fetch(`${running.url}/broken`);
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ meta: { result: 'error' }, error: { code: 'INTERNAL_ERROR' } });
      expect(reported.map((e) => (e as Error).message)).toEqual(['my route broke']);
    } finally {
      await running.close();
    }
  });
});

describe('the engine under stress from its callers', () => {
  it('answers a request even when a subscriber throws and the bug report throws too', () => {
    const engine = createEngine({ scenarios: [oneProduct], scenario: 'one-product', onBug: (error) => { throw error; } });
    engine.subscribe(() => {
      throw new Error('listener bug');
    });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(engine.dispatch('placePreOrder', { body: { email: 'a@example.com', lines: [{ variant_id: 'V-S', quantity: 1 }] } }).status).toBe(201);
      expect(errors).toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
  });

  it('delivers events in order to every listener while another listener dispatches', () => {
    const engine = createEngine({ scenarios: [oneProduct], scenario: 'one-product' });
    engine.subscribe((event) => {
      if (event.type === 'inventory.updated') engine.dispatch('setVariantStock', { path: { id: 'V-L' }, body: { available_in_stock: 3 } });
    });
    const heard = listen(engine);
    engine.dispatch('placePreOrder', { body: { email: 'a@example.com', lines: [{ variant_id: 'V-S', quantity: 1 }] } });
    engine.dispatch('updateInventory', { headers: asPrivate, body: { sku: 'SHOE-S', available_units: 1 } });
    const seqs = heard.map((e) => e.seq);
    expect(heard.map((e) => e.type)).toContain('variant.stock_changed');
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('applies launches and pauses that fall due together in time order, across waitlists', () => {
    const twoWaitlists = defineScenario({
      name: 'two-waitlists',
      summary: 'A LIVE waitlist pausing in 3 hours, then a SCHEDULED one launching in 1 hour.',
      build(b) {
        const first = b.product({ sizes: ['One Size'] });
        const second = b.product({ sizes: ['One Size'] });
        const hours = (n: number) => new Date(Date.parse('2026-01-15T09:00:00.000Z') + n * 3_600_000).toISOString();
        b.waitlist(first, 5, { scheduled_pause_date: hours(3) });
        b.waitlist(second, 5, { state: 'SCHEDULED', launch_date: hours(1) });
      },
    });
    const engine = createEngine({ scenarios: [twoWaitlists], scenario: 'two-waitlists' });
    const heard = listen(engine);
    expect(engine.dispatch('advanceClock', { body: { seconds: 4 * 3600 } }).status).toBe(200);
    const changes = heard.filter((e) => e.type === 'waitlist.state_changed');
    expect(changes.map((e) => e.type === 'waitlist.state_changed' && e.to)).toEqual(['LIVE', 'PAUSED']);
    expect(changes.map((e) => e.at)).toEqual(['2026-01-15T10:00:00.000Z', '2026-01-15T12:00:00.000Z']);
  });

  it('brings a launch forward on its timer when the system clock is advanced towards it', async () => {
    const engine = createEngine({ scenario: 'sold-out', clock: 'system' });
    try {
      const launch = new Date(engine.defaultStore().clock.nowMs() + 60_000).toISOString();
      expect(scheduleBareProduct(engine, launch)).toBe(201);
      const launched = new Promise<string>((resolve) => engine.subscribe((e) => e.type === 'waitlist.state_changed' && resolve(e.at)));
      // 59.7 of the 60 seconds pass at once; the launch must not wait for the minute of wall time.
      engine.dispatch('advanceClock', { body: { seconds: 59.7 } });
      const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('not launched'), 10_000).unref());
      expect(await Promise.race([launched, timeout])).toBe(launch);
    } finally {
      engine.close();
    }
  });

  it('keeps its timers stopped once closed, whatever it is asked afterwards', async () => {
    const engine = createEngine({ scenario: 'sold-out', clock: 'system' });
    engine.close();
    expect(scheduleBareProduct(engine, new Date(engine.defaultStore().clock.nowMs() + 200).toISOString())).toBe(201);
    const heard = listen(engine);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(heard).toEqual([]);
    // The launch still happens when the next request arrives: the engine answers, it only stopped its timers.
    engine.dispatch('getStatus');
    expect(heard.map((e) => e.type)).toEqual(['waitlist.state_changed']);
  });

  it('leaves the next-page link out, rather than failing, when the URL it is given is no URL', () => {
    const answer = createEngine().dispatch('listPreOrders', { headers: asPrivate, query: { limit: 2 }, url: 'not a url' });
    expect(answer.status).toBe(200);
    expect(answer.headers.Link).toBeUndefined();
  });

  it('refuses in-process a clock mode that does not exist and default credentials that repeat each other', () => {
    expect(() => createEngine().createStore({ scenario: 'on-preorder', clock: 'sundial' as 'manual' })).toThrow(/clock/);
    expect(() => createEngine({ credentials: { public_api_key: 'same-value-1', private_access_token: 'same-value-1' } })).toThrow(/must differ/);
  });
});

describe('the Express app among other routes', () => {
  it('answers unknown simulator paths 404 in the envelope when mounted in another app, and leaves other paths to it', async () => {
    const sim = createSimulator();
    const parent = express();
    parent.use('/pd', sim.app);
    parent.use((_req, res) => {
      res.status(418).send('parent');
    });
    const server = parent.listen(0);
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ours = await fetch(`${url}/pd/api/v1/nowhere`);
      expect(ours.status).toBe(404);
      expect(await ours.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
      expect((await fetch(`${url}/pd/elsewhere`)).status).toBe(418);
      expect((await fetch(`${url}/pd/__sim/status`)).status).toBe(200);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it("keeps the 4xx status of a caller's route that refuses, and answers a route that gives up with 404", async () => {
    const sim = createSimulator();
    sim.app.get('/forbidden', (_req, _res, next) => next(Object.assign(new Error('not for you'), { status: 403 })));
    sim.app.get('/gives-up', (_req, _res, next) => next('router'));
    const running = await sim.listen(0);
    try {
      const forbidden = await fetch(`${running.url}/forbidden`);
      expect(forbidden.status).toBe(403);
      expect(await forbidden.json()).toMatchObject({ error: { code: 'REQUEST_REFUSED', message: 'not for you' } });
      const givesUp = await fetch(`${running.url}/gives-up`);
      expect(givesUp.status).toBe(404);
      expect(await givesUp.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    } finally {
      await running.close();
    }
  });
});
