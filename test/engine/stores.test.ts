/**
 * Many stores in one simulator: creating, listing, reading and deleting them, their own credentials, and
 * isolation. The isolation checks read the operations from the specs (every Purple Dot operation, every
 * store-scoped `…InStore` control operation), so an operation added there is covered here without a
 * change; only path parameters and bodies need real values, taken from the store's own state.
 *
 * Isolation is shown two ways: the other stores' snapshots are byte-identical before and after every
 * request, and store B answers every request exactly as a simulator holding only B (its twin, built from
 * the same scenario, seed and credentials) answers it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { signShopperToken } from '../../src/client/shopper-token.ts';
import type { StoreData } from '../../src/domain/types.ts';
import { variantUnitsLeft } from '../../src/domain/waitlists.ts';
import { createClock, createEngine, DEFAULT_CREDENTIALS, defineScenario, REFERENCE_DATE, type Credentials } from '../../src/index.ts';
import { contractOperations, contractProblems, type ContractOperation } from '../support/contract.ts';
import { startHarness, useHarness, type Harness, type Reply } from '../support/simulator.ts';

// ── The specs

interface SpecParameter { name: string; in: string; required?: boolean; $ref?: string }
interface SpecMediaType { example?: unknown; examples?: Record<string, { value: unknown }> }
interface SpecOperation {
  operationId: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: SpecParameter[];
  requestBody?: { content: Record<string, SpecMediaType> };
}
interface SpecDocument {
  paths: Record<string, Record<string, SpecOperation>>;
  components: { securitySchemes?: Record<string, { in: 'query' | 'header'; name: string }>; parameters: Record<string, SpecParameter> };
}

const readSpec = (name: string): SpecDocument =>
  parse(readFileSync(new URL(`../../spec/${name}.openapi.yaml`, import.meta.url), 'utf8')) as SpecDocument;
const specs = { 'purple-dot': readSpec('purple-dot'), simulator: readSpec('simulator') };

const specOf = (op: ContractOperation): SpecOperation => specs[op.spec].paths[op.template]![op.method.toLowerCase()]!;
const parametersOf = (op: ContractOperation): SpecParameter[] =>
  (specOf(op).parameters ?? []).map((p) => (p.$ref ? specs[op.spec].components.parameters[p.$ref.split('/').pop()!]! : p));
const specExample = (op: ContractOperation): unknown => {
  const media = specOf(op).requestBody?.content['application/json'];
  return media?.example ?? Object.values(media?.examples ?? {})[0]?.value;
};
const successOf = (op: ContractOperation): number => Number(op.statuses.find((s) => s.startsWith('2')));

const PURPLE_DOT_OPERATIONS = contractOperations.filter((o) => o.spec === 'purple-dot');
const CONTROL_OPERATIONS = contractOperations.filter((o) => o.spec === 'simulator');
const SCOPED = CONTROL_OPERATIONS.filter((o) => o.operationId.endsWith('InStore'));
/**
 * The journal, faults and coverage of a store, and its webhook delivery log: compared with a twin's they differ
 * by time and order (a delivery's duration, when an attempt ended), so test/engine/harness.test.ts and
 * test/webhooks prove their isolation.
 */
const isHarness = (o: ContractOperation): boolean => (specOf(o).tags ?? []).includes('Harness') || o.operationId.startsWith('listWebhookDeliveries');
const STORE_SCOPED = SCOPED.filter((o) => !isHarness(o));
const HARNESS_SCOPED = SCOPED.filter(isHarness);
const SCOPE_PREFIX = '/__sim/stores/{storeId}';
/** The `/__sim/…` copy of a store-scoped operation, which acts on the default store. */
const unscopedOf = (op: ContractOperation): ContractOperation | undefined =>
  CONTROL_OPERATIONS.find((o) => o.operationId === op.operationId.replace(/InStore$/, '') && o.method === op.method);

// ── Small helpers

interface StoreInfo {
  id: string;
  scenario: string;
  seed: number;
  clock: { now: string; mode: string };
  credentials: Credentials;
  shop_domain: string;
}

const CREDENTIAL_FIELDS = ['public_api_key', 'private_access_token', 'shared_secret'] as const;

const qs = (query: Record<string, string | number>): string => {
  const text = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  return text ? `?${text}` : '';
};

/** A value no store uses, valid as a given credential. */
let freshCount = 0;
const fresh = (label: string): string => `given-${label}-${process.pid}-${(freshCount += 1)}`;

/** Whether two credentials share a run of `n` characters, so knowing one would give away part of the other. */
const sharesRun = (a: string, b: string, n = 8): boolean => {
  for (let i = 0; i + n <= a.length; i += 1) if (b.includes(a.slice(i, i + n))) return true;
  return false;
};

function expectRefused(res: Reply, status: number, code: string, field?: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.meta).toEqual({ result: 'error' });
  expect(res.body.error.code).toBe(code);
  expect(res.body.error.message).toEqual(expect.any(String));
  expect(res.body.error.details.length).toBeGreaterThan(0);
  if (field !== undefined) expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
}

