/**
 * Prism as an outside judge: the simulator runs in-process, Prism proxies to it with the Purple Dot spec
 * and validates every request and response on the way through. Without `--errors` Prism forwards
 * everything and reports what it found in the `sl-violations` header; a conforming exchange has none.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signShopperToken } from '../../src/client/shopper-token.ts';
import type { StoreData } from '../../src/domain/types.ts';
import { contractOperations, operationFor } from '../support/contract.ts';
import { stopChild } from '../support/processes.ts';
import { credentials, privateHeaders, startHarness, type Harness } from '../support/simulator.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PRISM = `${ROOT}node_modules/.bin/prism`;
const SPEC = 'spec/purple-dot.openapi.yaml';
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

/** Resolves with Prism's URL once it logs that it listens on the port the OS gave it; rejects if it exits first. */
function prismListening(prism: ChildProcess, log: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onOutput = (): void => {
      const url = /Prism is listening on (http:\/\/[0-9.]+:[0-9]+)/.exec(log())?.[1];
      if (url) {
        cleanUp();
        resolve(url);
      }
    };
    const onExit = (): void => {
      cleanUp();
      reject(new Error(`Prism exited before listening:\n${log()}`));
    };
    const cleanUp = (): void => {
      prism.stdout?.off('data', onOutput);
      prism.stderr?.off('data', onOutput);
      prism.off('exit', onExit);
    };
    prism.stdout?.on('data', onOutput);
    prism.stderr?.on('data', onOutput);
    prism.once('exit', onExit);
  });
}

interface Exchange {
  /** A sentence naming what is asked. */
  name: string;
  operationId: string;
  method: 'GET' | 'POST';
  /** Built at request time: ids and shopper tokens come from the simulator's state and clock. */
  path: () => string;
  headers?: Record<string, string>;
  body?: () => unknown;
  status: number;
  /** The response must carry a `Link: <…>; rel="next"` header. */
  nextLink?: boolean;
}

/** Asked with this query parameter, the upstream answers a body the spec forbids instead of asking the simulator. */
const BROKEN_RESPONSE = 'sentinel=broken-response';

/**
 * Prism's upstream: passes every request through to the simulator, except the sentinel, which proves that
 * Prism checks responses and not only requests.
 */
function startUpstream(simulatorUrl: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url?.includes(BROKEN_RESPONSE)) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ meta: { result: 'success' }, data: 'not a list of waitlists' }));
      return;
    }
    const forward = request(new URL(req.url ?? '/', simulatorUrl), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })));
}

const pub = (path: string, query: Record<string, string | number> = {}): string =>
  `${path}?${new URLSearchParams(Object.entries({ api_key: credentials.public_api_key, ...query }).map(([k, v]) => [k, String(v)]))}`;

