/**
 * `purple-dot-sim verify`: walks the read operations of the Purple Dot spec against any server (the
 * simulator, a mock, or Purple Dot itself with a partner's own credentials) and judges every answer against
 * the spec. IDs for the parameterised operations are discovered from the lists the server answers first.
 */
import { signShopperToken } from '../client/shopper-token.ts';
import { listOperations, type SpecOperation } from '../engine/spec.ts';
import { createResponseValidator, nextLinkTarget, type ResponseValidator } from './response-validator.ts';

export interface VerifyOptions {
  /** The server to check, e.g. `http://127.0.0.1:4010` or `https://www.purpledotprice.com`. */
  baseUrl: string;
  /** The store's public API key; without it the public operations are skipped. */
  apiKey?: string;
  /** The store's private access token; without it the private operations are skipped. */
  accessToken?: string;
  /** The store's shared secret, to sign a shopper token for `GET /api/v1/pre-orders`; without it that check is skipped. */
  sharedSecret?: string;
  /** Also post `POST /admin/api/v1/inventory` (0 units of {@link VERIFY_SKU}, a SKU no product uses). */
  allowWrites?: boolean;
  /** How long to wait for each answer (default 10 s). */
  timeoutMs?: number;
  /** Injected for tests; `globalThis.fetch` by default. */
  fetch?: typeof globalThis.fetch;
}

export type Outcome = 'pass' | 'fail' | 'skip';

/** One check: one request and the verdict on its answer, or why it was not made. */
export interface CheckResult {
  operationId: string;
  /** What the check asks, as a short sentence. */
  name: string;
  method: string;
  /** Path and query as sent, with the API key and shopper token shown as `***`. */
  request: string;
  /** The status answered; null when the request was not made or got no answer. */
  status: number | null;
  outcome: Outcome;
  /** Why it failed (every problem found), or why it was skipped (one reason). */
  problems: string[];
  /** Something worth knowing about a check that passed (e.g. which clock signed the shopper token). */
  note?: string;
  durationMs: number;
}

export interface VerifyReport {
  baseUrl: string;
  startedAt: string;
  durationMs: number;
  checks: CheckResult[];
  passed: number;
  failed: number;
  skipped: number;
  /** True when no check failed (skipped checks are not failures). */
  ok: boolean;
}

/** Bad input to verify itself (a missing or malformed base URL, a server that does not answer): exit code 2. */
export class VerifyInputError extends Error {
  override name = 'VerifyInputError';
}

/** The SKU `--allow-writes` posts inventory for: 0 units of a SKU no product uses, so no pre-order exports. */
export const VERIFY_SKU = 'PURPLE-DOT-SIM-VERIFY';
const ACCESS_HEADER = 'X-Purple-Dot-Access-Token';
const SECRET_QUERY = new Set(['api_key', 'token']);
/** One item a page, so a store with two items has a next page, and its `Link` header is checked and followed. */
const PAGE = '1';

type Auth = 'public' | 'private' | 'none';

interface Request {
  operationId: string;
  name: string;
  auth: Auth;
  expect: number;
  /** A path of the spec, filled in; or, for a followed `Link`, an absolute URL. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

interface Answered {
  result: CheckResult;
  /** The parsed body when it was JSON. */
  body: unknown;
  headers: Headers | undefined;
}

// Safe readers of bodies whose shape is not trusted (the server may break the spec).
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asRecord = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : {});
const asString = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const dataOf = (body: unknown): unknown => asRecord(body).data;

/** IDs, handles, SKUs and emails seen in the answers so far, in the order they were seen. */
class Discovered {
  readonly productIds: string[] = [];
  readonly handles: string[] = [];
  readonly variantIds: string[] = [];
  readonly skus: string[] = [];
  readonly emails: string[] = [];
  readonly fulfillmentOrderIds: string[] = [];

  add(list: string[], value: unknown): void {
    const text = asString(value);
    if (text !== undefined && !list.includes(text)) list.push(text);
  }
}

