/**
 * The connector against a simulated Purple Dot, as a partner's CI would run it: only the public harness of
 * purple-dot-sim (startSimulator and its handle) — no internals, no mocks of our own code.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle, type StartOptions } from 'purple-dot-sim';
import {
  createConnector, InventorySyncError, PurpleDotAuthError, PurpleDotRetriesExhaustedError,
  type ConnectorConfig, type FulfillmentOrder, type TrackingInfo,
} from '../src/index.js';

let sim: SimulatorHandle | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: StartOptions): Promise<SimulatorHandle> {
  sim = await startSimulator(options);
  return sim;
}

/** The connector pointed at the simulator, on its clock, never really sleeping. */
const connectorFor = (s: SimulatorHandle, overrides: Partial<ConnectorConfig> = {}) => createConnector({
  baseUrl: s.url,
  accessToken: s.credentials.private_access_token,
  now: () => s.clock.now(),
  sleep: async () => {},
  ...overrides,
});

/**
 * The connector's requests to the Purple Dot API. The journal also holds the test's own steering (adding a
 * fault, moving the clock), which goes through the control API under /__sim.
 */
const apiRequests = (s: SimulatorHandle) => s.journal.entries().filter((e) => !e.path.startsWith('/__sim'));

/** A sleep that returns at once and records what it was asked, and how many requests had reached Purple Dot by then. */
function recordingSleep(s: SimulatorHandle) {
  const calls: { ms: number; requestsSoFar: number }[] = [];
  return { calls, sleep: async (ms: number) => void calls.push({ ms, requestsSoFar: apiRequests(s).length }) };
}

/** What the platform's shipping system says about a fulfillment order. */
const upsTracking = (order: FulfillmentOrder): TrackingInfo => {
  const number = `1Z${order.reference.replace(/\W/g, '')}`;
  return { number, company: 'UPS', url: `https://www.ups.com/track?tracknum=${number}` };
};

const listPreOrderIds = async (s: SimulatorHandle, query: { some_line_item?: string } = {}): Promise<string[]> => {
  const { data } = await s.client.GET('/admin/api/v1/pre-orders', { params: { query: { limit: 200, ...query } } });
  return data!.data.orders.map((o) => o.id);
};

const listFulfillmentOrders = async (s: SimulatorHandle) => {
  const { data } = await s.client.GET('/admin/api/v1/fulfillment-orders', { params: { query: { limit: 250 } } });
  return data!.data.fulfillment_orders;
};

const exportedUnits = async (s: SimulatorHandle, sku: string): Promise<number> => {
  const { data } = await s.client.GET('/admin/api/v1/pre-orders/count-units/sku/{sku}', { params: { path: { sku } } });
  return data!.data.exported_units;
};

/** The cursor a page gives for the next one (opaque in update order: the page's position, not an order ID). */
const nextCursorOf = (response: unknown): string => (response as { data: { starting_after: string } }).data.starting_after;

