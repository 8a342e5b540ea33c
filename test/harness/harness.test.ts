/**
 * The integrator harness as a connector's own tests use it: a simulator per test file or a store per test,
 * the journal of what was sent, faults that fail the way production fails, and the coverage of the API.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REFERENCE_DATE, simulatorHooks, startSimulator, type SimulatorHandle } from '../../src/index.ts';


const listPage = (sim: SimulatorHandle, query: { limit: number; starting_after?: string }) =>
  sim.client.GET('/admin/api/v1/pre-orders', { params: { query } });

describe('startSimulator', () => {
  const pd = simulatorHooks({ scenario: 'on-preorder' });
  beforeAll(pd.start);
  afterAll(pd.stop);

  it('listens on a loopback port with a typed client that already carries the store credentials', async () => {
    expect(pd.current.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { data, response } = await listPage(pd.current, { limit: 2 });
    expect(response.status).toBe(200);
    expect(data?.data.orders).toHaveLength(2);
    const waitlists = await pd.current.client.GET('/api/v1/waitlists');
    expect(waitlists.response.status).toBe(200);
  });

  it('keeps two simulators in one process apart', async () => {
    const other = await startSimulator({ scenario: 'on-preorder' });
    try {
      expect(other.url).not.toBe(pd.current.url);
      await other.client.POST('/admin/api/v1/inventory', { body: { sku: pd.current.engine.defaultStore().state.data.variants[0]!.sku, available_units: 50 } });
      expect(other.engine.defaultStore().state.data.fulfillment_orders.length).toBeGreaterThan(0);
      expect(pd.current.engine.defaultStore().state.data.fulfillment_orders).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('dates its answers by the store clock, as a server dates them by its own', async () => {
    const { response } = await pd.current.client.GET('/admin/api/v1/pre-orders/count');
    // The manual clock stands at the scenario's reference time, months before the machine's.
    expect(response.headers.get('date')).toBe(REFERENCE_DATE.toUTCString());
    expect(pd.current.clock.now().toISOString()).toBe(REFERENCE_DATE.toISOString());
  });

  it('moves the clock through the control API, so a scheduled launch happens', async () => {
    const sim = await startSimulator({ scenario: 'scheduled-launch' });
    try {
      const scheduled = sim.engine.defaultStore().state.data.waitlists.find((w) => w.state === 'SCHEDULED')!;
      sim.clock.advance(30 * 86_400);
      expect(scheduled.state).toBe('LIVE');
      expect(sim.clock.now().getTime()).toBeGreaterThan(Date.parse(scheduled.launch_date!));
    } finally {
      await sim.close();
    }
  });
});

describe('a store of its own per test', () => {
  const pd = simulatorHooks({ scenario: 'on-preorder' });
  beforeAll(pd.start);
  afterAll(pd.stop);

  it('gets its own credentials, state, journal and faults on the shared server, and is gone once closed', async () => {
    const mine = await pd.current.createStore({ faults: [{ operationId: 'countPreOrders', status: 503 }] });
    try {
      expect(mine.url).toBe(pd.current.url);
      expect(mine.credentials.private_access_token).not.toBe(pd.current.credentials.private_access_token);
      expect((await mine.client.GET('/admin/api/v1/pre-orders/count')).response.status).toBe(503);
      expect((await pd.current.client.GET('/admin/api/v1/pre-orders/count')).response.status).toBe(200);
      expect(mine.journal.entries({ operationId: 'countPreOrders' }).map((e) => e.status)).toEqual([503]);
      expect(pd.current.journal.entries({ operationId: 'countPreOrders' }).map((e) => e.status)).toEqual([200]);
      // Its control client acts on it: a reset through it rebuilds this store only.
      const status = await mine.control.GET('/__sim/status');
      expect(status.data?.data.store).toBe(mine.store);
    } finally {
      await mine.close();
    }
    expect(pd.current.engine.stores.get(mine.store)).toBeUndefined();
    expect((await mine.client.GET('/admin/api/v1/pre-orders/count')).response.status).toBe(401);
  });
});

describe('the request journal', () => {
  const pd = simulatorHooks({ scenario: 'on-preorder' });
  beforeAll(pd.start);
  afterAll(pd.stop);

  it('records each request with its answer, store and operation, and hides the access token', async () => {
    pd.current.journal.clear();
    await listPage(pd.current, { limit: 3 });
    const [entry] = pd.current.journal.entries({ operationId: 'listPreOrders' });
    expect(entry).toMatchObject({ store: 'default', method: 'GET', path: '/admin/api/v1/pre-orders', query: { limit: '3' }, status: 200, conformed: true, executed: true, fault: null });
    expect(entry!.headers['x-purple-dot-access-token']).toBe('[redacted]');
    expect((entry!.response as { data: { orders: unknown[] } }).data.orders).toHaveLength(3);
    expect(entry!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('says what was wrong with a request the real API would refuse', async () => {
    pd.current.journal.clear();
    const res = await fetch(`${pd.current.url}/admin/api/v1/inventory`, {
      method: 'POST',
      headers: { 'X-Purple-Dot-Access-Token': pd.current.credentials.private_access_token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ sku: 'X', available_units: -1 }),
    });
    expect(res.status).toBe(400);
    const [entry] = pd.current.journal.entries({ operationId: 'updateInventory' });
    expect(entry!.conformed).toBe(false);
    expect(entry!.problems.map((p) => p.field)).toContain('available_units');
    expect(() => pd.current.journal.expectAllConforming()).toThrow(/available_units/);
  });

  it('counts a request with a wrong credential value as conforming: its shape is right', async () => {
    pd.current.journal.clear();
    const res = await fetch(`${pd.current.url}/admin/api/v1/pre-orders`, { headers: { 'X-Purple-Dot-Access-Token': 'not-the-token' } });
    expect(res.status).toBe(401);
    expect(pd.current.journal.entries({ operationId: 'listPreOrders' })).toMatchObject([{ store: null, status: 401, conformed: true }]);
  });

  it('finds what the connector sent by body and query, and explains a miss with what was sent', async () => {
    pd.current.journal.clear();
    const sku = pd.current.engine.defaultStore().state.data.variants[1]!.sku;
    await pd.current.client.POST('/admin/api/v1/inventory', { body: { sku, available_units: 4 } });
    expect(pd.current.journal.expectRequest({ operationId: 'updateInventory', body: { sku } }, { times: 1 })).toHaveLength(1);
    expect(() => pd.current.journal.expectRequest({ operationId: 'updateInventory', body: { sku: 'NOT-SENT' } }, { times: 1 }))
      .toThrow(new RegExp(`found 0[\\s\\S]*POST /admin/api/v1/inventory → 201 \\(updateInventory\\) body \\{"sku":"${sku}"`));
  });

  it('matches a query by the numbers a test writes, a body partly at any depth, and leaves the control API out unless asked', async () => {
    pd.current.journal.clear();
    await listPage(pd.current, { limit: 7 });
    const fo = '00000000-0000-4000-8000-000000000000';
    await pd.current.client.POST('/admin/api/v1/fulfillment', { body: { fulfillment: { fulfillment_order_id: fo, notify_customer: true, tracking_info: { number: '1Z', company: 'UPS' } } } });
    await pd.current.control.GET('/__sim/status');
    expect(pd.current.journal.count({ operationId: 'listPreOrders', query: { limit: 7 } })).toBe(1);
    expect(pd.current.journal.count({ body: { fulfillment: { fulfillment_order_id: fo } } })).toBe(1);
    expect(pd.current.journal.count({ body: { fulfillment: { tracking_info: { company: 'FedEx' } } } })).toBe(0);
    expect(pd.current.journal.entries().map((e) => e.operationId)).toEqual(['listPreOrders', 'createFulfillment']);
    expect(pd.current.journal.entries({ api: 'control' }).map((e) => e.operationId)).toEqual(['getStatus']);
  });

  it('records a path no operation answers, for the store its credentials name', async () => {
    pd.current.journal.clear();
    await fetch(`${pd.current.url}/admin/api/v1/pre-order?limit=1`, { headers: { 'X-Purple-Dot-Access-Token': pd.current.credentials.private_access_token } });
    expect(pd.current.journal.entries({ status: 404 })).toMatchObject([{ operationId: null, store: 'default', path: '/admin/api/v1/pre-order', conformed: false }]);
  });

  it('is served over HTTP with filters and cleared by DELETE', async () => {
    await listPage(pd.current, { limit: 1 });
    const listed = await pd.current.control.GET('/__sim/journal', { params: { query: { operationId: 'listPreOrders', status: 200 } } });
    expect(listed.data?.data.length).toBeGreaterThan(0);
    expect(listed.data?.data.every((e) => e.operationId === 'listPreOrders' && e.status === 200)).toBe(true);
    const cleared = await pd.current.control.DELETE('/__sim/journal');
    expect(cleared.data?.data.cleared).toBeGreaterThan(0);
    expect(pd.current.journal.count({ operationId: 'listPreOrders' })).toBe(0);
  });

  it('refuses a malformed filter with 400 naming it', async () => {
    const res = await fetch(`${pd.current.url}/__sim/journal?status=often&conformed=maybe`);
    expect(res.status).toBe(400);
    const fields = ((await res.json()) as { error: { details: { field: string }[] } }).error.details.map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['status', 'conformed']));
  });

  it('keeps a copy of a body given in-process, and hides store credentials in bodies and answers', async () => {
    const sim = await startSimulator();
    try {
      const sku = sim.engine.defaultStore().state.data.variants[0]!.sku;
      const body = { sku, available_units: 3 };
      sim.engine.dispatch('updateInventory', { headers: { 'x-purple-dot-access-token': sim.credentials.private_access_token }, body });
      body.available_units = 99;
      expect(sim.journal.entries({ operationId: 'updateInventory' }).map((e) => (e.body as { available_units: number }).available_units)).toEqual([3]);
      expect(sim.engine.defaultStore().state.data.inventory.find((l) => l.sku === sku)?.available_units).toBe(3);
      await sim.control.POST('/__sim/stores', { body: { scenario: 'sold-out', credentials: { shared_secret: 'a-secret-of-mine' } } });
      const [created] = sim.journal.entries({ api: 'control', operationId: 'createStore' });
      expect(JSON.stringify(created)).not.toContain('a-secret-of-mine');
      expect((created!.response as { data: { credentials: Record<string, string> } }).data.credentials).toMatchObject({ private_access_token: '[redacted]', shared_secret: '[redacted]' });
    } finally {
      await sim.close();
    }
  });

  it('keeps a body field named __proto__ as a field, as it was sent', async () => {
    pd.current.journal.clear();
    await fetch(`${pd.current.url}/admin/api/v1/inventory`, {
      method: 'POST',
      headers: { 'X-Purple-Dot-Access-Token': pd.current.credentials.private_access_token, 'Content-Type': 'application/json' },
      body: '{"sku":"X","available_units":1,"__proto__":{"polluted":true}}',
    });
    const [entry] = pd.current.journal.entries({ operationId: 'updateInventory' });
    expect(Object.hasOwn(entry!.body as object, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(entry!.body)).toBe(Object.prototype);
  });

  it('keeps no more than its bound, dropping the oldest', async () => {
    const sim = await startSimulator({ journalSize: 5 });
    try {
      for (let i = 0; i < 8; i += 1) await sim.client.GET('/admin/api/v1/pre-orders/count');
      const seqs = sim.journal.entries().map((e) => e.seq);
      expect(seqs).toEqual([4, 5, 6, 7, 8]);
    } finally {
      await sim.close();
    }
  });

  it('keeps the first 10 items of a long page and notes how many there were', async () => {
    pd.current.journal.clear();
    await listPage(pd.current, { limit: 24 });
    const [entry] = pd.current.journal.entries({ operationId: 'listPreOrders' });
    const kept = entry!.response as { data: { orders: unknown[] }; truncated: Record<string, number> };
    expect(kept.data.orders).toHaveLength(10);
    expect(kept.truncated).toEqual({ 'data.orders': 24 });
  });
});

describe('faults', () => {
  it('answer 429 with Retry-After for the next call only, then the operation recovers', async () => {
    const sim = await startSimulator({ faults: [{ operationId: 'listPreOrders', status: 429, retryAfter: 2, times: 1 }] });
    try {
      const limited = await listPage(sim, { limit: 1 });
      expect(limited.response.status).toBe(429);
      expect(limited.response.headers.get('retry-after')).toBe('2');
      expect((await listPage(sim, { limit: 1 })).response.status).toBe(200);
      expect(sim.faults.list()).toMatchObject([{ id: 'fault-1', matched: 1, applied: 1, remaining: 0 }]);
    } finally {
      await sim.close();
    }
  });

  it('answer a faulted write without running it, and say so in the journal', async () => {
    const sim = await startSimulator({ faults: [{ operationId: 'updateInventory', status: 503, times: 1 }] });
    try {
      const sku = sim.engine.defaultStore().state.data.variants[0]!.sku;
      expect((await sim.client.POST('/admin/api/v1/inventory', { body: { sku, available_units: 9 } })).response.status).toBe(503);
      expect(sim.engine.defaultStore().state.data.inventory.find((l) => l.sku === sku)).toBeUndefined();
      expect(sim.journal.entries({ operationId: 'updateInventory' })).toMatchObject([{ status: 503, executed: false, fault: { id: 'fault-1', kind: 'status' } }]);
    } finally {
      await sim.close();
    }
  });

  it('lose the answer of a write that ran when the connection is reset', async () => {
    const sim = await startSimulator({ faults: [{ operationId: 'updateInventory', kind: 'reset', times: 1 }] });
    try {
      const sku = sim.engine.defaultStore().state.data.variants[0]!.sku;
      const lost = await sim.client.POST('/admin/api/v1/inventory', { body: { sku, available_units: 9 } }).catch((error: Error & { cause?: { code?: string } }) => error);
      expect((lost as Error & { cause?: { code?: string } }).cause?.code).toBe('ECONNRESET');
      expect(sim.engine.defaultStore().state.data.inventory.find((l) => l.sku === sku)?.available_units).toBe(9);
      expect(sim.journal.entries({ operationId: 'updateInventory' })).toMatchObject([{ executed: true, fault: { kind: 'reset' } }]);
    } finally {
      await sim.close();
    }
  });

  it('send a 200 whose JSON is cut off', async () => {
    const sim = await startSimulator({ faults: [{ path: '/api/v1/waitlists', method: 'GET', kind: 'malformed' }] });
    try {
      const res = await fetch(`${sim.url}/api/v1/waitlists?api_key=${sim.credentials.public_api_key}`);
      expect(res.status).toBe(200);
      await expect(res.json()).rejects.toThrow(SyntaxError);
    } finally {
      await sim.close();
    }
  });

  it('never answer a timeout until the client gives up', async () => {
    const sim = await startSimulator({ faults: [{ operationId: 'countPreOrders', kind: 'timeout' }] });
    try {
      const client = new AbortController();
      const asked = fetch(`${sim.url}/admin/api/v1/pre-orders/count`, {
        headers: { 'X-Purple-Dot-Access-Token': sim.credentials.private_access_token },
        signal: client.signal,
      });
      asked.catch(() => undefined);
      // The client's 300 ms start once the simulator has run the operation: a stalled event loop cannot make
      // it give up before the request is even sent.
      await vi.waitFor(() => expect(sim.journal.entries({ operationId: 'countPreOrders' })).toHaveLength(1), { timeout: 10_000 });
      const timeout = AbortSignal.timeout(300);
      timeout.addEventListener('abort', () => client.abort(timeout.reason));
      // Its own timer ended the wait (a TimeoutError, not a closed connection or an answer). How long it took is
      // not checked: the timer counts from the event loop's cached time, which can be behind Date.now().
      await expect(asked).rejects.toMatchObject({ name: 'TimeoutError' });
      // The operation ran, and the answer it gave is the one the fault kept from the client.
      expect(sim.journal.entries({ operationId: 'countPreOrders' })).toMatchObject([{ status: 200, executed: true, fault: { kind: 'timeout' } }]);
    } finally {
      await sim.close();
    }
  });

  it('delay an answer by the latency asked, matched by a path template', async () => {
    const sim = await startSimulator({ faults: [{ path: '/admin/api/v1/fulfillment-orders/{id}', latencyMs: 250 }] });
    try {
      const unknown = '00000000-0000-4000-8000-000000000000';
      const started = Date.now();
      const res = await fetch(`${sim.url}/admin/api/v1/fulfillment-orders/${unknown}`, { headers: { 'X-Purple-Dot-Access-Token': sim.credentials.private_access_token } });
      expect(res.status).toBe(404);
      expect(Date.now() - started).toBeGreaterThanOrEqual(245);
      expect(sim.journal.entries({ operationId: 'getFulfillmentOrder' })).toMatchObject([{ fault: { kind: 'latency' } }]);
    } finally {
      await sim.close();
    }
  });

  it('replay the same flaky sequence from the same seed', async () => {
    const statuses = async (): Promise<number[]> => {
      const sim = await startSimulator({ faults: [{ operationId: 'countPreOrders', status: 500, probability: 0.5, seed: 42 }] });
      try {
        const seen: number[] = [];
        for (let i = 0; i < 12; i += 1) seen.push((await sim.client.GET('/admin/api/v1/pre-orders/count')).response.status);
        return seen;
      } finally {
        await sim.close();
      }
    };
    const first = await statuses();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await statuses()).toEqual(first);
  });

  it('never touch the control API, so a test can always steer', async () => {
    const sim = await startSimulator({ faults: [{ status: 503 }] });
    try {
      expect((await sim.client.GET('/api/v1/waitlists')).response.status).toBe(503);
      expect((await sim.control.GET('/__sim/status')).response.status).toBe(200);
    } finally {
      await sim.close();
    }
  });

  it('refuse a rule that names no operation, a negative latency or a status with a kind, naming the field', async () => {
    const sim = await startSimulator();
    try {
      const refusal = async (body: unknown) => {
        const res = await fetch(`${sim.url}/__sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
        return { status: res.status, fields: ((await res.json()) as { error: { details: { field: string }[] } }).error.details.map((d) => d.field) };
      };
      expect(await refusal({ operationId: 'listEverything', status: 500 })).toEqual({ status: 404, fields: ['operationId'] });
      expect((await refusal({ latencyMs: -5 })).fields).toContain('latencyMs');
      expect(await refusal({ status: 500, kind: 'reset' })).toEqual({ status: 400, fields: ['kind'] });
      expect(await refusal({ status: 500, retries: 3 })).toEqual({ status: 400, fields: ['retries'] });
      expect(sim.faults.list()).toEqual([]);
    } finally {
      await sim.close();
    }
  });

  it('refuse a path no Purple Dot operation answers, such as the control API', async () => {
    const sim = await startSimulator();
    try {
      expect(() => sim.faults.add({ path: '/__sim/status', status: 500 })).toThrow(/400 INVALID_REQUEST: path: no Purple Dot operation answers/);
      expect(sim.faults.add({ path: '/admin/api/v1/pre-orders/count', status: 500 }).id).toBe('fault-1');
    } finally {
      await sim.close();
    }
  });

  it('hand out copies of their rules: changing one changes neither the rules in force nor the journal', async () => {
    const sim = await startSimulator();
    try {
      const rule = sim.faults.add({ operationId: 'countPreOrders', status: 500, times: 2 });
      rule.remaining = 0;
      expect((await sim.client.GET('/admin/api/v1/pre-orders/count')).response.status).toBe(500);
      const [added] = sim.journal.entries({ api: 'control', operationId: 'addFault' });
      expect((added!.response as { data: { remaining: number } }).data.remaining).toBe(2);
      expect(sim.faults.list()[0]!.remaining).toBe(1);
    } finally {
      await sim.close();
    }
  });

  it('leave no store behind when a per-test store is asked for with a rule the API refuses', async () => {
    const sim = await startSimulator();
    try {
      await expect(sim.createStore({ faults: [{ operationId: 'listEverything', status: 500 }] })).rejects.toThrow(/UNKNOWN_OPERATION/);
      expect(sim.engine.stores.list().map((s) => s.id)).toEqual(['default']);
    } finally {
      await sim.close();
    }
  });

  it('come as named profiles that add their rules', async () => {
    const sim = await startSimulator({ faults: 'launch-day' });
    try {
      expect(sim.faults.list().map((r) => r.status ?? r.kind ?? 'latency')).toEqual(['latency', 503, 429]);
    } finally {
      await sim.close();
    }
  });
});

describe('API coverage', () => {
  it('reports the operations, statuses, pages, filters and faults the integration met', async () => {
    const sim = await startSimulator({ faults: [{ operationId: 'countPreOrders', status: 500, times: 1 }] });
    try {
      const first = await listPage(sim, { limit: 5 });
      await listPage(sim, { limit: 5, starting_after: first.data!.data.starting_after! });
      await sim.client.GET('/admin/api/v1/pre-orders', { params: { query: { all_line_items: 'exported' } } });
      await sim.client.GET('/admin/api/v1/pre-orders/count');
      const report = sim.coverage();
      expect(report.operations.listPreOrders).toMatchObject({ calls: 3, statuses: { 200: 3 }, paged: true, filters: ['all_line_items'] });
      expect(report.operations.countPreOrders).toMatchObject({ calls: 1, statuses: { 500: 1 } });
      expect(report.faults).toEqual({ status: 1 });
      expect(report.untouched).not.toContain('listPreOrders');
      expect(report.untouched).toContain('createRefund');
      expect(sim.formatCoverage()).toMatch(/listPreOrders\s+3\s+200×3\s+yes\s+all_line_items/);
      expect(() => sim.expectCoverage({ operations: ['listPreOrders'], paged: ['listPreOrders'], statuses: { countPreOrders: [500] }, faults: ['status'] })).not.toThrow();
      expect(() => sim.expectCoverage({ operations: ['createRefund'], paged: ['listFulfillmentOrders'] }))
        .toThrow(/createRefund: never called[\s\S]*listFulfillmentOrders: never paged/);
    } finally {
      await sim.close();
    }
  });

  it('counts an answer a fault lost as a call and a fault, never as a status the client met', async () => {
    const sim = await startSimulator({ faults: [{ operationId: 'countPreOrders', kind: 'reset', times: 1 }] });
    try {
      await sim.client.GET('/admin/api/v1/pre-orders/count').catch(() => undefined);
      await sim.client.GET('/admin/api/v1/pre-orders/count');
      expect(sim.coverage().operations.countPreOrders).toMatchObject({ calls: 2, statuses: { 200: 1 } });
      expect(sim.coverage().faults).toEqual({ reset: 1 });
    } finally {
      await sim.close();
    }
  });

  it('leaves the control API out: it is the test steering, not the integration', async () => {
    const sim = await startSimulator();
    try {
      await sim.control.GET('/__sim/status');
      expect(sim.coverage().calls).toBe(0);
    } finally {
      await sim.close();
    }
  });
});