describe('Prism proxy in front of the simulator (ready-to-fulfil scenario)', () => {
  let harness: Harness;
  let prism: ChildProcess | undefined;
  let upstream: Server | undefined;
  let prismUrl = '';
  let prismLog = '';
  const data = (): StoreData => harness.sim.engine.defaultStore().state.data;

  beforeAll(async () => {
    harness = await startHarness({ scenario: 'ready-to-fulfil' });
    const forwarder = await startUpstream(harness.url);
    upstream = forwarder.server;
    // Port 0 and the port Prism logs: a port picked here and handed over could be taken by another worker first.
    prism = spawn(PRISM, ['proxy', SPEC, forwarder.url, '--port', '0', '--host', '127.0.0.1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    prism.stdout?.on('data', (chunk: Buffer) => { prismLog += chunk.toString(); });
    prism.stderr?.on('data', (chunk: Buffer) => { prismLog += chunk.toString(); });
    prismUrl = await prismListening(prism, () => prismLog);
  }, 60_000);

  afterAll(async () => {
    if (prism) await stopChild(prism);
    upstream?.closeAllConnections();
    await new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve(undefined)));
    await harness?.close();
  });

  const firstFulfillmentOrder = () => data().fulfillment_orders[0]!;
  const exportedLine = (foIndex: number) => {
    const id = data().fulfillment_orders[foIndex]!.lines[0]!.line_item_id;
    return data().pre_orders.flatMap((o) => o.line_items).find((l) => l.id === id)!;
  };
  const shopperQuery = () => {
    const email = data().pre_orders[0]!.email;
    const timestamp = Math.floor(harness.sim.engine.defaultStore().clock.nowMs() / 1000);
    return { email, timestamp, token: signShopperToken(email, timestamp, credentials.shared_secret) };
  };

  const EXCHANGES: Exchange[] = [
    { name: 'lists open waitlists', operationId: 'listOpenWaitlists', method: 'GET', path: () => pub('/api/v1/waitlists'), status: 200 },
    { name: "reads a product's availability", operationId: 'getAvailability', method: 'GET', path: () => pub('/api/v1/availability', { product_id: data().products[0]!.id }), status: 200 },
    { name: "reads a product's pre-order state", operationId: 'getProductPreorderState', method: 'GET', path: () => pub('/api/v1/products/preorder-state', { handle: data().products[0]!.handle, country: 'US' }), status: 200 },
    { name: "reads a variant's pre-order state", operationId: 'getVariantPreorderState', method: 'GET', path: () => pub('/api/v1/variants/preorder-state', { variant_id: data().variants[0]!.id }), status: 200 },
    { name: "lists a shopper's pre-orders with a signed token", operationId: 'listShopperPreOrders', method: 'GET', path: () => pub('/api/v1/pre-orders', shopperQuery()), status: 200 },
    { name: "reads the SDK's integration settings", operationId: 'getIntegrationSettings', method: 'GET', path: () => pub('/api/v1/integration-settings'), status: 200 },
    {
      name: "accepts an SDK analytics event", operationId: 'trackEvent', method: 'POST', path: () => '/api/v1/track', status: 202,
      body: () => ({ id: '6f1c2f4e-8a5b-4a0e-9d53-2c1d8f0b7e11', name: 'page_view', attrs: { deviceIdPersistent: true }, clientTimestamp: 1768467600000, clientSequence: 1 }),
    },
    { name: 'lists a page of waitlists', operationId: 'listWaitlists', method: 'GET', path: () => '/admin/api/v1/waitlists?limit=100', headers: privateHeaders, status: 200 },
    { name: 'lists a page of pre-orders with a next link', operationId: 'listPreOrders', method: 'GET', path: () => '/admin/api/v1/pre-orders?limit=3', headers: privateHeaders, status: 200, nextLink: true },
    { name: 'counts exported pre-orders', operationId: 'countPreOrders', method: 'GET', path: () => '/admin/api/v1/pre-orders/count?all_line_items=exported', headers: privateHeaders, status: 200 },
    { name: "counts a SKU's units", operationId: 'countSkuUnits', method: 'GET', path: () => `/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent(data().variants[0]!.sku)}`, headers: privateHeaders, status: 200 },
    { name: 'lists fulfillment orders', operationId: 'listFulfillmentOrders', method: 'GET', path: () => '/admin/api/v1/fulfillment-orders?limit=2', headers: privateHeaders, status: 200 },
    { name: 'reads one fulfillment order', operationId: 'getFulfillmentOrder', method: 'GET', path: () => `/admin/api/v1/fulfillment-orders/${firstFulfillmentOrder().id}`, headers: privateHeaders, status: 200 },
    {
      name: "sets a SKU's available units", operationId: 'updateInventory', method: 'POST', path: () => '/admin/api/v1/inventory', headers: privateHeaders, status: 201,
      body: () => ({ sku: data().variants[0]!.sku, available_units: data().inventory.find((i) => i.sku === data().variants[0]!.sku)?.available_units ?? 0 }),
    },
    {
      name: 'fulfils a fulfillment order with tracking', operationId: 'createFulfillment', method: 'POST', path: () => '/admin/api/v1/fulfillment', headers: privateHeaders, status: 201,
      body: () => ({ fulfillment: { fulfillment_order_id: firstFulfillmentOrder().id, notify_customer: true, tracking_info: { number: '1Z999', company: 'UPS', url: 'https://example.com/track/1Z999' } } }),
    },
    {
      name: 'refunds one unit of an exported line', operationId: 'createRefund', method: 'POST', path: () => '/admin/api/v1/refund', headers: privateHeaders, status: 201,
      body: () => {
        const line = exportedLine(1);
        return { id: 'prism-refund-1', order: line.external_order_id, line_items: [{ id: line.external_line_item_id, quantity: 1 }] };
      },
    },
    { name: 'answers 404 for an unknown fulfillment order', operationId: 'getFulfillmentOrder', method: 'GET', path: () => `/admin/api/v1/fulfillment-orders/${UNKNOWN_UUID}`, headers: privateHeaders, status: 404 },
    { name: 'answers 401 for a wrong api_key', operationId: 'listOpenWaitlists', method: 'GET', path: () => `/api/v1/waitlists?api_key=${credentials.public_api_key.replace(/^./, '0')}`, status: 401 },
    { name: 'answers 401 for a wrong access token', operationId: 'listWaitlists', method: 'GET', path: () => '/admin/api/v1/waitlists', headers: { 'X-Purple-Dot-Access-Token': `${credentials.private_access_token}-wrong` }, status: 401 },
  ];

  it('reports a violation in sl-violations for a request that breaks the spec, so its silence below means something', async () => {
    const res = await fetch(`${prismUrl}/admin/api/v1/waitlists?limit=0`, { headers: privateHeaders });
    await res.text();
    expect(res.status).toBe(400);
    const violations = JSON.parse(res.headers.get('sl-violations') ?? '[]') as { location: string[] }[];
    expect(violations.map((v) => v.location.join('.'))).toContain('request.query.limit');
  });

  it('reports a violation in sl-violations for a response that breaks the spec, so Prism judges responses too', async () => {
    const res = await fetch(`${prismUrl}${pub('/api/v1/waitlists')}&${BROKEN_RESPONSE}`);
    await res.text();
    const violations = JSON.parse(res.headers.get('sl-violations') ?? '[]') as { location: string[] }[];
    expect(violations.map((v) => v.location.join('.'))).toContain('response.body.data');
  });

  it('names each exchange by the operation its method and path reach', () => {
    const mislabelled = EXCHANGES.filter((e) => operationFor(e.method, e.path()).operationId !== e.operationId).map((e) => e.name);
    expect(mislabelled).toEqual([]);
  });

  it('walks every operation of the Purple Dot spec', () => {
    const walked = new Set(EXCHANGES.filter((e) => e.status < 300).map((e) => operationFor(e.method, e.path()).operationId));
    expect(contractOperations.filter((o) => o.spec === 'purple-dot').map((o) => o.operationId).filter((id) => !walked.has(id))).toEqual([]);
  });

  it.each(EXCHANGES.map((e) => [e.name, e] as const))('Prism finds no violation when the simulator %s', async (_name, exchange) => {
    // Each change starts from the scenario, so no exchange depends on what an earlier one did.
    if (exchange.method === 'POST') expect((await harness.control('POST', '/__sim/reset')).status).toBe(200);
    const body = exchange.body?.();
    const headers: Record<string, string> = { ...exchange.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const res = await fetch(`${prismUrl}${exchange.path()}`, { method: exchange.method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    const violations = res.headers.get('sl-violations');
    expect(violations, `sl-violations: ${violations}`).toBeNull();
    expect(res.status, text).toBe(exchange.status);
    if (exchange.nextLink) expect(res.headers.get('link')).toMatch(/starting_after=[^>]+>; rel="next"/);
  });
});