function reasonOf(error: unknown, timeoutMs: number): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const code = err.cause?.code;
  const detail = err.cause?.message || err.message || String(error);
  // undici refuses the ports browsers block (e.g. 1, 22, 25, 6000) without trying them.
  if (detail === 'bad port') return 'fetch refuses to connect to this port (one of the ports browsers block)';
  return code && !detail.includes(code) ? `${detail} (${code})` : detail;
}

/** `(CODE: message)` of an error envelope, to say why an answer had the wrong status. */
function errorSummary(body: unknown): string {
  const error = asRecord(asRecord(body).error);
  const code = asString(error.code);
  const message = asString(error.message);
  return code || message ? ` (${[code, message].filter(Boolean).join(': ')})` : '';
}

function displayOf(url: URL, base: URL): string {
  const shown = new URLSearchParams();
  for (const [key, value] of url.searchParams) shown.append(key, SECRET_QUERY.has(key) ? '***' : value);
  const query = shown.toString();
  const prefix = base.pathname.replace(/\/$/, '');
  const path = prefix && url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
  return `${url.origin === base.origin ? path : `${url.origin}${url.pathname}`}${query ? `?${query}` : ''}`;
}

/** Parses and checks the base URL: an absolute http(s) URL without query or fragment. */
export function parseBaseUrl(value: string | undefined): URL {
  if (value === undefined || value.trim() === '') throw new VerifyInputError('--base-url is required: the server to check, e.g. http://127.0.0.1:4010');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new VerifyInputError(`--base-url ${JSON.stringify(value)} is not a URL: give an http:// or https:// URL, e.g. http://127.0.0.1:4010`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new VerifyInputError(`--base-url ${JSON.stringify(value)} is not an http:// or https:// URL`);
  }
  if (url.search || url.hash) throw new VerifyInputError(`--base-url ${JSON.stringify(value)} must not have a query or fragment`);
  return url;
}

/** The spec's read operations (GET) and the one idempotent write verify may make. */
export function verifiedOperations(): SpecOperation[] {
  return listOperations().filter((op) => op.spec === 'purpleDot' && (op.method === 'get' || op.operation.operationId === 'updateInventory'));
}