describe('a sync cycle', () => {
  it('posts stock, exports exactly the pre-orders it released, and pushes their shipments back', async () => {
    const s = await start({ scenario: 'on-preorder' });
    const pd = connectorFor(s);

    // First run: no mark yet, so every pre-order, 10 a page.
    const first = await pd.pollPreOrders({ since: null, limit: 10 });
    expect(first.preOrders).toHaveLength(24);
    expect(first.pages).toBe(3);
    expect(first.preOrders.every((o) => o.exported_orders.length === 0)).toBe(true);

    // An hour later the warehouse has stock for three SKUs.
    s.clock.advance(3600);
    const stock = { 'HPB1-S': 3, 'HPB1-M': 2, 'PBF2-M': 4 };
    expect(await pd.syncInventory(stock)).toEqual({ posted: Object.keys(stock) });
    for (const [sku, units] of Object.entries(stock)) {
      s.journal.expectRequest({ operationId: 'updateInventory', status: 201, body: { sku, available_units: units } }, { times: 1 });
    }

    // The next run asks only for what changed since the mark: exactly the pre-orders Purple Dot exported.
    const second = await pd.pollPreOrders({ since: first.mark, limit: 10 });
    s.journal.expectRequest({ operationId: 'listPreOrders', query: { updated_at_min: first.mark, limit: '10' } });
    const exported = await listPreOrderIds(s, { some_line_item: 'exported' });
    expect(exported.length).toBeGreaterThan(0);
    expect(second.preOrders.map((o) => o.id).sort()).toEqual([...exported].sort());
    expect(second.preOrders.every((o) => o.exported_orders.length > 0)).toBe(true);

    // Ship every fulfillment order the exports made, with its tracking number.
    const unfulfilled = await listFulfillmentOrders(s);
    expect(unfulfilled.length).toBeGreaterThan(0);
    const pushed = await pd.pushFulfillments({ trackingFor: upsTracking });
    expect([...pushed.fulfilled].sort()).toEqual(unfulfilled.map((fo) => fo.id).sort());
    for (const fo of unfulfilled) {
      s.journal.expectRequest({
        operationId: 'createFulfillment', status: 201,
        body: { fulfillment: { fulfillment_order_id: fo.id, notify_customer: true, tracking_info: upsTracking(fo as FulfillmentOrder) } },
      }, { times: 1 });
    }
    expect((await listFulfillmentOrders(s)).map((fo) => fo.status)).toEqual(unfulfilled.map(() => 'FULFILLED'));

    // Nothing is left to ship, so a second push posts nothing.
    expect(await pd.pushFulfillments({ trackingFor: upsTracking })).toEqual({ fulfilled: [], alreadyFulfilled: [], notShipped: [] });
    expect(s.journal.count({ operationId: 'createFulfillment' })).toBe(unfulfilled.length);

    s.journal.expectAllConforming();
  });

  it('returns, on the next run, only the pre-orders placed or cancelled since the mark', async () => {
    const s = await start({ scenario: 'on-preorder' });
    const pd = connectorFor(s);
    const first = await pd.pollPreOrders({ since: null });
    s.clock.advance(3600);

    const cancelled = first.preOrders.find((o) => o.cancelled_at === null)!;
    expect((await s.control.POST('/__sim/pre-orders/{id}/cancel', { params: { path: { id: cancelled.id } }, body: { reason: 'CUSTOMER' } })).response.status).toBe(200);
    const variantId = cancelled.line_items[0]!.variant_id;
    const placed = await s.control.POST('/__sim/pre-orders', { body: { email: 'ada@example.com', lines: [{ variant_id: variantId, quantity: 1 }] } });
    expect(placed.response.status).toBe(201);

    const second = await pd.pollPreOrders({ since: first.mark });
    expect(second.preOrders.map((o) => o.id)).toEqual([cancelled.id, placed.data!.data.id]);
    expect(second.preOrders[0]!.cancelled_at).not.toBeNull();
    expect(Date.parse(second.mark)).toBeGreaterThan(Date.parse(first.mark));
  });
});