async function createStore(h: Harness, body: Record<string, unknown>): Promise<StoreInfo> {
  const res = await h.control('POST', '/__sim/stores', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data;
}

async function storeIds(h: Harness): Promise<string[]> {
  const res = await h.control('GET', '/__sim/stores');
  expect(res.status).toBe(200);
  return res.body.data.map((s: StoreInfo) => s.id);
}

const asPublic = (h: Harness, credentials: Credentials, path: string, query: Record<string, string | number> = {}): Promise<Reply> =>
  h.request('GET', `${path}${qs({ ...query, api_key: credentials.public_api_key })}`);

const asPrivate = (h: Harness, credentials: Credentials, method: string, path: string, body?: unknown): Promise<Reply> =>
  h.request(method, path, { headers: { 'X-Purple-Dot-Access-Token': credentials.private_access_token }, ...(body === undefined ? {} : { body }) });

/** The store's state as the engine holds it, to pick real values and expected answers from. */
const dataOf = (h: Harness, storeId: string): StoreData => h.sim.engine.stores.require(storeId).state.data;
const nowSecondsOf = (h: Harness, storeId: string): number => Math.floor(h.sim.engine.stores.require(storeId).clock.nowMs() / 1000);

const snapshotPath = (storeId: string): string => (storeId === 'default' ? '/__sim/snapshot' : `/__sim/stores/${storeId}/snapshot`);

/** A store's snapshot exactly as the simulator sends it (bytes, not a re-serialisation), checked against the spec. */
async function snapshotText(h: Harness, storeId: string): Promise<string> {
  const path = snapshotPath(storeId);
  const res = await fetch(`${h.url}${path}`);
  const text = await res.text();
  expect(res.status, text.slice(0, 300)).toBe(200);
  expect(contractProblems('GET', path, res.status, JSON.parse(text), res.headers)).toEqual([]);
  return text;
}

async function snapshotsOf(h: Harness, storeIds: string[]): Promise<Record<string, string>> {
  const entries = await Promise.all(storeIds.map(async (id) => [id, await snapshotText(h, id)] as const));
  return Object.fromEntries(entries);
}

async function shopperOrders(h: Harness, credentials: Credentials, email: string, nowSeconds: number, secret = credentials.shared_secret): Promise<Reply> {
  return asPublic(h, credentials, '/api/v1/pre-orders', { email, timestamp: nowSeconds, token: signShopperToken(email, nowSeconds, secret), limit: 100 });
}

/** Identifier-like values of a store's state: IDs, handles, SKUs, references, emails, credentials. */
const IDENTIFIER_KEY = /^(id|handle|sku|reference|email|order_number|public_api_key|private_access_token|shared_secret)$|_ids?$/;

function collect(value: unknown, key: string, keep: (key: string) => boolean, into: Set<string>): Set<string> {
  if (typeof value === 'string') {
    if (keep(key)) into.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collect(item, key, keep, into);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collect(v, k, keep, into);
  }
  return into;
}

/** Identifiers the other stores hold and store `mine` does not hold anywhere in its state. */
function othersOnly(others: StoreData[], mine: StoreData): string[] {
  const minesStrings = collect(mine, '', () => true, new Set());
  const theirs = new Set<string>();
  for (const data of others) collect(data, '', (k) => IDENTIFIER_KEY.test(k), theirs);
  // A store's own ID (`default`, `store-2`) names no entity and is never part of a Purple Dot answer.
  for (const data of others) theirs.delete(data.settings.id);
  return [...theirs].filter((id) => id.length >= 6 && !minesStrings.has(id));
}

/** What a caller sees of an answer; the Link header without the origin, which differs between simulators. */
const seen = (res: Reply, origin: string): unknown => ({ status: res.status, body: res.body, link: res.headers.get('link')?.replace(origin, '') ?? null });

/** Store `from`'s ID written as `to`'s, so an answer of one store compares with its twin's. */
/** Store B's answers as the twin's: its id, and the shop domain made from it, renamed. */
const renamed = (value: unknown, from: string, to: string): unknown =>
  JSON.parse(JSON.stringify(value).replaceAll(JSON.stringify(from), JSON.stringify(to))
    .replaceAll(JSON.stringify(`purple-dot-sim-${from}.myshopify.com`), JSON.stringify(`purple-dot-sim-${to}.myshopify.com`)));

// ── Creating, listing, reading and deleting stores

describe('creating, listing, reading and deleting stores', () => {
  const h = useHarness({ scenario: 'on-preorder' });

  it('creates a store with 201, the next id, its scenario and seed, and unguessable credentials of its own', async () => {
    const res = await h().control('POST', '/__sim/stores', { scenario: 'sold-out', seed: 7 });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const store: StoreInfo = res.body.data;
    expect(store.id).toBe('store-2');
    expect(store.scenario).toBe('sold-out');
    expect(store.seed).toBe(7);
    // The clock starts as on a scenario load: a manual clock where the scenario's state ends.
    expect(store.clock.mode).toBe('manual');
    expect(store.clock.now).toBe(h().sim.engine.stores.require(store.id).clock.now().toISOString());
    const values = CREDENTIAL_FIELDS.map((f) => store.credentials[f]);
    expect(new Set(values).size).toBe(3);
    for (const value of values) {
      expect(value.length).toBeGreaterThanOrEqual(32);
      expect(value).not.toContain(store.id);
      expect(value).not.toContain('sold-out');
      expect(Object.values(DEFAULT_CREDENTIALS)).not.toContain(value);
    }
    // The public key is public: neither private credential may be read off it, nor off each other.
    for (const [i, value] of values.entries()) {
      for (const other of values.slice(i + 1)) expect(sharesRun(value, other), `${value} / ${other}`).toBe(false);
    }
  });

  it("gives another new store credentials that differ from the default store's and from every other store's", async () => {
    const first = await createStore(h(), { scenario: 'on-preorder' });
    const second = await createStore(h(), { scenario: 'on-preorder' });
    const all = [DEFAULT_CREDENTIALS, first.credentials, second.credentials].flatMap((c) => CREDENTIAL_FIELDS.map((f) => c[f]));
    expect(new Set(all).size).toBe(all.length);
  });

  it('generates different credentials for the same store, scenario and seed in another simulator (they are random)', async () => {
    const other = await startHarness({ scenario: 'on-preorder' });
    try {
      const here = await createStore(h(), { scenario: 'in-stock', seed: 3 });
      const there = await createStore(other, { scenario: 'in-stock', seed: 3 });
      for (const field of CREDENTIAL_FIELDS) expect(there.credentials[field]).not.toBe(here.credentials[field]);
    } finally {
      await other.close();
    }
  });

  it('defaults the seed to 1', async () => {
    const store = await createStore(h(), { scenario: 'sold-out' });
    expect(store.seed).toBe(1);
    expect(h().sim.engine.stores.require(store.id).seed).toBe(1);
  });

  it('lists every store, the default store first, then in creation order, each as reading it shows it', async () => {
    const created = [await createStore(h(), { scenario: 'in-stock' }), await createStore(h(), { scenario: 'on-preorder', seed: 9 })];
    const res = await h().control('GET', '/__sim/stores');
    expect(res.status).toBe(200);
    const ids: string[] = res.body.data.map((s: StoreInfo) => s.id);
    expect(ids[0]).toBe('default');
    // store-2, store-3, … in creation order: the number is the position the store was created in.
    expect(ids.slice(1)).toEqual(ids.slice(1).map((_, i) => `store-${i + 2}`));
    expect(ids.slice(-2)).toEqual(created.map((s) => s.id));
    expect(res.body.data.slice(-2)).toEqual(created);
    for (const listed of res.body.data as StoreInfo[]) {
      const read = await h().control('GET', `/__sim/stores/${listed.id}`);
      expect(read.status).toBe(200);
      expect(read.body.data).toEqual(listed);
    }
  });

  it('reads the default store with the documented credentials', async () => {
    const res = await h().control('GET', '/__sim/stores/default');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: 'default', scenario: 'on-preorder', seed: 1, credentials: { ...DEFAULT_CREDENTIALS } });
  });

  it('reads one store: the same id, scenario, seed, clock, credentials and shop domain it was created with', async () => {
    const store = await createStore(h(), { scenario: 'paused-waitlist', seed: 4 });
    const res = await h().control('GET', `/__sim/stores/${store.id}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual(store);
    expect(store.shop_domain).toBe(`purple-dot-sim-${store.id}.myshopify.com`);
    const status = await h().control('GET', `/__sim/stores/${store.id}/status`);
    expect(status.body.data).toEqual({ store: store.id, scenario: 'paused-waitlist', seed: 4, clock: store.clock, credentials: store.credentials, shop_domain: store.shop_domain });
  });

  it.each([['GET'], ['DELETE']])('answers %s of an unknown store id with 404 UNKNOWN_STORE in the error envelope', async (method) => {
    expectRefused(await h().control(method, '/__sim/stores/store-999'), 404, 'UNKNOWN_STORE', 'storeId');
  });

  const pairs = CREDENTIAL_FIELDS.flatMap((given) => CREDENTIAL_FIELDS.map((taken) => [given, taken] as const));

  it.each(pairs)('refuses a %s that another store already uses as its %s with 409 CREDENTIALS_IN_USE, creating nothing', async (given, taken) => {
    const other = await createStore(h(), { scenario: 'sold-out' });
    for (const owner of [DEFAULT_CREDENTIALS, other.credentials]) {
      const before = await storeIds(h());
      const res = await h().control('POST', '/__sim/stores', { scenario: 'on-preorder', credentials: { [given]: owner[taken] } });
      expectRefused(res, 409, 'CREDENTIALS_IN_USE', `credentials.${given}`);
      expect(await storeIds(h())).toEqual(before);
    }
  });

  const twins = CREDENTIAL_FIELDS.flatMap((a, i) => CREDENTIAL_FIELDS.slice(i + 1).map((b) => [a, b] as const));

  it.each(twins)('refuses the same value as %s and %s of a new store with 400 naming one of them, creating nothing', async (a, b) => {
    const before = await storeIds(h());
    const value = fresh('twin');
    const res = await h().control('POST', '/__sim/stores', { scenario: 'on-preorder', credentials: { [a]: value, [b]: value } });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.meta).toEqual({ result: 'error' });
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^credentials\\.(${a}|${b})$`))]));
    expect(await storeIds(h())).toEqual(before);
  });

  it('refuses an unknown scenario with 404 UNKNOWN_SCENARIO, creating nothing', async () => {
    const before = await storeIds(h());
    expectRefused(await h().control('POST', '/__sim/stores', { scenario: 'no-such-scenario' }), 404, 'UNKNOWN_SCENARIO');
    expect(await storeIds(h())).toEqual(before);
  });

  it.each(CREDENTIAL_FIELDS.map((f) => [f] as const))('refuses a given %s shorter than 8 characters with 400, creating nothing', async (field) => {
    const before = await storeIds(h());
    const res = await h().control('POST', '/__sim/stores', { scenario: 'on-preorder', credentials: { [field]: 'short' } });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.meta).toEqual({ result: 'error' });
    expect(JSON.stringify(res.body.error.details)).toContain(field);
    expect(await storeIds(h())).toEqual(before);
  });

  it('deletes a store with 200 and the store as it was; then its credentials get 401 and its id 404', async () => {
    const store = await createStore(h(), { scenario: 'on-preorder', seed: 5 });
    const email = dataOf(h(), store.id).pre_orders[0]!.email;
    const at = nowSecondsOf(h(), store.id);
    expect((await asPublic(h(), store.credentials, '/api/v1/waitlists')).status).toBe(200);
    expect((await asPrivate(h(), store.credentials, 'GET', '/admin/api/v1/pre-orders')).status).toBe(200);
    const before = await h().control('GET', `/__sim/stores/${store.id}`);

    const res = await h().control('DELETE', `/__sim/stores/${store.id}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual(before.body.data);

    expectRefused(await asPublic(h(), store.credentials, '/api/v1/waitlists'), 401, 'INVALID_API_KEY', 'api_key');
    expectRefused(await shopperOrders(h(), store.credentials, email, at), 401, 'INVALID_API_KEY', 'api_key');
    expectRefused(await asPrivate(h(), store.credentials, 'GET', '/admin/api/v1/pre-orders'), 401, 'INVALID_ACCESS_TOKEN', 'X-Purple-Dot-Access-Token');
    expectRefused(await asPrivate(h(), store.credentials, 'POST', '/admin/api/v1/inventory', { sku: dataOf(h(), 'default').variants[0]!.sku, available_units: 1 }), 401, 'INVALID_ACCESS_TOKEN');
    expectRefused(await h().control('GET', `/__sim/stores/${store.id}`), 404, 'UNKNOWN_STORE', 'storeId');
    expectRefused(await h().control('GET', `/__sim/stores/${store.id}/status`), 404, 'UNKNOWN_STORE', 'storeId');
    expectRefused(await h().control('DELETE', `/__sim/stores/${store.id}`), 404, 'UNKNOWN_STORE', 'storeId');
    expect(await storeIds(h())).not.toContain(store.id);
  });

  it('never hands out a deleted store id again', async () => {
    const deleted = await createStore(h(), { scenario: 'sold-out' });
    expect((await h().control('DELETE', `/__sim/stores/${deleted.id}`)).status).toBe(200);
    const next = await createStore(h(), { scenario: 'sold-out' });
    expect(next.id).not.toBe(deleted.id);
    expect(Number(next.id.replace('store-', ''))).toBeGreaterThan(Number(deleted.id.replace('store-', '')));
  });

  it("frees a deleted store's credentials for a new store, which then answers to them", async () => {
    const deleted = await createStore(h(), { scenario: 'sold-out' });
    expect((await h().control('DELETE', `/__sim/stores/${deleted.id}`)).status).toBe(200);
    const reborn = await createStore(h(), { scenario: 'in-stock', seed: 2, credentials: deleted.credentials });
    expect(reborn.credentials).toEqual(deleted.credentials);
    const res = await asPublic(h(), deleted.credentials, '/api/v1/waitlists');
    expect(res.status).toBe(200);
    const open = dataOf(h(), reborn.id).waitlists.filter((w) => w.state === 'LIVE' || w.state === 'SCHEDULED').map((w) => w.id);
    expect(res.body.data.map((w: { id: string }) => w.id)).toEqual(open);
  });

  it('leaves the other stores as they were when a store is deleted', async () => {
    const kept = await createStore(h(), { scenario: 'sold-out', seed: 2 });
    const doomed = await createStore(h(), { scenario: 'sold-out', seed: 3 });
    const before = await snapshotsOf(h(), ['default', kept.id]);
    expect((await h().control('DELETE', `/__sim/stores/${doomed.id}`)).status).toBe(200);
    expect(await snapshotsOf(h(), ['default', kept.id])).toEqual(before);
    expect((await asPublic(h(), kept.credentials, '/api/v1/waitlists')).status).toBe(200);
  });

  it('refuses to delete the default store with 409 DEFAULT_STORE, which keeps answering', async () => {
    const before = await snapshotText(h(), 'default');
    expectRefused(await h().control('DELETE', '/__sim/stores/default'), 409, 'DEFAULT_STORE', 'storeId');
    expect((await storeIds(h()))[0]).toBe('default');
    expect(await snapshotText(h(), 'default')).toBe(before);
    expect((await asPublic(h(), DEFAULT_CREDENTIALS, '/api/v1/waitlists')).status).toBe(200);
    expect((await asPrivate(h(), DEFAULT_CREDENTIALS, 'GET', '/admin/api/v1/pre-orders')).status).toBe(200);
  });
});

// ── Given credentials

describe('credentials given to a new store', () => {
  const h = useHarness({ scenario: 'on-preorder' });

  it('are used exactly as given, and the new store answers the Purple Dot API with them', async () => {
    const given = { public_api_key: fresh('key'), private_access_token: fresh('token'), shared_secret: fresh('secret') };
    const store = await createStore(h(), { scenario: 'mixed-catalogue', seed: 4, credentials: given });
    expect(store.credentials).toEqual(given);
    expect((await h().control('GET', `/__sim/stores/${store.id}/status`)).body.data.credentials).toEqual(given);
    const data = dataOf(h(), store.id);

    const open = await asPublic(h(), given, '/api/v1/waitlists');
    expect(open.status).toBe(200);
    expect(open.body.data.map((w: { id: string }) => w.id)).toEqual(data.waitlists.filter((w) => w.state === 'LIVE' || w.state === 'SCHEDULED').map((w) => w.id));

    const orders = await asPrivate(h(), given, 'GET', '/admin/api/v1/pre-orders', undefined);
    expect(orders.status).toBe(200);
    expect(orders.body.data.orders.map((o: { id: string }) => o.id)).toEqual(data.pre_orders.slice(0, orders.body.data.orders.length).map((o) => o.id));
    expect(orders.body.data.orders.length).toBeGreaterThan(0);

    const email = data.pre_orders[0]!.email;
    const mine = await shopperOrders(h(), given, email, nowSecondsOf(h(), store.id));
    expect(mine.status).toBe(200);
    expect(mine.body.data.orders.map((o: { id: string }) => o.id)).toEqual(data.pre_orders.filter((o) => o.email === email).map((o) => o.id));
    // The shopper token is signed with this store's shared secret, not the default store's.
    expectRefused(await shopperOrders(h(), given, email, nowSecondsOf(h(), store.id), DEFAULT_CREDENTIALS.shared_secret), 401, 'INVALID_SHOPPER_TOKEN', 'token');
  });

  it('are refused the other way round: the given public key is no access token and the access token no public key', async () => {
    const given = { public_api_key: fresh('key'), private_access_token: fresh('token'), shared_secret: fresh('secret') };
    await createStore(h(), { scenario: 'on-preorder', seed: 2, credentials: given });
    const swapped = { ...given, public_api_key: given.private_access_token, private_access_token: given.public_api_key };
    expectRefused(await asPublic(h(), swapped, '/api/v1/waitlists'), 401, 'INVALID_API_KEY', 'api_key');
    expectRefused(await asPrivate(h(), swapped, 'GET', '/admin/api/v1/waitlists'), 401, 'INVALID_ACCESS_TOKEN', 'X-Purple-Dot-Access-Token');
  });

  it.each(CREDENTIAL_FIELDS.map((f) => [f] as const))('keeps a given %s and generates the two left out', async (field) => {
    const value = fresh(field);
    const store = await createStore(h(), { scenario: 'sold-out', credentials: { [field]: value } });
    expect(store.credentials[field]).toBe(value);
    const generated = CREDENTIAL_FIELDS.filter((f) => f !== field).map((f) => store.credentials[f]);
    for (const g of generated) {
      expect(g.length).toBeGreaterThanOrEqual(32);
      expect(Object.values(DEFAULT_CREDENTIALS)).not.toContain(g);
      expect(g).not.toBe(value);
    }
    expect(generated[0]).not.toBe(generated[1]);
  });
});

// ── Isolation on the Purple Dot API

/** A scenario with open and exported lines, UNFULFILLED fulfillment orders and a LIVE waitlist with units left. */
const SCENARIO = 'partially-exported';

interface Call { method: string; path: string; init: { headers: Record<string, string>; body?: unknown } }

/** The request a caller holding `as` makes for `op`, naming things of the store whose state is `source`. */
function purpleDotCall(op: ContractOperation, source: StoreData, as: Credentials, nowSeconds: number, options: { filters: boolean; label: string }): Call {
  const spec = specs['purple-dot'];
  const order = source.pre_orders[0]!;
  const exportedLines = source.pre_orders.flatMap((o) => o.line_items).filter((l) => l.status === 'exported' && l.refunded_quantity < l.quantity);
  const fulfillmentOrder = source.fulfillment_orders.find((fo) => fo.status === 'UNFULFILLED') ?? source.fulfillment_orders[0]!;
  const foReference = (): string => {
    const fo = source.fulfillment_orders[0]!;
    return `${source.pre_orders.find((o) => o.id === fo.pre_order_id)!.reference}-${fo.index}`;
  };
  const pathValues: Record<string, () => string> = {
    id: () => fulfillmentOrder.id,
    sku: () => source.variants[0]!.sku,
  };
  const queryValues: Record<string, () => string | number> = {
    product_id: () => source.products[0]!.id,
    handle: () => source.products[0]!.handle,
    variant_id: () => source.variants[0]!.id,
    email: () => order.email,
    timestamp: () => nowSeconds,
    token: () => signShopperToken(order.email, nowSeconds, as.shared_secret),
  };
  /** Optional filters that name things of the store: used to show another store's names find nothing. */
  const filterValues: Record<string, () => string> = {
    email: () => order.email,
    skus: () => source.variants[0]!.sku,
    // A pre-order reference and a fulfillment order reference: each list matches the one of its own kind.
    references: () => `${order.reference},${foReference()}`,
  };
  const bodies: Record<string, () => unknown> = {
    updateInventory: () => {
      const sku = source.variants[0]!.sku;
      return { sku, available_units: (source.inventory.find((i) => i.sku === sku)?.available_units ?? 0) + 1 };
    },
    createFulfillment: () => ({ fulfillment: { fulfillment_order_id: fulfillmentOrder.id } }),
    createRefund: () => {
      const line = exportedLines[exportedLines.length - 1]!;
      return { id: `isolation-refund-${options.label}`, order: line.external_order_id, line_items: [{ id: line.external_line_item_id, quantity: 1 }] };
    },
  };

  const query: Record<string, string | number> = {};
  for (const p of parametersOf(op).filter((p) => p.in === 'query')) {
    const required = queryValues[p.name];
    if (p.required) {
      if (!required) throw new Error(`${op.operationId}: no real value for required query parameter ${p.name}`);
      query[p.name] = required();
    } else if (options.filters && filterValues[p.name]) {
      query[p.name] = filterValues[p.name]!();
    }
  }
  const headers: Record<string, string> = {};
  for (const key of Object.keys(specOf(op).security?.[0] ?? {})) {
    const scheme = spec.components.securitySchemes![key]!;
    const value = key === 'publicApiKey' ? as.public_api_key : key === 'accessToken' ? as.private_access_token : undefined;
    if (value === undefined) continue; // the shopper credential's parts are query parameters, filled above
    if (scheme.in === 'query') query[scheme.name] = value;
    else headers[scheme.name] = value;
  }
  const path = op.template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = pathValues[name];
    if (!value) throw new Error(`${op.operationId}: no real value for path parameter {${name}}`);
    return encodeURIComponent(value());
  });
  const init: Call['init'] = { headers };
  if (specOf(op).requestBody) init.body = (bodies[op.operationId] ?? (() => specExample(op)))();
  return { method: op.method, path: `${path}${qs(query)}`, init };
}

const send = (h: Harness, call: Call): Promise<Reply> => h.request(call.method, call.path, call.init);
const callText = (call: Call): string => decodeURIComponent(`${call.path} ${JSON.stringify(call.init.body ?? null)}`);

describe("a Purple Dot credential reaches its own store only (every operation of the Purple Dot spec)", () => {
  // The default store is a third store, from another seed, which must stay untouched too.
  const h = useHarness({ scenario: SCENARIO, seed: 3 });
  let a: StoreInfo;
  let b: StoreInfo;
  /** A simulator holding only store B: the same scenario, seed and credentials. */
  let twin: Harness;

  beforeAll(async () => {
    a = await createStore(h(), { scenario: SCENARIO, seed: 1 });
    b = await createStore(h(), { scenario: SCENARIO, seed: 2 });
    twin = await startHarness({ scenario: SCENARIO, seed: 2, credentials: b.credentials });
  });
  afterAll(async () => {
    await twin?.close();
  });

  const others = (): string[] => ['default', a.id];
  const othersData = (): StoreData[] => others().map((id) => dataOf(h(), id));

  it('covers the 14 documented operations, and the stores it compares hold different IDs', () => {
    expect(PURPLE_DOT_OPERATIONS.length).toBeGreaterThanOrEqual(14);
    const ids = (d: StoreData) => [...d.products.map((p) => p.id), ...d.variants.map((v) => v.id), ...d.waitlists.map((w) => w.id), ...d.pre_orders.map((o) => o.id), ...d.fulfillment_orders.map((f) => f.id)];
    const inB = new Set(ids(dataOf(h(), b.id)));
    expect(ids(dataOf(h(), a.id)).filter((id) => inB.has(id))).toEqual([]);
    expect(ids(dataOf(h(), 'default')).filter((id) => inB.has(id))).toEqual([]);
    // The twin really is store B's double.
    expect(ids(twin.sim.engine.defaultStore().state.data)).toEqual([...inB]);
  });

  describe.each(PURPLE_DOT_OPERATIONS.map((op) => [`${op.method} ${op.template}`, op] as const))('%s', (_, op) => {
    /**
     * Sends the call with B's credentials to the simulator of many stores and to B's twin, checking that the
     * other stores' snapshots are byte-identical around it and that both answer alike.
     */
    async function sendAsB(call: Call): Promise<Reply> {
      const before = await snapshotsOf(h(), others());
      const res = await send(h(), call);
      expect(await snapshotsOf(h(), others()), 'the other stores are unchanged, byte for byte').toEqual(before);
      const alone = await send(twin, call);
      expect(seen(res, h().url), 'answers as a simulator holding only store B').toEqual(seen(alone, twin.url));
      return res;
    }

    it("answers B's credentials from B's state alone, with none of another store's identifiers, and changes no other store", async () => {
      const call = purpleDotCall(op, dataOf(h(), b.id), b.credentials, nowSecondsOf(h(), b.id), { filters: false, label: 'b' });
      const res = await sendAsB(call);
      expect(res.status, JSON.stringify(res.body)).toBe(successOf(op));
      const text = JSON.stringify(res.body);
      const leaked = othersOnly(othersData(), dataOf(h(), b.id)).filter((id) => text.includes(id));
      expect(leaked).toEqual([]);
    });

    it("finds nothing of another store when B's credentials name store A's IDs, and changes no other store", async () => {
      const call = purpleDotCall(op, dataOf(h(), a.id), b.credentials, nowSecondsOf(h(), b.id), { filters: true, label: 'a' });
      const foreign = othersOnly(othersData(), dataOf(h(), b.id));
      const named = foreign.filter((id) => callText(call).includes(id));
      const res = await sendAsB(call);
      if (named.length > 0 && op.statuses.includes('404')) {
        // The operation looks up something only store A has: unknown in store B.
        expect(res.status, JSON.stringify(res.body)).toBe(404);
      }
      // Whatever it answers, it shows nothing of store A beyond what the caller sent.
      const text = JSON.stringify(res.body);
      const leaked = othersOnly(othersData(), dataOf(h(), b.id)).filter((id) => text.includes(id) && !callText(call).includes(id));
      expect(leaked).toEqual([]);
    });
  });

  it('ends with store B in exactly the state of its twin, and store A exactly as it was built', async () => {
    const bSnapshot = JSON.parse(await snapshotText(h(), b.id)).data;
    const twinSnapshot = JSON.parse(await snapshotText(twin, 'default')).data;
    expect(renamed(bSnapshot, b.id, 'default')).toEqual(twinSnapshot);
    const rebuilt = await startHarness({ scenario: SCENARIO, seed: 1, credentials: a.credentials });
    try {
      const aSnapshot = JSON.parse(await snapshotText(h(), a.id)).data;
      expect(renamed(aSnapshot, a.id, 'default')).toEqual(JSON.parse(await snapshotText(rebuilt, 'default')).data);
    } finally {
      await rebuilt.close();
    }
  });

  it("refuses a shopper token signed with another store's shared secret", async () => {
    const email = dataOf(h(), b.id).pre_orders[0]!.email;
    const at = nowSecondsOf(h(), b.id);
    expect((await shopperOrders(h(), b.credentials, email, at)).status).toBe(200);
    for (const secret of [a.credentials.shared_secret, DEFAULT_CREDENTIALS.shared_secret]) {
      expectRefused(await shopperOrders(h(), b.credentials, email, at, secret), 401, 'INVALID_SHOPPER_TOKEN', 'token');
    }
  });

  it("lists with each store's credentials exactly that store's waitlists, pre-orders and fulfillment orders", async () => {
    for (const store of [{ id: 'default', credentials: DEFAULT_CREDENTIALS }, a, b]) {
      const data = dataOf(h(), store.id);
      const open = await asPublic(h(), store.credentials, '/api/v1/waitlists');
      expect(open.body.data.map((w: { id: string }) => w.id)).toEqual(data.waitlists.filter((w) => w.state === 'LIVE' || w.state === 'SCHEDULED').map((w) => w.id));
      const waitlists = await asPrivate(h(), store.credentials, 'GET', '/admin/api/v1/waitlists?limit=100');
      expect(waitlists.body.data.waitlists.map((w: { id: string }) => w.id)).toEqual(data.waitlists.map((w) => w.id));
      const orders = await asPrivate(h(), store.credentials, 'GET', '/admin/api/v1/pre-orders?limit=200');
      expect(orders.body.data.orders.map((o: { id: string }) => o.id)).toEqual(data.pre_orders.map((o) => o.id));
      const count = await asPrivate(h(), store.credentials, 'GET', '/admin/api/v1/pre-orders/count');
      expect(count.body.data.count).toBe(data.pre_orders.length);
      const fos = await asPrivate(h(), store.credentials, 'GET', '/admin/api/v1/fulfillment-orders?limit=250');
      expect(fos.body.data.fulfillment_orders.map((f: { id: string }) => f.id)).toEqual(data.fulfillment_orders.map((f) => f.id));
    }
  });
});

// ── Isolation on the control API

/** Real values for a control operation, taken from the state of the store it acts on. */
function controlCall(op: ContractOperation, storeId: string | undefined, data: StoreData, clockNow: string, snapshot: unknown): Call {
  const base = op.operationId.replace(/InStore$/, '');
  const live = data.waitlists.find((w) => w.state === 'LIVE' && w.allocations.some((a) => variantUnitsLeft(w, a.variant_id) > 0))!;
  const ids: Record<string, () => string> = {
    cancelPreOrder: () => [...data.pre_orders].reverse().find((o) => o.line_items.some((l) => l.status === 'open'))!.id,
    updateWaitlist: () => live.id,
    setVariantStock: () => data.variants[0]!.id,
    voidFulfillmentOrder: () => data.fulfillment_orders.find((fo) => fo.status === 'UNFULFILLED' && fo.fulfillments.length === 0)!.id,
    removeWebhook: () => data.webhooks?.subscriptions[0]?.id ?? '00000000-0000-4000-8000-000000000000',
  };
  const bodies: Record<string, () => unknown> = {
    loadScenario: () => ({ name: SCENARIO, seed: 5 }),
    importSnapshot: () => snapshot,
    placePreOrder: () => ({ email: 'isolation@example.com', lines: [{ variant_id: live.allocations.find((a) => variantUnitsLeft(live, a.variant_id) > 0)!.variant_id, quantity: 1 }] }),
    cancelPreOrder: () => ({ reason: 'CUSTOMER' }),
    createWaitlist: () => {
      const product = data.products[0]!;
      return { product_id: product.id, state: 'DRAFT', earliest_ship_date: '2026-04-01T00:00:00.000Z', latest_ship_date: '2026-04-15T00:00:00.000Z', variants: [{ variant_id: product.variant_ids[0]!, buy_size: 5 }] };
    },
    updateWaitlist: () => ({ state: 'PAUSED' }),
    setVariantStock: () => ({ available_in_stock: 7 }),
    setClock: () => ({ now: new Date(Date.parse(clockNow) + 86_400_000).toISOString() }),
    advanceClock: () => ({ seconds: 3600 }),
  };
  const path = op.template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (name === 'storeId') return encodeURIComponent(storeId!);
    const value = ids[base];
    if ((name !== 'id' && name !== 'webhookId') || !value) throw new Error(`${op.operationId}: no real value for path parameter {${name}}`);
    return encodeURIComponent(value());
  });
  const init: Call['init'] = { headers: {} };
  if (specOf(op).requestBody) init.body = (bodies[base] ?? (() => specExample(op)))();
  return { method: op.method, path, init };
}

describe('a store-scoped control operation acts on its store only (every …InStore operation of the control spec)', () => {
  const h = useHarness({ scenario: SCENARIO, seed: 3 });
  let a: StoreInfo;
  let b: StoreInfo;
  let deleted: StoreInfo;
  /** A simulator holding only store B, driven through the unscoped `/__sim/…` copies. */
  let twin: Harness;

  beforeAll(async () => {
    a = await createStore(h(), { scenario: SCENARIO, seed: 1 });
    b = await createStore(h(), { scenario: SCENARIO, seed: 2 });
    deleted = await createStore(h(), { scenario: SCENARIO, seed: 4 });
    expect((await h().control('DELETE', `/__sim/stores/${deleted.id}`)).status).toBe(200);
    twin = await startHarness({ scenario: SCENARIO, seed: 2, credentials: b.credentials });
    // A subscription in every store (kept through the scenario loads below), so removing one has one to remove;
    // nothing listens on port 9, so deliveries fail at once.
    for (const [harness, path] of [[h(), '/__sim/webhooks'], [h(), `/__sim/stores/${a.id}/webhooks`], [h(), `/__sim/stores/${b.id}/webhooks`], [twin, '/__sim/webhooks']] as const) {
      expect((await harness.control('POST', path, { url: 'http://127.0.0.1:9/isolation' })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await twin?.close();
  });

  it('finds a store-scoped copy of every control operation but listScenarios and the Stores operations, each with an unscoped copy', () => {
    // The index, the scenarios and the Stores operations are about the whole simulator, not one store.
    const engineWide = (o: ContractOperation): boolean => ['listScenarios', 'getIndex'].includes(o.operationId) || (specOf(o).tags ?? []).includes('Stores');
    const unscoped = CONTROL_OPERATIONS.filter((o) => !o.operationId.endsWith('InStore') && !engineWide(o));
    expect(unscoped.length).toBeGreaterThan(0);
    expect([...STORE_SCOPED, ...HARNESS_SCOPED].map((o) => o.operationId).sort()).toEqual(unscoped.map((o) => `${o.operationId}InStore`).sort());
    for (const op of [...STORE_SCOPED, ...HARNESS_SCOPED]) {
      expect(op.template.startsWith(`${SCOPE_PREFIX}/`)).toBe(true);
      expect(unscopedOf(op)?.template).toBe(op.template.replace(SCOPE_PREFIX, '/__sim'));
      expect(parametersOf(op).map((p) => p.name)).toContain('storeId');
    }
  });

  describe.each(STORE_SCOPED.map((op) => [`${op.method} ${op.template}`, op] as const))('%s', (_, op) => {
    const unscoped = unscopedOf(op)!;

    beforeEach(async () => {
      // Every operation starts from the stores as built, whatever the one before did.
      for (const [harness, path, seed] of [[h(), `/__sim/stores/${b.id}/scenario`, 2], [twin, '/__sim/scenario', 2], [h(), '/__sim/scenario', 3]] as const) {
        expect((await harness.control('POST', path, { name: SCENARIO, seed })).status).toBe(200);
      }
    });

    it('acts on store B as its /__sim/… copy acts on a simulator holding only B, leaving store A and the default store byte-identical', async () => {
      const snapshot = JSON.parse(await snapshotText(h(), a.id)).data;
      const clockOfB = h().sim.engine.stores.require(b.id).clock.now().toISOString();
      const call = controlCall(op, b.id, dataOf(h(), b.id), clockOfB, snapshot);
      const twinCall = controlCall(unscoped, undefined, twin.sim.engine.defaultStore().state.data, clockOfB, snapshot);
      const clockOfA = (await h().control('GET', `/__sim/stores/${a.id}/clock`)).body.data;

      const before = await snapshotsOf(h(), ['default', a.id]);
      const res = await send(h(), call);
      expect(res.status, JSON.stringify(res.body)).toBe(successOf(op));
      expect(await snapshotsOf(h(), ['default', a.id])).toEqual(before);
      expect((await h().control('GET', `/__sim/stores/${a.id}/clock`)).body.data).toEqual(clockOfA);

      const alone = await send(twin, twinCall);
      expect(renamed(seen(res, h().url), b.id, 'default')).toEqual(seen(alone, twin.url));
      const bAfter = JSON.parse(await snapshotText(h(), b.id)).data;
      expect(renamed(bAfter, b.id, 'default')).toEqual(JSON.parse(await snapshotText(twin, 'default')).data);
    });

    it('acts through its /__sim/… copy on the default store only, leaving stores A and B byte-identical', async () => {
      const snapshot = JSON.parse(await snapshotText(h(), a.id)).data;
      const call = controlCall(unscoped, undefined, dataOf(h(), 'default'), h().sim.engine.defaultStore().clock.now().toISOString(), snapshot);
      const before = await snapshotsOf(h(), [a.id, b.id]);
      const res = await send(h(), call);
      expect(res.status, JSON.stringify(res.body)).toBe(successOf(unscoped));
      expect(await snapshotsOf(h(), [a.id, b.id])).toEqual(before);
    });

    it.each([['an unknown store', 'store-999'], ['a deleted store', '']])('answers 404 UNKNOWN_STORE for %s', async (_name, id) => {
      const storeId = id || deleted.id;
      const snapshot = JSON.parse(await snapshotText(h(), a.id)).data;
      const call = controlCall(op, storeId, dataOf(h(), 'default'), h().sim.engine.defaultStore().clock.now().toISOString(), snapshot);
      const before = await snapshotsOf(h(), ['default', a.id, b.id]);
      expectRefused(await send(h(), call), 404, 'UNKNOWN_STORE', 'storeId');
      expect(await snapshotsOf(h(), ['default', a.id, b.id])).toEqual(before);
    });
  });
});

describe("one store's clock, reset, scenario and snapshot leave the others alone", () => {
  const h = useHarness({ scenario: 'scheduled-launch' });
  let a: StoreInfo;
  let b: StoreInfo;

  /** Each store's SCHEDULED waitlist as built. */
  let scheduled: Record<string, { id: string; launch_date: string }>;

  beforeAll(async () => {
    a = await createStore(h(), { scenario: 'scheduled-launch', seed: 1 });
    b = await createStore(h(), { scenario: 'scheduled-launch', seed: 2 });
    scheduled = Object.fromEntries([a, b].map((store) => {
      const waitlist = dataOf(h(), store.id).waitlists.find((w) => w.state === 'SCHEDULED')!;
      return [store.id, { id: waitlist.id, launch_date: waitlist.launch_date! }];
    }));
  });

  const clockOf = async (storeId: string): Promise<string> => {
    const res = await h().control('GET', storeId === 'default' ? '/__sim/clock' : `/__sim/stores/${storeId}/clock`);
    expect(res.status).toBe(200);
    return res.body.data.now;
  };

  it('treats /__sim/stores/default/… and /__sim/… as the same store', async () => {
    expect(await snapshotText(h(), 'default')).toBe(await (await fetch(`${h().url}/__sim/stores/default/snapshot`)).text());
    const status = await h().control('GET', '/__sim/stores/default/status');
    expect(status.body.data).toEqual((await h().control('GET', '/__sim/status')).body.data);
    const now = await clockOf('default');
    const later = new Date(Date.parse(now) + 60_000).toISOString();
    expect((await h().control('PUT', '/__sim/stores/default/clock', { now: later })).status).toBe(200);
    expect(await clockOf('default')).toBe(later);
  });

  it("moves B's clock when it is set or advanced, and not A's or the default store's", async () => {
    const [aBefore, defaultBefore, bBefore] = [await clockOf(a.id), await clockOf('default'), await clockOf(b.id)];
    const target = new Date(Date.parse(bBefore) + 10 * 86_400_000).toISOString();
    const set = await h().control('PUT', `/__sim/stores/${b.id}/clock`, { now: target });
    expect(set.status).toBe(200);
    expect(await clockOf(b.id)).toBe(target);
    const advanced = await h().control('POST', `/__sim/stores/${b.id}/clock/advance`, { seconds: 3600 });
    expect(advanced.status).toBe(200);
    expect(await clockOf(b.id)).toBe(new Date(Date.parse(target) + 3_600_000).toISOString());
    expect(await clockOf(a.id)).toBe(aBefore);
    expect(await clockOf('default')).toBe(defaultBefore);
  });

  it("launches B's scheduled waitlist when B's clock passes its launch date, while A's stays SCHEDULED", async () => {
    const launch = Date.parse(scheduled[b.id]!.launch_date);
    if (Date.parse(await clockOf(b.id)) <= launch) {
      expect((await h().control('PUT', `/__sim/stores/${b.id}/clock`, { now: new Date(launch + 1000).toISOString() })).status).toBe(200);
    }
    expect(Date.parse(await clockOf(a.id))).toBeLessThan(Date.parse(scheduled[a.id]!.launch_date));
    const stateIn = async (store: StoreInfo): Promise<string> => {
      const res = await asPrivate(h(), store.credentials, 'GET', '/admin/api/v1/waitlists');
      expect(res.status).toBe(200);
      return res.body.data.waitlists.find((w: { id: string }) => w.id === scheduled[store.id]!.id).state;
    };
    expect(await stateIn(b)).toBe('LIVE');
    expect(await stateIn(a)).toBe('SCHEDULED');
  });

  it("rebuilds B on POST /__sim/stores/{B}/reset: B's own state as built, B's credentials still working, A untouched", async () => {
    const asBuilt = await startHarness({ scenario: 'scheduled-launch', seed: 2, credentials: b.credentials });
    try {
      const waitlist = dataOf(h(), b.id).waitlists.find((w) => w.id === scheduled[b.id]!.id)!;
      if (waitlist.state !== 'LIVE') expect((await h().control('PATCH', `/__sim/stores/${b.id}/waitlists/${waitlist.id}`, { state: 'LIVE' })).status).toBe(200);
      const line = { variant_id: waitlist.allocations[0]!.variant_id, quantity: 1 };
      expect((await h().control('POST', `/__sim/stores/${b.id}/pre-orders`, { email: 'reset@example.com', lines: [line] })).status).toBe(201);
      expect((await shopperOrders(h(), b.credentials, 'reset@example.com', nowSecondsOf(h(), b.id))).body.data.orders).toHaveLength(1);
      const aBefore = await snapshotText(h(), a.id);
      const defaultBefore = await snapshotText(h(), 'default');

      const res = await h().control('POST', `/__sim/stores/${b.id}/reset`);
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ store: b.id, scenario: 'scheduled-launch', seed: 2, credentials: b.credentials });
      // The scenario's data as built; only the counters went on, so what the API creates next gets new IDs.
      const [rebuilt, built] = [renamed(JSON.parse(await snapshotText(h(), b.id)).data, b.id, 'default'), JSON.parse(await snapshotText(asBuilt, 'default')).data] as any[];
      const counters = (snapshot: any) => snapshot.stores.default.counters;
      expect(counters(rebuilt).ids).toBeGreaterThan(counters(built).ids);
      expect(counters(rebuilt).references).toBeGreaterThan(counters(built).references);
      expect({ ...rebuilt, stores: { default: { ...rebuilt.stores.default, counters: null } } }).toEqual({ ...built, stores: { default: { ...built.stores.default, counters: null } } });
      expect(await snapshotText(h(), a.id)).toBe(aBefore);
      expect(await snapshotText(h(), 'default')).toBe(defaultBefore);

      const data = dataOf(h(), b.id);
      const open = await asPublic(h(), b.credentials, '/api/v1/waitlists');
      expect(open.status).toBe(200);
      expect(open.body.data.map((w: { id: string }) => w.id)).toEqual(data.waitlists.filter((w) => w.state === 'LIVE' || w.state === 'SCHEDULED').map((w) => w.id));
      const orders = await asPrivate(h(), b.credentials, 'GET', '/admin/api/v1/pre-orders?limit=200');
      expect(orders.status).toBe(200);
      expect(orders.body.data.orders.map((o: { id: string }) => o.id)).toEqual(data.pre_orders.map((o) => o.id));
      // The pre-order placed before the reset is gone; the shopper token is still checked with B's secret.
      const at = nowSecondsOf(h(), b.id);
      const after = await shopperOrders(h(), b.credentials, 'reset@example.com', at);
      expect(after.status).toBe(200);
      expect(after.body.data.orders).toEqual([]);
      expectRefused(await shopperOrders(h(), b.credentials, 'reset@example.com', at, a.credentials.shared_secret), 401, 'INVALID_SHOPPER_TOKEN', 'token');
    } finally {
      await asBuilt.close();
    }
  });

  it("loads a scenario into B only: B answers from the new scenario with its own credentials, A is untouched", async () => {
    const aBefore = await snapshotText(h(), a.id);
    const res = await h().control('POST', `/__sim/stores/${b.id}/scenario`, { name: 'sold-out', seed: 7 });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ store: b.id, scenario: 'sold-out', seed: 7, credentials: b.credentials });
    expect((await h().control('GET', `/__sim/stores/${b.id}`)).body.data).toMatchObject({ scenario: 'sold-out', seed: 7 });
    const product = dataOf(h(), b.id).products[0]!;
    const state = await asPublic(h(), b.credentials, '/api/v1/products/preorder-state', { handle: product.handle });
    expect(state.status).toBe(200);
    expect(state.body.data.product.id).toBe(product.id);
    expect(await snapshotText(h(), a.id)).toBe(aBefore);
    expectRefused(await asPublic(h(), a.credentials, '/api/v1/products/preorder-state', { handle: product.handle }), 404, 'UNKNOWN_PRODUCT');
  });
});

// ── Snapshots between stores

describe('a snapshot of one store imported into another', () => {
  const h = useHarness({ scenario: 'refund-window', seed: 3 });
  let source: StoreInfo;
  let target: StoreInfo;

  beforeAll(async () => {
    source = await createStore(h(), { scenario: 'refund-window', seed: 1 });
    target = await createStore(h(), { scenario: 'on-preorder', seed: 2 });
  });

  it("takes the source's state, scenario and seed, and keeps the target's id and credentials", async () => {
    const exported = await h().control('GET', `/__sim/stores/${source.id}/snapshot`);
    expect(exported.status).toBe(200);
    expect(Object.keys(exported.body.data.stores)).toEqual([source.id]);
    const res = await h().control('PUT', `/__sim/stores/${target.id}/snapshot`, exported.body.data);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toMatchObject({ store: target.id, scenario: 'refund-window', seed: 1, credentials: target.credentials });
    expect((await h().control('GET', `/__sim/stores/${target.id}`)).body.data).toMatchObject({ id: target.id, credentials: target.credentials });

    const after = (await h().control('GET', `/__sim/stores/${target.id}/snapshot`)).body.data;
    expect(Object.keys(after.stores)).toEqual([target.id]);
    const { settings: targetSettings, ...targetState } = after.stores[target.id];
    const { settings: sourceSettings, ...sourceState } = exported.body.data.stores[source.id];
    expect(targetState).toEqual(sourceState);
    expect(targetSettings).toEqual({ ...sourceSettings, id: target.id, ...target.credentials });
  });

  it("answers the target's old credentials from the imported state", async () => {
    const data = dataOf(h(), source.id);
    const orders = await asPrivate(h(), target.credentials, 'GET', '/admin/api/v1/pre-orders?limit=200');
    expect(orders.status).toBe(200);
    expect(orders.body.data.orders.map((o: { id: string }) => o.id)).toEqual(data.pre_orders.map((o) => o.id));
    const open = await asPublic(h(), target.credentials, '/api/v1/waitlists');
    expect(open.status).toBe(200);
    const email = data.pre_orders[0]!.email;
    const mine = await shopperOrders(h(), target.credentials, email, nowSecondsOf(h(), target.id));
    expect(mine.status).toBe(200);
    expect(mine.body.data.orders.map((o: { id: string }) => o.id)).toEqual(data.pre_orders.filter((o) => o.email === email).map((o) => o.id));
  });

  it("gives the source's credentials no access to the target: they still reach the source only", async () => {
    const email = dataOf(h(), target.id).pre_orders[0]!.email;
    expectRefused(await shopperOrders(h(), target.credentials, email, nowSecondsOf(h(), target.id), source.credentials.shared_secret), 401, 'INVALID_SHOPPER_TOKEN', 'token');
    const targetBefore = await snapshotText(h(), target.id);
    const sku = dataOf(h(), source.id).variants[0]!.sku;
    const write = await asPrivate(h(), source.credentials, 'POST', '/admin/api/v1/inventory', { sku, available_units: 500 });
    expect(write.status).toBe(201);
    expect(dataOf(h(), source.id).inventory.find((i) => i.sku === sku)!.available_units).toBe(500);
    expect(await snapshotText(h(), target.id)).toBe(targetBefore);
    expect(dataOf(h(), target.id).inventory.find((i) => i.sku === sku)?.available_units).not.toBe(500);
  });

  it('leaves the source store as it was', async () => {
    const before = await snapshotText(h(), source.id);
    const exported = (await h().control('GET', `/__sim/stores/${source.id}/snapshot`)).body.data;
    expect((await h().control('PUT', `/__sim/stores/${target.id}/snapshot`, exported)).status).toBe(200);
    expect(await snapshotText(h(), source.id)).toBe(before);
  });

  it('imports a created store into the default store, which keeps the documented credentials', async () => {
    const exported = (await h().control('GET', `/__sim/stores/${target.id}/snapshot`)).body.data;
    const res = await h().control('PUT', '/__sim/snapshot', exported);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toMatchObject({ store: 'default', credentials: { ...DEFAULT_CREDENTIALS } });
    const orders = await asPrivate(h(), DEFAULT_CREDENTIALS, 'GET', '/admin/api/v1/pre-orders?limit=200');
    expect(orders.body.data.orders.map((o: { id: string }) => o.id)).toEqual(dataOf(h(), target.id).pre_orders.map((o) => o.id));
    expect(Object.keys(JSON.parse(await snapshotText(h(), 'default')).data.stores)).toEqual(['default']);
  });

  it('rebuilds the imported scenario and seed on a later reset of the target, still under its own credentials', async () => {
    const exported = (await h().control('GET', `/__sim/stores/${source.id}/snapshot`)).body.data;
    expect((await h().control('PUT', `/__sim/stores/${target.id}/snapshot`, exported)).status).toBe(200);
    const res = await h().control('POST', `/__sim/stores/${target.id}/reset`);
    expect(res.body.data).toMatchObject({ store: target.id, scenario: 'refund-window', seed: 1, credentials: target.credentials });
    const rebuilt = await startHarness({ scenario: 'refund-window', seed: 1 });
    try {
      const ids = (d: StoreData) => d.pre_orders.map((o) => o.id);
      expect(ids(dataOf(h(), target.id))).toEqual(ids(rebuilt.sim.engine.defaultStore().state.data));
    } finally {
      await rebuilt.close();
    }
    expect((await asPrivate(h(), target.credentials, 'GET', '/admin/api/v1/pre-orders')).status).toBe(200);
  });
});

// ── Scale

describe('a thousand stores in one simulator', () => {
  const empty = defineScenario({ name: 'empty', summary: 'A store with nothing in it.', build() {} });
  const oneWaitlist = defineScenario({
    name: 'one-waitlist',
    summary: 'One product on a LIVE waitlist, its IDs from the seed.',
    build(builder) {
      builder.waitlist(builder.product({ sizes: ['One Size'] }), 5);
    },
  });
  const h = useHarness({ scenarios: [empty, oneWaitlist] });
  const COUNT = 1000;

  it('hosts 1,000 stores, each with distinct credentials, each answering its own public API', async () => {
    const engine = h().sim.engine;
    const stores = Array.from({ length: COUNT }, () => engine.createStore({ scenario: 'empty' }));

    const values = [DEFAULT_CREDENTIALS, ...stores.map((s) => s.credentials)].flatMap((c) => CREDENTIAL_FIELDS.map((f) => c[f]));
    expect(new Set(values).size).toBe((COUNT + 1) * 3);
    expect(new Set(stores.map((s) => s.id)).size).toBe(COUNT);

    const listed = await h().control('GET', '/__sim/stores');
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((s: StoreInfo) => s.id)).toEqual(['default', ...stores.map((s) => s.id)]);

    // A sample gets a waitlist of its own (IDs from a seed of its own), so its answer shows whose it is.
    const sample = [0, 1, 249, 500, 777, COUNT - 2, COUNT - 1];
    for (const [n, i] of sample.entries()) {
      const res = await h().control('POST', `/__sim/stores/${stores[i]!.id}/scenario`, { name: 'one-waitlist', seed: 100 + n });
      expect(res.status).toBe(200);
    }
    const answered = new Set<string>();
    for (const i of sample) {
      const store = stores[i]!;
      const res = await h().request('GET', `/api/v1/waitlists${qs({ api_key: store.credentials.public_api_key })}`);
      expect(res.status).toBe(200);
      expect(res.body.data.map((w: { id: string }) => w.id)).toEqual(store.state.data.waitlists.map((w) => w.id));
      expect(res.body.data).toHaveLength(1);
      answered.add(res.body.data[0].id);
    }
    expect(answered.size).toBe(sample.length);

    // Every other store answers too, with its own (empty) state.
    for (const [i, store] of stores.entries()) {
      if (sample.includes(i)) continue;
      const answer = engine.dispatch('listOpenWaitlists', { query: { api_key: store.credentials.public_api_key } });
      expect(answer.status).toBe(200);
      expect((answer.body as { data: unknown[] }).data).toEqual([]);
    }
  });
});


describe('stores and their clocks, timers and in-process credentials', () => {
  // An injected clock is the default store's alone; a created store gets a clock of its own.
  it("keeps the default store's clock where it was when B's clock is set, under an injected clock", async () => {
    const harness = await startHarness({ scenario: 'on-preorder', clock: createClock('manual', REFERENCE_DATE) });
    try {
      const b = await createStore(harness, { scenario: 'on-preorder', seed: 2 });
      const before = (await harness.control('GET', '/__sim/clock')).body.data.now;
      const target = new Date(Date.parse(b.clock.now) + 30 * 86_400_000).toISOString();
      expect((await harness.control('PUT', `/__sim/stores/${b.id}/clock`, { now: target })).status).toBe(200);
      expect((await harness.control('GET', `/__sim/stores/${b.id}/clock`)).body.data.now).toBe(target);
      expect((await harness.control('GET', '/__sim/clock')).body.data.now).toBe(before);
    } finally {
      await harness.close();
    }
  });

  it('forgets a deleted store at once: no timer is left for its scheduled pause', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const engine = createEngine();
    try {
      const store = engine.createStore({ scenario: 'on-preorder', clock: 'system' });
      const live = store.state.data.waitlists.find((w) => w.state === 'LIVE')!;
      const pauseAt = new Date(store.clock.nowMs() + 30 * 86_400_000).toISOString();
      const json = { 'content-type': 'application/json' };
      const paused = engine.dispatch('updateWaitlistInStore', { path: { storeId: store.id, id: live.id }, body: { scheduled_pause_date: pauseAt }, headers: json });
      expect(paused.status).toBe(200);
      expect(vi.getTimerCount()).toBe(1);
      expect(engine.dispatch('deleteStore', { path: { storeId: store.id } }).status).toBe(200);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      engine.close();
      vi.useRealTimers();
    }
  });

  it('generates a credential passed in-process as undefined, as if it were left out', async () => {
    const harness = await startHarness({ scenario: 'on-preorder' });
    try {
      const store = harness.sim.engine.createStore({ scenario: 'on-preorder', seed: 2, credentials: { public_api_key: undefined } });
      expect(store.credentials.public_api_key).toEqual(expect.any(String));
      expect((await asPublic(harness, store.credentials, '/api/v1/waitlists')).status).toBe(200);
      expect((await harness.control('GET', '/__sim/stores')).status).toBe(200);
    } finally {
      await harness.close();
    }
  });

  it('refuses in-process what the API refuses: a credential HTTP cannot carry, a seed that is no seed', () => {
    const engine = createEngine();
    expect(() => engine.createStore({ scenario: 'on-preorder', credentials: { private_access_token: ' spaced token ' } })).toThrow(/credentials.private_access_token/);
    expect(() => engine.createStore({ scenario: 'on-preorder', seed: -3.5 })).toThrow(/seed/);
    expect(engine.stores.list().map((store) => store.id)).toEqual(['default']);
  });
});