/** Runs every check against the server and returns the results; throws {@link VerifyInputError} on bad input. */
export async function verify(options: VerifyOptions): Promise<VerifyReport> {
  const base = parseBaseUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch = options.fetch ?? globalThis.fetch;
  const validator: ResponseValidator = createResponseValidator();
  const operations = new Map(verifiedOperations().map((op) => [op.operation.operationId, op]));
  const startedAt = new Date();
  const started = performance.now();
  const checks: CheckResult[] = [];
  const found = new Discovered();
  let answeredOnce = false;

  const operation = (operationId: string): SpecOperation => {
    const op = operations.get(operationId);
    if (!op) throw new Error(`verify: the spec has no operation ${operationId}`);
    return op;
  };

  const urlOf = (request: Request): URL => {
    const url = /^https?:\/\//.test(request.path)
      ? new URL(request.path)
      : new URL(`${base.pathname.replace(/\/$/, '')}${request.path}`, base.origin);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
    if (request.auth === 'public' && options.apiKey !== undefined && !url.searchParams.has('api_key')) url.searchParams.set('api_key', options.apiKey);
    return url;
  };

  const skip = (operationId: string, name: string, reason: string, path = operation(operationId).path): void => {
    checks.push({
      operationId, name, method: operation(operationId).method.toUpperCase(), request: path, status: null,
      outcome: 'skip', problems: [reason], durationMs: 0,
    });
  };

  /** Sends one request and records its check. */
  const call = async (request: Request): Promise<Answered> => {
    const op = operation(request.operationId);
    const method = op.method.toUpperCase();
    const url = urlOf(request);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (request.auth === 'private' && options.accessToken !== undefined) headers[ACCESS_HEADER] = options.accessToken;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const began = performance.now();
    const result: CheckResult = {
      operationId: request.operationId, name: request.name, method, request: displayOf(url, base), status: null,
      outcome: 'fail', problems: [], durationMs: 0,
    };
    checks.push(result);
    let response: Response;
    let text: string;
    try {
      response = await doFetch(url, {
        method, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs),
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
      });
      text = await response.text();
    } catch (error) {
      const reason = reasonOf(error, timeoutMs);
      if (!answeredOnce) throw new VerifyInputError(`${base.origin} does not answer: ${reason}`);
      result.problems.push(`no answer: ${reason}`);
      result.durationMs = performance.now() - began;
      return { result, body: undefined, headers: undefined };
    }
    answeredOnce = true;
    result.durationMs = performance.now() - began;
    result.status = response.status;
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.status !== request.expect) result.problems.push(`expected status ${request.expect}, got ${response.status}${errorSummary(body)}`);
    result.problems.push(...validator.problems(op, { status: response.status, headers: response.headers, text }));
    result.outcome = result.problems.length === 0 ? 'pass' : 'fail';
    return { result, body, headers: response.headers };
  };

  /**
   * A paginated list: the `Link` header must agree with `data.has_more` (the spec sends it exactly when there
   * is a next page), and the next page it links to is read and judged too.
   */
  const list = async (request: Request): Promise<Answered> => {
    const answered = await call(request);
    const { result, body, headers } = answered;
    if (!headers || result.status !== request.expect) return answered;
    const hasMore = asRecord(dataOf(body)).has_more;
    const link = headers.get('link');
    const target = nextLinkTarget(link);
    if (hasMore === true && link === null) result.problems.push('header Link: missing although data.has_more is true');
    if (hasMore === false && link !== null) result.problems.push('header Link: present although data.has_more is false');
    result.outcome = result.problems.length === 0 ? 'pass' : 'fail';
    if (target === undefined || hasMore !== true) return answered;
    const name = `${request.name} (next page, from its Link header)`;
    let next: URL;
    try {
      next = new URL(target, urlOf(request));
    } catch {
      result.problems.push(`header Link: ${JSON.stringify(target)} is not a URL`);
      result.outcome = 'fail';
      return answered;
    }
    if (next.origin !== base.origin) {
      skip(request.operationId, name, `the next link leads to another origin (${next.origin}): not followed with the credentials`, displayOf(next, base));
      return answered;
    }
    await call({ ...request, name, path: next.toString(), query: {} });
    return answered;
  };

  const needs = (auth: Auth): string | undefined => {
    if (auth === 'public' && options.apiKey === undefined) return 'no --api-key given: public operations are not called';
    if (auth === 'private' && options.accessToken === undefined) return 'no --access-token given: private operations are not called';
    return undefined;
  };

  /** Runs the request when its credential was given and its input found; otherwise records why not. */
  const attempt = async (
    request: Omit<Request, 'path'> & { path: string | undefined },
    missing: string,
    run: (request: Request) => Promise<Answered> = call,
  ): Promise<Answered | undefined> => {
    const lacking = needs(request.auth);
    if (lacking) {
      skip(request.operationId, request.name, lacking);
      return undefined;
    }
    if (request.path === undefined) {
      skip(request.operationId, request.name, missing);
      return undefined;
    }
    return run({ ...request, path: request.path });
  };

  // 1. Without credentials: 401 in the error envelope, one public and one private operation. These run
  //    first and always, so a server that does not answer is known at once.
  await call({ operationId: 'listOpenWaitlists', name: 'refuses a public request without an api_key with 401', auth: 'none', expect: 401, path: '/api/v1/waitlists' });
  await call({ operationId: 'listWaitlists', name: 'refuses a private request without an access token with 401', auth: 'none', expect: 401, path: '/admin/api/v1/waitlists' });

  // 2. The lists, which need no IDs and name the IDs the other operations take.
  const openWaitlists = await attempt({ operationId: 'listOpenWaitlists', name: 'lists the open waitlists', auth: 'public', expect: 200, path: '/api/v1/waitlists' }, '');
  for (const waitlist of asArray(dataOf(openWaitlists?.body))) {
    const product = asRecord(asRecord(waitlist).product);
    found.add(found.productIds, product.id);
    found.add(found.handles, product.product_code);
  }

  const waitlists = await attempt({ operationId: 'listWaitlists', name: 'lists a page of waitlists', auth: 'private', expect: 200, path: '/admin/api/v1/waitlists', query: { limit: PAGE } }, '', list);
  for (const waitlist of asArray(asRecord(dataOf(waitlists?.body)).waitlists)) {
    const availability = asRecord(asRecord(waitlist).availability);
    found.add(found.productIds, asRecord(availability.product).product_id);
    for (const variant of asArray(availability.variants)) {
      found.add(found.variantIds, asRecord(variant).variant_id);
      found.add(found.skus, asRecord(variant).sku);
    }
  }

  const preOrders = await attempt({ operationId: 'listPreOrders', name: 'lists a page of pre-orders', auth: 'private', expect: 200, path: '/admin/api/v1/pre-orders', query: { limit: PAGE } }, '', list);
  for (const order of asArray(asRecord(dataOf(preOrders?.body)).orders)) {
    found.add(found.emails, asRecord(asRecord(order).customer).email);
    for (const line of asArray(asRecord(order).line_items)) {
      found.add(found.productIds, asRecord(line).product_id);
      found.add(found.variantIds, asRecord(line).variant_id);
      found.add(found.skus, asRecord(line).sku);
    }
  }

  await attempt({ operationId: 'countPreOrders', name: 'counts the pre-orders', auth: 'private', expect: 200, path: '/admin/api/v1/pre-orders/count' }, '');

  // The SDK's read before checkout (observed in the SDK): needs no IDs.
  await attempt({ operationId: 'getIntegrationSettings', name: "reads the integration settings the SDK asks for", auth: 'public', expect: 200, path: '/api/v1/integration-settings' }, '');

  await attempt({
    operationId: 'countSkuUnits', name: "counts a SKU's units", auth: 'private', expect: 200,
    path: found.skus[0] === undefined ? undefined : `/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent(found.skus[0])}`,
  }, 'no SKU found: the waitlists and pre-orders listed name none');

  const fulfillmentOrders = await attempt({ operationId: 'listFulfillmentOrders', name: 'lists a page of fulfillment orders', auth: 'private', expect: 200, path: '/admin/api/v1/fulfillment-orders', query: { limit: PAGE } }, '', list);
  for (const order of asArray(asRecord(dataOf(fulfillmentOrders?.body)).fulfillment_orders)) found.add(found.fulfillmentOrderIds, asRecord(order).id);

  await attempt({
    operationId: 'getFulfillmentOrder', name: 'reads one fulfillment order', auth: 'private', expect: 200,
    path: found.fulfillmentOrderIds[0] === undefined ? undefined : `/admin/api/v1/fulfillment-orders/${encodeURIComponent(found.fulfillmentOrderIds[0])}`,
  }, 'no fulfillment order found: the store has none (no pre-order has exported)');

  // 3. The public reads by product, variant and handle.
  const availability = await attempt({
    operationId: 'getAvailability', name: "reads a product's availability", auth: 'public', expect: 200,
    path: found.productIds[0] === undefined ? undefined : '/api/v1/availability',
    query: { product_id: found.productIds[0] ?? '' },
  }, 'no product ID found: no open waitlist listed one (give --access-token to find products through the private API)');
  const product = asRecord(dataOf(availability?.body));
  found.add(found.handles, product.product_code);
  for (const variant of asArray(product.variants)) found.add(found.variantIds, asRecord(variant).id);

  const variantState = await attempt({
    operationId: 'getVariantPreorderState', name: "reads a variant's pre-order state", auth: 'public', expect: 200,
    path: found.variantIds[0] === undefined ? undefined : '/api/v1/variants/preorder-state',
    query: { variant_id: found.variantIds[0] ?? '' },
  }, 'no variant ID found: no waitlist, pre-order or availability listed one');
  found.add(found.handles, asRecord(asRecord(dataOf(variantState?.body)).product).handle);

  await attempt({
    operationId: 'getProductPreorderState', name: "reads a product's pre-order state", auth: 'public', expect: 200,
    path: found.handles[0] === undefined ? undefined : '/api/v1/products/preorder-state',
    query: { handle: found.handles[0] ?? '' },
  }, 'no product handle found: no open waitlist, availability or variant state named one');

  // 4. The shopper's own pre-orders, with a token signed as a storefront signs it.
  const shopper = { operationId: 'listShopperPreOrders', name: "lists a shopper's pre-orders with a signed token", auth: 'public' as const, expect: 200 };
  if (needs('public')) {
    skip(shopper.operationId, shopper.name, needs('public')!);
  } else if (options.sharedSecret === undefined) {
    skip(shopper.operationId, shopper.name, 'no --shared-secret given: cannot sign a shopper token');
  } else if (found.emails[0] === undefined) {
    skip(shopper.operationId, shopper.name, options.accessToken === undefined
      ? 'no shopper email known: give --access-token so the pre-orders listed name one'
      : 'no shopper email found: the store has no pre-orders');
  } else {
    const email = found.emails[0];
    const clock = await serverClock(base, doFetch, timeoutMs);
    const timestamp = Math.floor((clock ?? Date.now()) / 1000);
    const answered = await list({
      ...shopper, path: '/api/v1/pre-orders',
      query: { email, timestamp: String(timestamp), token: signShopperToken(email, timestamp, options.sharedSecret), limit: PAGE },
    });
    if (clock !== undefined && answered.result.outcome === 'pass') answered.result.note = 'token signed with the simulator\'s clock (GET /__sim/clock)';
  }

  // 5. The one write, idempotent and harmless: 0 units of a SKU no product uses.
  const inventory = { operationId: 'updateInventory', name: `sets 0 available units of ${VERIFY_SKU}, a SKU no product uses`, auth: 'private' as const, expect: 201 };
  if (!options.allowWrites) skip(inventory.operationId, inventory.name, 'a write: made only with --allow-writes');
  else await attempt({ ...inventory, path: '/admin/api/v1/inventory', body: { sku: VERIFY_SKU, available_units: 0 } }, '');

  // Any operation the spec gained that verify does not know how to call yet is said, not silently left out.
  const walked = new Set(checks.map((c) => c.operationId));
  for (const [operationId, op] of operations) {
    if (!walked.has(operationId)) skip(operationId, `${op.method.toUpperCase()} ${op.path}`, 'verify does not know how to call this operation yet');
  }

  const count = (outcome: Outcome): number => checks.filter((c) => c.outcome === outcome).length;
  return {
    baseUrl: base.toString().replace(/\/$/, ''),
    startedAt: startedAt.toISOString(),
    durationMs: performance.now() - started,
    checks,
    passed: count('pass'),
    failed: count('fail'),
    skipped: count('skip'),
    ok: count('fail') === 0,
  };
}

/**
 * The time a purple-dot-sim server signs shopper tokens against: its store clock (`GET /__sim/clock`),
 * which under `--clock manual` is not the machine's. Any other server (Purple Dot itself) has no such
 * route, and the machine clock is used.
 */
async function serverClock(base: URL, doFetch: typeof globalThis.fetch, timeoutMs: number): Promise<number | undefined> {
  try {
    const res = await doFetch(new URL(`${base.pathname.replace(/\/$/, '')}/__sim/clock`, base.origin), { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) {
      await res.body?.cancel();
      return undefined;
    }
    const now = Date.parse(String(asRecord(dataOf(await res.json())).now));
    return Number.isFinite(now) ? now : undefined;
  } catch {
    return undefined;
  }
}