describe('paging', () => {
  it('follows the Link header across three pages, each resuming at the cursor the one before gave', async () => {
    const s = await start({ scenario: 'on-preorder' });
    const result = await connectorFor(s).pollPreOrders({ since: '2025-01-01T00:00:00.000Z', limit: 10 });

    const requests = s.journal.entries({ operationId: 'listPreOrders' });
    expect(requests.map((e) => e.status)).toEqual([200, 200, 200]);
    expect(requests[0]!.query).toEqual({ limit: '10', updated_at_min: '2025-01-01T00:00:00.000Z' });
    for (const [i, e] of requests.slice(1).entries()) {
      expect(e.query).toEqual({ limit: '10', updated_at_min: '2025-01-01T00:00:00.000Z', starting_after: nextCursorOf(requests[i]!.response) });
    }
    expect(result.pages).toBe(3);
    expect(result.preOrders.map((o) => o.id).sort()).toEqual((await listPreOrderIds(s)).sort());
  });

  it('falls back to has_more and starting_after, keeping its filters, when a proxy strips the Link header', async () => {
    const s = await start({ scenario: 'on-preorder' });
    const linkless: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const headers = new Headers(res.headers);
      headers.delete('link');
      return new Response(await res.arrayBuffer(), { status: res.status, headers });
    };
    const result = await connectorFor(s, { fetch: linkless }).pollPreOrders({ since: null, limit: 10 });

    expect(result.preOrders).toHaveLength(24);
    const queries = s.journal.entries({ operationId: 'listPreOrders' }).map((e) => e.query);
    expect(queries).toHaveLength(3);
    expect(queries.map((q) => [q.limit, q.updated_at_min, q.starting_after !== undefined]))
      .toEqual([['10', '1970-01-01T00:00:00.000Z', false], ['10', '1970-01-01T00:00:00.000Z', true], ['10', '1970-01-01T00:00:00.000Z', true]]);
  });
});

