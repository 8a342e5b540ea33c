/**
 * Several simulator instances sharing their stores through a log on Redis (issue 17): each instance here is a
 * `createSimulator({ state })` of this process, served over HTTP, on a redis-server the file starts itself. A
 * change made through one is answered through any other; stores, clocks and control operations agree; a new
 * instance joins from the compacted base; each store's webhooks go out once; and while Redis is away an
 * instance refuses what it cannot vouch for, then recovers. (Killing instances under load: kill.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSimulator, type RunningSimulator, type SharedSimulatorOptions, type Simulator } from '../../src/http/app.ts';
import { credentials, privateHeaders } from '../support/simulator.ts';
import { defineScenario } from '../../src/engine/scenario.ts';
import { connectRedisLog, parseRedisUrl } from '../../src/replica/redis-log.ts';
import { redisInstalled, startRedis, type TestRedis } from '../support/redis.ts';
import { startReceiver, type Receiver } from '../webhooks/receiver.ts';
import { startDownReceiver } from '../support/receiver.ts';

interface Instance {
  sim: Simulator;
  url: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** Stops serving and leaves the log as a crash would leave it to the others: no lease given up, nothing flushed. */
  stop(): Promise<void>;
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

let redis: TestRedis;
const installed = redisInstalled();
beforeAll(async () => {
  if (installed) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** An instance on a namespace of the file's Redis (each test starts from an empty log), or on the Redis `state` names. */
async function instance(namespace: string, options: Omit<SharedSimulatorOptions, 'state'> = {}, state = redis.url(namespace)): Promise<Instance> {
  const sim = await createSimulator({ journalSize: 0, clock: 'manual', onBug: (error) => console.error(error), ...options, state });
  const server: RunningSimulator = await sim.listen(0);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    sim.engine.close();
    await server.close();
    await sim.replica!.close();
  };
  cleanup.push(stop);
  return {
    sim,
    url: server.url,
    stop,
    async call(method, path, body, headers = {}) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      return { status: res.status, body: await res.json() };
    },
  };
}

type Several<N extends 2 | 3> = N extends 2 ? [Instance, Instance] : [Instance, Instance, Instance];

async function instances<N extends 2 | 3>(count: N, options: Omit<SharedSimulatorOptions, 'state'> = {}): Promise<Several<N>> {
  const namespace = `t-${randomUUID()}`;
  const all: Instance[] = [];
  // One after another: the first begins the log, the others join it.
  for (let i = 0; i < count; i += 1) all.push(await instance(namespace, options));
  return all as Several<N>;
}

async function ok(reply: Promise<{ status: number; body: any }>): Promise<any> {
  const { status, body } = await reply;
  expect(status, JSON.stringify(body)).toBeLessThan(300);
  return body.data;
}

/** Places a pre-order of one unit on the store's first live waitlist, through the control API. */
async function place(through: Instance, email: string, storeId?: string): Promise<{ id: string }> {
  const headers = storeId ? { 'X-Purple-Dot-Access-Token': (await ok(through.call('GET', `/__sim/stores/${storeId}`))).credentials.private_access_token } : privateHeaders;
  const { waitlists } = await ok(through.call('GET', '/admin/api/v1/waitlists?limit=100', undefined, headers));
  const live = waitlists.find((w: any) => w.state === 'LIVE');
  const path = storeId ? `/__sim/stores/${storeId}/pre-orders` : '/__sim/pre-orders';
  return ok(through.call('POST', path, { email, lines: [{ variant_id: live.availability.variants[0].variant_id, quantity: 1 }] }));
}

/** A store of 2,000 pre-orders: more than a base writes at once, so its compaction is written in steps. */
const twoThousand = defineScenario({
  name: 'two-thousand',
  summary: '2,000 pre-orders on one live waitlist',
  build(b) {
    const item = b.product({ sizes: ['S', 'M'] });
    b.waitlist(item, 10_000);
    const shopper = b.shopper();
    for (let i = 0; i < 2_000; i += 1) b.placeFor(shopper, [{ variant_id: item.variants[i % 2]!.id, quantity: 1 }]);
  },
});