describe('retries', () => {
  it('waits as long as Retry-After asks after a 429, then asks for the same page again', async () => {
    const s = await start({ scenario: 'on-preorder', faults: [{ operationId: 'listPreOrders', status: 429, retryAfter: 1, times: 1 }] });
    const { sleep, calls } = recordingSleep(s);
    const result = await connectorFor(s, { sleep }).pollPreOrders({ since: null, limit: 10 });

    expect(result.preOrders).toHaveLength(24);
    // One wait of 1 s, begun after the 429 (the only request so far) and before the retry.
    expect(calls).toEqual([{ ms: 1000, requestsSoFar: 1 }]);
    const requests = s.journal.entries({ operationId: 'listPreOrders' });
    expect(requests.map((e) => [e.status, e.fault?.kind ?? null])).toEqual([[429, 'status'], [200, null], [200, null], [200, null]]);
    expect(requests[1]!.query).toEqual(requests[0]!.query);
  });

  it('gives up at once, with a clear error, when Retry-After asks for longer than it will wait', async () => {
    const s = await start({ scenario: 'on-preorder', faults: [{ operationId: 'listPreOrders', status: 429, retryAfter: 120, times: 1 }] });
    const { sleep, calls } = recordingSleep(s);
    const error = await connectorFor(s, { sleep }).pollPreOrders({ since: null }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PurpleDotRetriesExhaustedError);
    expect((error as Error).message).toMatch(/GET \/admin\/api\/v1\/pre-orders failed after 1 attempt\(s\); last: 429 RATE_LIMITED, asked to wait 120 s/);
    expect(calls).toEqual([]);
    expect(apiRequests(s)).toHaveLength(1);
  });

  it('retries a 500 after a short backoff, and the stock arrives once', async () => {
    const s = await start({ scenario: 'on-preorder', faults: [{ status: 500, times: 1 }] });
    const { sleep, calls } = recordingSleep(s);
    expect(await connectorFor(s, { sleep, backoffMs: 200 }).syncInventory({ 'HPB1-S': 4 })).toEqual({ posted: ['HPB1-S'] });

    expect(calls).toEqual([{ ms: 200, requestsSoFar: 1 }]);
    expect(s.journal.entries({ operationId: 'updateInventory' }).map((e) => [e.status, e.executed])).toEqual([[500, false], [201, true]]);
    expect(await exportedUnits(s, 'HPB1-S')).toBeGreaterThan(0);
  });

  it('posts the same level again when an answer is lost, which exports nothing twice', async () => {
    const s = await start({ scenario: 'on-preorder', faults: [{ operationId: 'updateInventory', kind: 'reset', times: 1 }] });
    const untroubled = await s.createStore({ scenario: 'on-preorder' });
    try {
      await connectorFor(s).syncInventory({ 'PBF2-M': 3 });
      await connectorFor(untroubled).syncInventory({ 'PBF2-M': 3 });

      expect(s.journal.entries({ operationId: 'updateInventory' }).map((e) => [e.status, e.executed, e.fault?.kind ?? null]))
        .toEqual([[201, true, 'reset'], [201, true, null]]);
      expect(await exportedUnits(s, 'PBF2-M')).toBeGreaterThan(0);
      expect(await exportedUnits(s, 'PBF2-M')).toBe(await exportedUnits(untroubled, 'PBF2-M'));
    } finally {
      await untroubled.close();
    }
  });

  it('abandons an attempt that gets no answer within its timeout, and tries again', async () => {
    const s = await start({ scenario: 'ready-to-fulfil', faults: [{ operationId: 'listFulfillmentOrders', kind: 'timeout', times: 1 }] });
    const { sleep, calls } = recordingSleep(s);
    const result = await connectorFor(s, { sleep, timeoutMs: 200 }).pushFulfillments({ trackingFor: () => null });

    expect(result.notShipped).toHaveLength(10);
    expect(calls).toEqual([{ ms: 500, requestsSoFar: 1 }]);
    expect(s.journal.entries({ operationId: 'listFulfillmentOrders' }).map((e) => e.fault?.kind ?? null)).toEqual(['timeout', null]);
  });

  it('asks again when a 200 arrives with its JSON cut off', async () => {
    const s = await start({ scenario: 'on-preorder', faults: [{ operationId: 'listPreOrders', kind: 'malformed', times: 1 }] });
    const result = await connectorFor(s).pollPreOrders({ since: null, limit: 10 });

    expect(result.preOrders).toHaveLength(24);
    expect(s.journal.entries({ operationId: 'listPreOrders' }).map((e) => [e.query.starting_after ?? null, e.fault?.kind ?? null]))
      .toEqual([[null, 'malformed'], [null, null], [expect.any(String), null], [expect.any(String), null]]);
  });

  it('gives up after the attempts it is allowed, naming the request and the last answer', async () => {
    const s = await start({ scenario: 'ready-to-fulfil', faults: [{ operationId: 'listFulfillmentOrders', status: 503 }] });
    const { sleep, calls } = recordingSleep(s);
    const error = await connectorFor(s, { sleep, maxAttempts: 3 }).pushFulfillments({ trackingFor: upsTracking }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PurpleDotRetriesExhaustedError);
    expect((error as Error).message).toBe('Purple Dot GET /admin/api/v1/fulfillment-orders failed after 3 attempt(s); last: 503 SERVICE_UNAVAILABLE');
    expect(calls.map((c) => c.ms)).toEqual([500, 1000]);
    expect(s.journal.count({ operationId: 'listFulfillmentOrders' })).toBe(3);
    expect(s.journal.count({ operationId: 'createFulfillment' })).toBe(0);
  });

  it('counts a fulfilment whose answer was lost as done when the retry finds it already fulfilled', async () => {
    const s = await start({ scenario: 'ready-to-fulfil', faults: [{ operationId: 'createFulfillment', kind: 'reset', times: 1 }] });
    const orders = await listFulfillmentOrders(s);
    const result = await connectorFor(s).pushFulfillments({ trackingFor: upsTracking });

    expect(result.alreadyFulfilled).toEqual([orders[0]!.id]);
    expect(result.fulfilled).toEqual(orders.slice(1).map((fo) => fo.id));
    expect(s.journal.entries({ operationId: 'createFulfillment' }).slice(0, 2).map((e) => [e.status, e.executed, e.fault?.kind ?? null]))
      .toEqual([[201, true, 'reset'], [409, false, null]]);
    expect((await listFulfillmentOrders(s)).every((fo) => fo.status === 'FULFILLED')).toBe(true);
  });
});