const count = async (through: Instance): Promise<number> => (await ok(through.call('GET', '/admin/api/v1/pre-orders/count', undefined, privateHeaders))).count;

describe.skipIf(!installed)('instances sharing one log on Redis', () => {
  it('answers a pre-order placed through one instance through another at once, with the same body', async () => {
    const [a, b] = await instances(2);
    const before = await count(b);
    const placed = await place(a, 'shared@example.com');
    expect(await count(b)).toBe(before + 1);
    const { orders } = await ok(b.call('GET', '/admin/api/v1/pre-orders?limit=100', undefined, privateHeaders));
    const seen = orders.find((o: any) => o.id === placed.id);
    expect(seen).toBeDefined();
    const { orders: throughA } = await ok(a.call('GET', '/admin/api/v1/pre-orders?limit=100', undefined, privateHeaders));
    expect(throughA.find((o: any) => o.id === placed.id)).toEqual(seen);
  });

  it('agrees across three instances on stores made and deleted, clocks set and moved, and inventory posted through different ones', async () => {
    const [a, b, c] = await instances(3);
    const made = await ok(a.call('POST', '/__sim/stores', { scenario: 'sold-out' }));
    // The new store's credentials work through another instance at once.
    const theirs = { 'X-Purple-Dot-Access-Token': made.credentials.private_access_token };
    expect((await b.call('GET', '/admin/api/v1/waitlists', undefined, theirs)).status).toBe(200);
    await ok(b.call('PUT', `/__sim/stores/${made.id}/clock`, { now: '2030-01-01T00:00:00.000Z' }));
    await ok(c.call('POST', `/__sim/stores/${made.id}/clock/advance`, { seconds: 90 }));
    const sku = (await ok(c.call('GET', '/admin/api/v1/waitlists?limit=1', undefined, theirs))).waitlists[0]?.availability?.variants?.[0]?.sku;
    if (sku) await ok(a.call('POST', '/admin/api/v1/inventory', { sku, available_units: 5 }, theirs));
    const views = await Promise.all([a, b, c].map(async (i) => ({
      stores: (await ok(i.call('GET', '/__sim/stores'))).map((s: any) => s.id),
      clock: await ok(i.call('GET', `/__sim/stores/${made.id}/clock`)),
      snapshot: await ok(i.call('GET', `/__sim/stores/${made.id}/snapshot`)),
    })));
    expect(views[0]!.clock.now).toBe('2030-01-01T00:01:30.000Z');
    expect(views[0]!.stores).toEqual(['default', made.id]);
    expect(views[1]).toEqual(views[0]);
    expect(views[2]).toEqual(views[0]);

    await ok(c.call('DELETE', `/__sim/stores/${made.id}`, undefined, { 'content-type': 'application/json' }));
    for (const i of [a, b, c]) {
      expect((await ok(i.call('GET', '/__sim/stores'))).map((s: any) => s.id)).toEqual(['default']);
      expect((await i.call('GET', '/admin/api/v1/waitlists', undefined, theirs)).status).toBe(401);
    }
  });

  it('ends in the same state on every instance when two of them take writes at the same time', async () => {
    const [a, b] = await instances(2);
    await Promise.all(Array.from({ length: 20 }, (_, i) => place(i % 2 === 0 ? a : b, `race-${i}@example.com`)));
    const [left, right] = await Promise.all([a, b].map((i) => ok(i.call('GET', '/__sim/snapshot'))));
    expect(right).toEqual(left);
    expect(await count(a)).toBe(await count(b));
  });

  it('meets a scheduled pause at the same point among concurrent placements on every instance, and in a replay of the log, under system clocks', async () => {
    const namespace = `t-${randomUUID()}`;
    const a = await instance(namespace, { clock: 'system' });
    const b = await instance(namespace, { clock: 'system' });
    // This machine's clock jumps a second ahead of Redis's: system clocks follow the log's time, not the machine's,
    // or a copy would meet the pause before changes still on their way to it, and a replay of the log after them.
    const machine = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => machine() + 1_000);
    cleanup.push(() => {
      vi.restoreAllMocks();
    });
    const { waitlists } = await ok(a.call('GET', '/admin/api/v1/waitlists?limit=100', undefined, privateHeaders));
    const live = waitlists.find((w: any) => w.state === 'LIVE');
    // Spread over the waitlist's variants, so their units last past the pause.
    const variants: string[] = live.availability.variants.map((v: any) => v.variant_id);
    const statuses: string[] = [];
    // Each instance places until it meets the pause, which is set only once both have placed: on a machine of
    // any speed, each has placements before the pause and goes on placing until the pause refuses one.
    const placedThrough = [false, false];
    let bothPlaced!: () => void;
    const placing = new Promise<void>((resolve) => {
      bothPlaced = resolve;
    });
    const each = [a, b].map(async (through, i) => {
      for (let n = 0; ; n += 1) {
        const lines = [{ variant_id: variants[(n * 2 + i) % variants.length], quantity: 1 }];
        const reply = await through.call('POST', '/__sim/pre-orders', { email: `pause-${i}-${n}@example.com`, lines });
        const status = reply.status === 201 ? 'placed' : reply.body.error.code;
        statuses.push(status);
        // The pause met, or a refusal of another kind, which the assertions below show.
        if (status !== 'placed') return;
        placedThrough[i] = true;
        if (placedThrough.every(Boolean)) bothPlaced();
      }
    });
    const loops = Promise.all(each);
    // (Either loop ending before both have placed ends the wait too, and the assertions below say why.)
    await Promise.race([placing, ...each]);
    const now = Date.parse((await ok(a.call('GET', '/__sim/clock'))).now);
    await ok(b.call('PATCH', `/__sim/waitlists/${live.id}`, { scheduled_pause_date: new Date(now + 300).toISOString() }));
    await loops;
    // Some placements came before the pause and some after it: the race this is about happened.
    expect(statuses).toContain('placed');
    expect(statuses).toContain('WAITLIST_NOT_LIVE');
    expect(new Set(statuses)).toEqual(new Set(['placed', 'WAITLIST_NOT_LIVE']));
    const joined = await instance(namespace, { clock: 'system' });
    const [left, right, replayed] = await Promise.all([a, b, joined].map((i) => ok(i.call('GET', '/__sim/snapshot'))));
    const orders = (s: any): unknown => Object.values<any>(s.stores)[0].pre_orders;
    const waitlist = (s: any): unknown => Object.values<any>(s.stores)[0].waitlists.find((w: any) => w.id === live.id);
    expect(orders(right)).toEqual(orders(left));
    expect(orders(replayed)).toEqual(orders(left));
    expect(waitlist(right)).toEqual(waitlist(left));
    expect(waitlist(replayed)).toEqual(waitlist(left));
  });

  it('refuses a change it refuses locally the same way through every instance, and changes nothing', async () => {
    const [a, b] = await instances(2);
    const before = await ok(b.call('GET', '/__sim/snapshot'));
    const refused = await a.call('POST', '/__sim/pre-orders', { email: 'not-an-email', lines: [] });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('INVALID_REQUEST');
    expect(await ok(b.call('GET', '/__sim/snapshot'))).toEqual(before);
  });

  it('loads a snapshot imported over HTTP through one instance into every instance\'s copy of the store', async () => {
    const [a, b] = await instances(2);
    await place(a, 'in-snapshot@example.com');
    const snapshot = await ok(a.call('GET', '/__sim/snapshot'));
    const made = await ok(b.call('POST', '/__sim/stores', { scenario: 'sold-out' }));
    const res = await fetch(`${a.url}/__sim/stores/${made.id}/snapshot`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(snapshot), signal: AbortSignal.timeout(20_000),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const throughB = await ok(b.call('GET', `/__sim/stores/${made.id}/snapshot`));
    expect(throughB).toEqual(await ok(a.call('GET', `/__sim/stores/${made.id}/snapshot`)));
    const ids = (s: any): string[] => Object.values<any>(s.stores)[0].pre_orders.map((o: any) => o.id);
    expect(ids(throughB)).toEqual(ids(snapshot));
  });

  it('lets a new instance join from the compacted base and the entries after it, and answer as the others do', async () => {
    const namespace = `t-${randomUUID()}`;
    const a = await instance(namespace, { replicaOptions: { compactAfter: 5 } });
    for (let i = 0; i < 12; i += 1) await place(a, `compact-${i}@example.com`);
    // The lease holder compacts on its next renewal (every third of the lease).
    const log = await connectRedisLog(parseRedisUrl(redis.url(namespace)));
    cleanup.push(() => log.close());
    for (let tries = 0; tries < 100 && ((await log.base())?.stores.default?.n ?? 0) < 5; tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await log.base())!.stores.default!.n).toBeGreaterThanOrEqual(5);
    const b = await instance(namespace);
    expect(await ok(b.call('GET', '/__sim/snapshot'))).toEqual(await ok(a.call('GET', '/__sim/snapshot')));
    await place(b, 'after-join@example.com');
    expect(await count(a)).toBe(await count(b));
  });

  it('compacts a store too large to write at once in steps, and a new instance joins from that base and the changes after it', async () => {
    const namespace = `t-${randomUUID()}`;
    // Leases renewed every 200 ms: the holder looks at compacting that often.
    const options = { scenario: 'two-thousand', scenarios: [twoThousand], replicaOptions: { compactAfter: 20, leaseMs: 600 } };
    const a = await instance(namespace, options);
    const log = await connectRedisLog(parseRedisUrl(redis.url(namespace)));
    cleanup.push(() => log.close());
    for (let i = 0; i < 25; i += 1) await place(a, `steps-${i}@example.com`);
    for (let tries = 0; tries < 200 && ((await log.base())?.stores.default?.n ?? 0) < 20; tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    const base = await log.base();
    // Taken at the holder's first renewal past 20 changes (it may come before the 25th).
    const at = base!.stores.default!.n;
    expect(at).toBeGreaterThanOrEqual(20);
    expect(at).toBeLessThanOrEqual(25);
    // The base holds the store's data as it stood at its position, not the scenario as built.
    expect(Object.values<any>(base!.base.stores[0]!.snapshot!.stores)[0].pre_orders.length).toBe(2_000 + at);
    for (let i = 0; i < 3; i += 1) await place(a, `after-base-${i}@example.com`);
    const b = await instance(namespace, options);
    expect(await ok(b.call('GET', '/__sim/snapshot'))).toEqual(await ok(a.call('GET', '/__sim/snapshot')));
  });

  it('sends each webhook once, from the instance holding the store\'s lease, however many instances hear the change', async () => {
    const receiver: Receiver = await startReceiver();
    cleanup.push(() => receiver.close());
    const [a, b, c] = await instances(3);
    await ok(b.call('PUT', '/__sim/webhooks/settings', { backoff_ms: [100, 100], timeout_ms: 1000 }));
    await ok(b.call('POST', '/__sim/webhooks', { url: receiver.url, events: ['pre_order.created'] }));
    const placed = [await place(a, 'hook-a@example.com'), await place(b, 'hook-b@example.com'), await place(c, 'hook-c@example.com')];
    await receiver.waitFor(3);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received.map((r) => r.body.data.id).sort()).toEqual(placed.map((p) => p.id).sort());
    const holders = [a, b, c].filter((i) => i.sim.replica!.status().leases.includes('store:default'));
    expect(holders).toHaveLength(1);
  });

  it('hands a store\'s webhooks to another instance when the one holding its lease stops', async () => {
    const receiver: Receiver = await startReceiver();
    cleanup.push(() => receiver.close());
    const [a, b] = await instances(2, { replicaOptions: { leaseMs: 600 } });
    await ok(a.call('POST', '/__sim/webhooks', { url: receiver.url, events: ['pre_order.created'] }));
    const holder = a.sim.replica!.status().leases.includes('store:default') ? a : b;
    const other = holder === a ? b : a;
    await holder.stop();
    // The lease runs out unrenewed (or was given up), and the other instance takes it on its next renewal.
    for (let tries = 0; tries < 100 && !other.sim.replica!.status().leases.includes('store:default'); tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const placed = await place(other, 'after-holder@example.com');
    const [got] = await receiver.waitFor(1);
    expect(got!.body.data.id).toBe(placed.id);
  });

  it('sends a webhook its holder left undelivered from the instance that takes the store\'s lease over, as the attempt after those made', async () => {
    const down = await startDownReceiver();
    cleanup.push(() => down.close());
    const { url } = down;
    const [a, b] = await instances(2, { replicaOptions: { leaseMs: 600 } });
    await ok(a.call('PUT', '/__sim/webhooks/settings', { backoff_ms: [60_000, 60_000], timeout_ms: 1000 }));
    await ok(a.call('POST', '/__sim/webhooks', { url, events: ['pre_order.created'] }));
    // Placed through the instance that does not hold the lease as far as can be seen now. The holder is the one
    // that then makes the first attempt: a stall past the lease (600 ms) may move the lease before that.
    const placed = await place(a.sim.replica!.status().leases.includes('store:default') ? b : a, 'handed-over@example.com');
    const attempts = (i: Instance): unknown[] => i.sim.webhooks.deliveries().map((d) => [d.attempt, d.status]);
    let holder: Instance | undefined;
    while (!(holder = [a, b].find((i) => attempts(i).length > 0))) await new Promise((resolve) => setTimeout(resolve, 5));
    const other = holder === a ? b : a;
    expect(attempts(holder)).toEqual([[1, null]]);
    // The receiver comes up, and the holder stops before its next attempt (a minute away). Up first: should the
    // lease move meanwhile, the attempt the other instance then makes is answered as well.
    const receiver = down.up();
    await holder.stop();
    const [got] = await receiver.waitFor(1);
    expect(got!.body).toMatchObject({ event: 'pre_order.created', data: { id: placed.id } });
    await other.sim.webhooks.idle();
    expect(attempts(other)).toEqual([[2, 200]]);
    expect(receiver.received).toHaveLength(1);
  });

  it('answers 503 STATE_UNAVAILABLE while Redis is away (eventual reads excepted), then serves again with nothing lost', async () => {
    const own = await startRedis();
    cleanup.push(() => own.stop());
    const namespace = `t-${randomUUID()}`;
    const a = await instance(namespace, {}, own.url(namespace));
    const b = await instance(namespace, { consistency: 'eventual' }, own.url(namespace));
    const countPath = '/admin/api/v1/pre-orders/count';
    const before = (await a.call('GET', countPath, undefined, privateHeaders)).body.data.count;
    await own.stop({ keep: true });

    const write = await a.call('POST', '/admin/api/v1/inventory', { sku: 'NO-SUCH-SKU', available_units: 1 }, privateHeaders);
    expect(write.status).toBe(503);
    expect(write.body).toMatchObject({ meta: { result: 'error' }, error: { code: 'STATE_UNAVAILABLE' } });
    const read = await a.call('GET', countPath, undefined, privateHeaders);
    expect(read.status).toBe(503);
    expect(read.body.error.message).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+/);
    // An eventual instance answers from what it has.
    expect((await b.call('GET', countPath, undefined, privateHeaders)).body.data.count).toBe(before);

    await own.restart();
    let back: { status: number; body: any } | undefined;
    for (let tries = 0; tries < 100; tries += 1) {
      back = await a.call('GET', countPath, undefined, privateHeaders);
      if (back.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(back!.status).toBe(200);
    expect(back!.body.data.count).toBe(before);
    expect((await a.call('POST', '/admin/api/v1/inventory', { sku: 'NO-SUCH-SKU', available_units: 1 }, privateHeaders)).status).toBeLessThan(300);
  });
});