describe('a rejected token', () => {
  it('stops the poller at the first 401 with a clear error, without retrying', async () => {
    const s = await start({ scenario: 'on-preorder' });
    const { sleep, calls } = recordingSleep(s);
    const error = await connectorFor(s, { accessToken: 'pd_revoked_token', sleep }).pollPreOrders({ since: null }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PurpleDotAuthError);
    expect((error as Error).message).toMatch(/^Purple Dot rejected the access token \(401 INVALID_ACCESS_TOKEN\) on GET \/admin\/api\/v1\/pre-orders\..*Not retrying/);
    s.journal.expectRequest({ operationId: 'listPreOrders', status: 401 }, { times: 1 });
    expect(apiRequests(s)).toHaveLength(1);
    expect(calls).toEqual([]);
  });

  it('stops the inventory sync at the first SKU instead of trying the others', async () => {
    const s = await start({ scenario: 'on-preorder' });
    const error = await connectorFor(s, { accessToken: 'pd_revoked_token' }).syncInventory({ 'HPB1-S': 1, 'HPB1-M': 1, 'HPB1-L': 1 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PurpleDotAuthError);
    expect(error).not.toBeInstanceOf(InventorySyncError);
    expect(apiRequests(s).map((e) => [e.operationId, e.status, (e.body as { sku: string }).sku])).toEqual([['updateInventory', 401, 'HPB1-S']]);
  });
});

describe('the fulfillment pusher', () => {
  it('leaves the orders the platform has not shipped yet for a later run', async () => {
    const s = await start({ scenario: 'ready-to-fulfil' });
    const orders = await listFulfillmentOrders(s);
    const shipped = new Set(orders.slice(0, 3).map((fo) => fo.id));
    const result = await connectorFor(s).pushFulfillments({ trackingFor: (fo) => (shipped.has(fo.id) ? upsTracking(fo) : null), notifyCustomer: false });

    expect(result.fulfilled).toEqual([...shipped]);
    expect(result.notShipped).toEqual(orders.slice(3).map((fo) => fo.id));
    expect(s.journal.entries({ operationId: 'createFulfillment' }).map((e) => (e.body as { fulfillment: { notify_customer: boolean } }).fulfillment.notify_customer))
      .toEqual([false, false, false]);
    expect((await listFulfillmentOrders(s)).map((fo) => fo.status)).toEqual(orders.map((fo) => (shipped.has(fo.id) ? 'FULFILLED' : 'UNFULFILLED')));
  });
});

describe('API coverage', () => {
  it('covers what a connector must handle: paging, stock, fulfilment, a 429, a 500 and a refused token', async () => {
    const s = await start({
      scenario: 'on-preorder',
      faults: [{ operationId: 'listPreOrders', status: 429, retryAfter: 1, times: 1 }, { operationId: 'updateInventory', status: 500, times: 1 }],
    });
    const pd = connectorFor(s);
    const first = await pd.pollPreOrders({ since: null, limit: 10 });
    s.clock.advance(3600);
    await pd.syncInventory({ 'HPB1-S': 3, 'PBF2-M': 4 });
    await pd.pollPreOrders({ since: first.mark, limit: 10 });
    await pd.pushFulfillments({ trackingFor: upsTracking });
    await expect(connectorFor(s, { accessToken: 'pd_revoked_token' }).pollPreOrders({ since: first.mark })).rejects.toThrow(PurpleDotAuthError);

    s.expectCoverage({
      operations: ['updateInventory', 'listPreOrders', 'listFulfillmentOrders', 'createFulfillment'],
      paged: ['listPreOrders'],
      statuses: { listPreOrders: [200, 401, 429], updateInventory: [201, 500], listFulfillmentOrders: [200], createFulfillment: [201] },
      filters: { listPreOrders: ['updated_at_min'] },
      faults: ['status'],
      allConforming: true,
    });
  });
});
