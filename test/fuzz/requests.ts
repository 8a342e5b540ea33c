/**
 * Requests for every operation of both specs, valid and mutated, as fast-check arbitraries.
 *
 * A request is generated as a `Plan`: the operation, the store it is meant for (an index into the stores
 * of the engine, resolved at send time), its query, path, headers and body made from the spec's schemas,
 * and at most one `Mutation`. Real IDs of the store (path parameters half of the time, and the fields that
 * name a variant, a pre-order, a fulfillment order …), credentials and shopper tokens are placeholders,
 * resolved by `materialize` against the store as it is when the request is sent, so a sequence of requests
 * works on what the earlier ones made, and a generated sequence replays the same on a fresh engine.
 */
import fc from 'fast-check';
import { signShopperToken } from '../../src/client/shopper-token.ts';
import type { EngineRequest } from '../../src/engine/dispatch.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { listOperations, type SpecName } from '../../src/engine/spec.ts';
import type { HostedStore } from '../../src/engine/store.ts';
import type { StoreData } from '../../src/domain/types.ts';
import { variantUnitsLeft } from '../../src/domain/waitlists.ts';
import { operationFor } from '../support/contract.ts';
import {
  defineKey, flatten, Placeholder, resolveRef, schemaArbitrary, sitesOf, smallJson, typesOf, type Hints, type Schema, type Site,
} from './schema-arbitrary.ts';

// -------------------------------------------------------------------------------------------------------
// The operations, as the fuzzer needs them.

export interface ParamModel {
  name: string;
  schema: Schema;
  required: boolean;
}

export interface OperationModel {
  id: string;
  spec: SpecName;
  method: string;
  template: string;
  /** A path the contract checker resolves to this operation (every parameter `x`). */
  contractPath: string;
  credentials: 'public' | 'shopper' | 'private' | 'none';
  query: ParamModel[];
  path: ParamModel[];
  body?: Schema;
  bodySites: Site[];
  statuses: string[];
}

/** The query parameters a security scheme carries: the shopper credential, sent by the plan's `shopper` part. */
const SHOPPER_PARAMS = new Set(['email', 'timestamp', 'token']);

function credentialsOf(security: Record<string, string[]>[] | undefined): OperationModel['credentials'] {
  const schemes = new Set((security ?? []).flatMap((requirement) => Object.keys(requirement)));
  if (schemes.has('publicApiKey')) return schemes.has('shopperToken') ? 'shopper' : 'public';
  return schemes.has('accessToken') ? 'private' : 'none';
}

let models: OperationModel[] | undefined;

/** Every operation of both specs. */
export function operationModels(): OperationModel[] {
  models ??= listOperations().map((op) => {
    const raw = resolveRef(`${op.spec}${op.pointer}`);
    const params = ((raw.parameters ?? []) as Schema[]).map((p) => flatten(p));
    const credentials = credentialsOf(op.operation.security);
    const param = (p: Schema): ParamModel => ({ name: p.name as string, schema: flatten(p.schema as Schema), required: p.required === true });
    const bodyRef = op.operation.requestBody ? `${op.spec}${op.pointer}/requestBody/content/application~1json/schema` : undefined;
    const body = bodyRef ? flatten(resolveRef(bodyRef)) : undefined;
    const contractPath = op.path.replace(/\{[^}]+\}/g, 'x');
    const model: OperationModel = {
      id: op.operation.operationId,
      spec: op.spec,
      method: op.method.toUpperCase(),
      template: op.path,
      contractPath,
      credentials,
      // The shopper credential is the plan's own part, signed at send time.
      query: params.filter((p) => p.in === 'query' && !(credentials === 'shopper' && SHOPPER_PARAMS.has(p.name as string))).map(param),
      path: params.filter((p) => p.in === 'path').map(param),
      body,
      bodySites: body ? sitesOf(body) : [],
      statuses: Object.keys(op.operation.responses ?? {}),
    };
    const resolved = operationFor(model.method, contractPath).operationId;
    if (resolved !== model.id) throw new Error(`the contract checker takes ${model.method} ${contractPath} for ${resolved}, not ${model.id}`);
    return model;
  });
  return models;
}

export const modelOf = (id: string): OperationModel => {
  const model = operationModels().find((m) => m.id === id);
  if (!model) throw new Error(`no operation ${id}`);
  return model;
};

// -------------------------------------------------------------------------------------------------------
// What a placeholder is resolved against.

export interface SendContext {
  engine: Engine;
  /** The store the request is meant for (its credentials, its IDs). */
  store: HostedStore;
  /** Every store of the engine, the default first. */
  stores: HostedStore[];
}

/** Scenarios a fuzzed request may build: all but large-catalogue (100,000 pre-orders, 7 s to build). */
export const CHEAP_SCENARIOS = ['on-preorder', 'in-stock', 'mixed-catalogue', 'partially-exported', 'paused-waitlist', 'ready-to-fulfil', 'refund-window', 'scheduled-launch', 'sold-out'];

const lines = (d: StoreData) => d.pre_orders.flatMap((o) => o.line_items);
const nonNull = <T>(values: (T | null | undefined)[]): T[] => values.filter((v): v is T => v !== null && v !== undefined);

/** The real values of a store that a field may name. */
export const POOLS = {
  variantId: (c: SendContext) => c.store.state.data.variants.map((v) => v.id),
  /** Variants a shopper can pre-order now: on a LIVE waitlist with units left. */
  liveVariantId: (c: SendContext) => c.store.state.data.waitlists.filter((w) => w.state === 'LIVE')
    .flatMap((w) => w.allocations.filter((a) => variantUnitsLeft(w, a.variant_id) > 0).map((a) => a.variant_id)),
  productId: (c: SendContext) => c.store.state.data.products.map((p) => p.id),
  handle: (c: SendContext) => c.store.state.data.products.map((p) => p.handle),
  sku: (c: SendContext) => [...c.store.state.data.variants.map((v) => v.sku), ...c.store.state.data.inventory.map((i) => i.sku)],
  waitlistId: (c: SendContext) => c.store.state.data.waitlists.map((w) => w.id),
  preOrderId: (c: SendContext) => c.store.state.data.pre_orders.map((o) => o.id),
  email: (c: SendContext) => c.store.state.data.pre_orders.map((o) => o.email),
  reference: (c: SendContext) => c.store.state.data.pre_orders.map((o) => o.reference),
  lineItemId: (c: SendContext) => lines(c.store.state.data).map((l) => l.id),
  exportedLineItemId: (c: SendContext) => lines(c.store.state.data).filter((l) => l.status === 'exported').map((l) => l.id),
  fulfillmentOrderId: (c: SendContext) => c.store.state.data.fulfillment_orders.map((f) => f.id),
  externalOrderId: (c: SendContext) => [...new Set(nonNull(lines(c.store.state.data).map((l) => l.external_order_id)))],
  externalLineItemId: (c: SendContext) => nonNull(lines(c.store.state.data).map((l) => l.external_line_item_id)),
  refundId: (c: SendContext) => c.store.state.data.refunds.map((r) => r.id),
  currency: (c: SendContext) => [c.store.state.data.settings.currency],
  storeId: (c: SendContext) => c.stores.map((s) => s.id),
  faultId: (c: SendContext) => c.store.faults.list().map((f) => f.id).concat(['fault-1']),
  webhookId: (c: SendContext) => (c.store.state.data.webhooks?.subscriptions ?? []).map((w) => w.id).concat(['wh_1']),
  /** Subscription URLs where nothing listens (the discard port): a real server's deliveries fail at once, and a bare engine sends nothing. */
  webhookUrl: () => ['http://127.0.0.1:9/hooks', 'https://localhost:9/purple-dot?store=1'],
  scenario: () => CHEAP_SCENARIOS,
  purpleDotOperation: () => operationModels().filter((m) => m.spec === 'purpleDot').map((m) => m.id),
  purpleDotPath: () => operationModels().filter((m) => m.spec === 'purpleDot').map((m) => m.template),
  requestPath: () => operationModels().map((m) => m.template.replace(/\{[^}]+\}/g, 'x')),
  anyOperation: () => operationModels().map((m) => m.id),
} satisfies Record<string, (c: SendContext) => string[]>;

export type PoolName = keyof typeof POOLS;

/** One value of a pool, the `pick`-th modulo its size; a made-up value when the pool is empty. */
export const real = (pool: PoolName, pick: number): Placeholder<SendContext> =>
  new Placeholder(`real(${pool}#${pick})`, (c) => {
    const values = POOLS[pool](c);
    return values.length > 0 ? values[pick % values.length] : `no-${pool}-${pick}`;
  });

const realArb = (pool: PoolName): fc.Arbitrary<Placeholder<SendContext>> => fc.nat(1_000).map((pick) => real(pool, pick));

/** A store index: mostly the default store, now and then another one the run created. */
const storePick = fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(8) });

/** A snapshot of one of the engine's stores, as `exportSnapshot` gives it, to import. */
export const realSnapshot = (pick: number): Placeholder<SendContext> =>
  new Placeholder(`snapshot(store #${pick})`, (c) => JSON.parse(JSON.stringify(c.stores[pick % c.stores.length]!.snapshot())) as unknown);

/** Which pool a field names, by operation (without `InStore`) and `location:field`; `*` for any operation. */
const FIELD_POOLS: Record<string, PoolName> = {
  '*:path:storeId': 'storeId',
  '*:path:faultId': 'faultId',
  '*:path:webhookId': 'webhookId',
  'addWebhook:body:url': 'webhookUrl',
  '*:path:sku': 'sku',
  'cancelPreOrder:path:id': 'preOrderId',
  'updateWaitlist:path:id': 'waitlistId',
  'setVariantStock:path:id': 'variantId',
  'voidFulfillmentOrder:path:id': 'fulfillmentOrderId',
  'getFulfillmentOrder:path:id': 'fulfillmentOrderId',
  '*:query:product_id': 'productId',
  '*:query:handle': 'handle',
  '*:query:variant_id': 'variantId',
  '*:query:skus': 'sku',
  '*:query:email': 'email',
  '*:query:references': 'reference',
  'listPreOrders:query:starting_after': 'preOrderId',
  'listShopperPreOrders:query:starting_after': 'preOrderId',
  'listWaitlists:query:starting_after': 'waitlistId',
  'listFulfillmentOrders:query:starting_after': 'fulfillmentOrderId',
  'getJournal:query:operationId': 'anyOperation',
  'getJournal:query:path': 'requestPath',
  '*:body:lines[].variant_id': 'liveVariantId',
  '*:body:variants[].variant_id': 'variantId',
  '*:body:product_id': 'productId',
  '*:body:line_item_ids[]': 'lineItemId',
  '*:body:email': 'email',
  '*:body:currency': 'currency',
  'updateInventory:body:sku': 'sku',
  'createFulfillment:body:fulfillment.fulfillment_order_id': 'fulfillmentOrderId',
  'createFulfillment:body:fulfillment.line_items[].id': 'exportedLineItemId',
  'createRefund:body:order': 'externalOrderId',
  'createRefund:body:line_items[].id': 'externalLineItemId',
  'createRefund:body:id': 'refundId',
  'createStore:body:scenario': 'scenario',
  'loadScenario:body:name': 'scenario',
  'addFault:body:operationId': 'purpleDotOperation',
  'addFault:body:path': 'purpleDotPath',
};

const baseId = (id: string): string => id.replace(/InStore$/, '');

/**
 * Real values where a field names something of the store: half of the time for a path parameter (the
 * other half tries IDs the store does not have), most of the time for a query or body field, so that
 * valid requests mostly reach the rules behind the lookups.
 */
function hintsFor(op: OperationModel, location: 'query' | 'path' | 'body'): Hints {
  return (field) => {
    const pool = FIELD_POOLS[`${baseId(op.id)}:${location}:${field}`] ?? FIELD_POOLS[`*:${location}:${field}`];
    if (baseId(op.id) === 'importSnapshot' && location === 'body' && field === '') {
      return { weight: 6, arbitrary: storePick.map(realSnapshot) };
    }
    if (!pool) return undefined;
    return { weight: location === 'path' ? 1 : 6, arbitrary: realArb(pool) };
  };
}

/** A generated scenario name is never large-catalogue (100,000 pre-orders, 7 s to build): the run would crawl. */
const notLarge = (value: unknown): boolean => value !== 'large-catalogue';

// -------------------------------------------------------------------------------------------------------
// Plans.

export type Location = 'query' | 'path' | 'headers' | 'body';

export interface Mutation {
  /** What kind of break, for the tally and the counterexample. */
  kind: string;
  where: Location | 'shopper' | 'url';
  /** Keys from the root of `where`; empty for the whole body. */
  at: (string | number)[];
  /** Remove the value instead of setting one. */
  remove?: boolean;
  value?: unknown;
  /** Set `at` as an own property even when it is `__proto__`. */
  ownKey?: boolean;
}

export interface ShopperPart {
  /** Seconds between the token's timestamp and the store clock. */
  skew: number;
  email: unknown;
}

export interface Plan {
  op: string;
  /** Index into the engine's stores (0 is the default store). */
  store: number;
  query: Record<string, unknown>;
  path: Record<string, unknown>;
  headers: Record<string, unknown>;
  /** `undefined` for no body. */
  body?: unknown;
  shopper?: ShopperPart;
  mutation?: Mutation;
}

const cred = (kind: 'public_api_key' | 'private_access_token' | 'shared_secret', other = 0): Placeholder<SendContext> =>
  new Placeholder(other === 0 ? `credential(${kind})` : `credential(${kind} of store #${other})`, (c) =>
    (other === 0 ? c.store : c.stores[other % c.stores.length]!).credentials[kind]);

const TOKEN_HEADER_NAMES = ['X-Purple-Dot-Access-Token', 'x-purple-dot-access-token', 'X-PURPLE-DOT-ACCESS-TOKEN'];

/** A query value as HTTP delivers it (text), or now and then as a typed in-process caller passes it. */
function asQueryValue(value: unknown, typed: boolean): unknown {
  if (value instanceof Placeholder || typed || value === undefined) return value;
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function paramsArbitrary(op: OperationModel, params: ParamModel[], location: 'query' | 'path'): fc.Arbitrary<Record<string, unknown>> {
  const hints = hintsFor(op, location);
  const entries = params.map((p) => {
    const arb = schemaArbitrary(p.schema, p.name, hints).filter(notLarge);
    return p.required || location === 'path' ? arb.map((v) => [p.name, v] as const) : fc.option(arb.map((v) => [p.name, v] as const), { freq: 2, nil: undefined });
  });
  const typed = location === 'query' ? fc.boolean() : fc.constant(false);
  return fc.tuple(fc.tuple(...entries), typed).map(([pairs, isTyped]) => {
    const result: Record<string, unknown> = {};
    for (const pair of pairs) if (pair) result[pair[0]] = location === 'path' ? pair[1] : asQueryValue(pair[1], isTyped);
    return result;
  });
}

/** The valid requests of one operation: every credential it needs, its parameters and body from the spec. */
export function validPlan(op: OperationModel): fc.Arbitrary<Plan> {
  const bodyHints = hintsFor(op, 'body');
  const body = op.body ? schemaArbitrary(op.body, '', bodyHints).filter(notLarge) : fc.constant(undefined);
  const headers = fc.record({
    token: fc.constantFrom(...TOKEN_HEADER_NAMES),
    contentType: fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-8', 'Application/JSON'),
  });
  const shopper = op.credentials === 'shopper'
    ? fc.record({ skew: fc.integer({ min: -10, max: 10 }), email: fc.oneof(realArb('email'), fc.emailAddress()) })
    : fc.constant(undefined);
  return fc.record({
    store: storePick,
    query: paramsArbitrary(op, op.query, 'query'),
    path: paramsArbitrary(op, op.path, 'path'),
    headers,
    body,
    shopper,
  }).map(({ store, query, path, headers: h, body: b, shopper: s }) => {
    const plan: Plan = { op: op.id, store, query, path, headers: {} };
    if (op.credentials === 'public' || op.credentials === 'shopper') plan.query = { api_key: cred('public_api_key'), ...query };
    if (op.credentials === 'private') plan.headers[h.token] = cred('private_access_token');
    if (op.body) {
      plan.body = b;
      if (h.contentType) plan.headers['content-type'] = h.contentType;
    }
    if (s) plan.shopper = s;
    return plan;
  });
}

// -------------------------------------------------------------------------------------------------------
// Mutations: one break of a valid plan.

/** A value built only when sent: a string of `length` characters. */
export const huge = (length: number, unit: string): Placeholder =>
  new Placeholder(`huge(${JSON.stringify(unit)} x ${length})`, () => unit.repeat(Math.ceil(length / unit.length)));

/** A value nested `depth` deep, built without recursion. */
export const deep = (depth: number, shape: 'array' | 'object' | 'mixed', key = 'a'): Placeholder =>
  new Placeholder(`deep(${shape}, ${depth}${key === 'a' ? '' : `, key ${key}`})`, () => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i += 1) {
      const asArray = shape === 'array' || (shape === 'mixed' && i % 2 === 0);
      if (asArray) value = [value];
      else {
        const wrapped: Record<string, unknown> = {};
        defineKey(wrapped, key, value);
        value = wrapped;
      }
    }
    return value;
  });

export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];
const PROTO_IDS = [...PROTO_KEYS, 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'Object.prototype'];

/** Strings that trip parsers, comparisons, normalisation and logs. */
export const ODD_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\t', '\r\n', '\n', '\u202e', '\u200b', '\ufeff', '\ud800', '\udfff', 'a\ud83d',
  '😀', '👩‍👩‍👧‍👦', 'é', 'e\u0301', 'İ', 'ß', 'ﬀ', 'Ａ', '\u0085', '\u2028', '\u007f', '<script>alert(1)</script>',
  "' OR 1=1 --", '${jndi:ldap://x}', '{{7*7}}', '%00', '%', '%zz', '%2F', '%252F', '../../etc/passwd', '..', '.',
  'null', 'undefined', 'NaN', 'true', '-0', '1e309', '0x10', ' 1', '1 ', '+1', '٣', '\\', '"', '[]', '{}',
];

const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  // Any UTF-16 unit, lone surrogates and control characters included.
  { weight: 2, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }) },
);

/**
 * Long strings, up to what fits in the HTTP adapter's 1 MB body (its 413 is the HTTP slice's to test): a
 * value far past every `maxLength`, or stored where the spec sets none.
 */
const hugeValue: fc.Arbitrary<Placeholder> = fc.tuple(
  fc.oneof({ weight: 8, arbitrary: fc.constantFrom(256, 1_001, 4_097, 65_537) }, { weight: 1, arbitrary: fc.constant(300_000) }),
  fc.constantFrom('x', 'é', '😀', '\u0000', 'ab '),
).map(([length, unit]) => huge(length, unit));

const deepValue: fc.Arbitrary<Placeholder> = fc.tuple(
  fc.oneof(fc.integer({ min: 50, max: 300 }), fc.constantFrom(1_000, 2_000, 3_000, 4_000, 5_000), fc.integer({ min: 50, max: 5_000 })),
  fc.constantFrom('array', 'object', 'mixed') as fc.Arbitrary<'array' | 'object' | 'mixed'>,
  fc.constantFrom('a', '__proto__', 'constructor'),
).map(([depth, shape, key]) => deep(depth, shape, key));

/** JSON values of each type, to put where the schema wants another. */
const VALUES_OF_TYPE: Record<string, fc.Arbitrary<unknown>> = {
  string: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('1', 'true', 'null', '2026-01-01T00:00:00Z')),
  integer: fc.oneof(fc.integer(), fc.constantFrom(0, -1, 1, 2 ** 53, -(2 ** 31))),
  number: fc.constantFrom(0.5, -1.5, 1e-7, 1.7976931348623157e308, -0),
  boolean: fc.boolean(),
  null: fc.constant(null),
  array: fc.oneof(fc.constant([]), fc.array(smallJson, { minLength: 1, maxLength: 3 })),
  object: fc.oneof(fc.constant({}), fc.dictionary(fc.string({ maxLength: 6 }), smallJson, { maxKeys: 3 })),
};

function wrongType(schema: Schema): fc.Arbitrary<unknown> {
  const allowed = new Set(typesOf(schema));
  if (allowed.has('number')) allowed.add('integer');
  const others = Object.keys(VALUES_OF_TYPE).filter((t) => !allowed.has(t) && !(t === 'null' && allowed.size === 0));
  if (allowed.size === 0 || others.length === 0) return fc.constant(Symbol.for('skip'));
  return fc.oneof(...others.map((t) => VALUES_OF_TYPE[t]!));
}

/** A list of `length` copies of one item, built when sent. */
const repeated = (item: unknown, length: number): Placeholder<SendContext> =>
  new Placeholder(`repeat(${String(item instanceof Placeholder ? item.label : JSON.stringify(item)).slice(0, 60)} x ${length})`, (c) => {
    const resolved = resolveDeep(item, c);
    return Array.from({ length }, () => structuredClone(resolved));
  });

/** Values just outside (or on) each bound the schema states, and near misses of its formats and patterns. */
function boundaryValues(schema: Schema, field: string): fc.Arbitrary<unknown> {
  const s = flatten(schema);
  const out: fc.Arbitrary<unknown>[] = [];
  const push = (...values: unknown[]) => out.push(fc.constantFrom(...values));
  const types = typesOf(s);
  if (types.includes('integer') || types.includes('number')) {
    const min = s.minimum as number | undefined;
    const max = s.maximum as number | undefined;
    if (min !== undefined) push(min - 1, min, min - 0.5, min + 0.5);
    if (max !== undefined) push(max + 1, max, max + 0.5, max * 10);
    push(2 ** 53, 2 ** 53 + 2, -(2 ** 53) - 2, 1e21, 1.5, -0);
  }
  if (types.includes('string')) {
    const minLength = s.minLength as number | undefined;
    const maxLength = s.maxLength as number | undefined;
    if (minLength !== undefined && minLength > 0) push('a'.repeat(minLength - 1), 'a'.repeat(minLength));
    if (maxLength !== undefined) push('a'.repeat(maxLength + 1), 'a'.repeat(maxLength), 'é'.repeat(maxLength + 1), '😀'.repeat(Math.ceil(maxLength / 2) + 1));
    if (s.format === 'date-time') {
      push('2026-02-30T00:00:00Z', '2026-01-01', '2026-01-01T00:00:00', '2024-12-31T23:59:60Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z',
        '+275760-09-13T00:00:00.000Z', '2026-01-01t00:00:00z', '2026-01-01T00:00:00+24:00', '1970-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '2026-13-01T00:00:00Z');
    }
    if (s.format === 'uuid') push('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '{3f2504e0-4f89-11d3-9a0c-0305e82c3301}', '3f2504e04f8911d39a0c0305e82c3301', '3F2504E0-4F89-11D3-9A0C-0305E82C3301', 'urn:uuid:3f2504e0-4f89-11d3-9a0c-0305e82c3301', '3f2504e0-4f89-11d3-9a0c-0305e82c330');
    if (s.format === 'email') push('a@b', '@example.com', 'a@', 'a b@example.com', 'A@EXAMPLE.COM', 'a@example.com ', `${'a'.repeat(64)}@${'b'.repeat(186)}.com`, 'a@[127.0.0.1]', '"a"@example.com');
    if (typeof s.pattern === 'string') out.push(fc.stringMatching(new RegExp(s.pattern), { maxLength: 256 }).chain((v) => fc.constantFrom(`${v}x`, ` ${v}`, v.toLowerCase(), v.slice(1), `${v}\n`)));
    if (Array.isArray(s.enum)) push(...(s.enum as unknown[]).flatMap((v) => (typeof v === 'string' ? [v.toLowerCase(), v.toUpperCase(), `${v} `] : [])));
  }
  if (types.includes('array')) {
    const item = s.items ? schemaArbitrary(s.items as Schema, `${field}[]`) : smallJson;
    const minItems = s.minItems as number | undefined;
    const maxItems = s.maxItems as number | undefined;
    if (minItems !== undefined && minItems > 0) out.push(fc.array(item, { minLength: minItems - 1, maxLength: minItems - 1 }));
    if (maxItems !== undefined) out.push(item.map((v) => repeated(v, maxItems + 1)));
    out.push(item.map((v) => repeated(v, 1_000)));
  }
  if (types.includes('object')) {
    const maxProperties = s.maxProperties as number | undefined;
    if (maxProperties !== undefined) push(Object.fromEntries(Array.from({ length: maxProperties + 1 }, (_, i) => [`k${i}`, {}])));
    push({});
  }
  return out.length > 0 ? fc.oneof(...out) : wrongType(s);
}

/** A value for a site, by the kind of break; `Symbol.for('skip')` when the kind does not apply. */
function breakValue(kind: string, schema: Schema, field: string): fc.Arbitrary<unknown> {
  switch (kind) {
    case 'wrong-type':
      return wrongType(schema);
    case 'null':
      return typesOf(schema).includes('null') ? fc.constant(Symbol.for('skip')) : fc.constant(null);
    case 'boundary':
      return boundaryValues(schema, field);
    case 'huge-string':
      return hugeValue;
    case 'deep':
      return deepValue;
    case 'odd-string':
      return oddString;
    case 'proto-id':
      return fc.constantFrom(...PROTO_IDS);
    default:
      throw new Error(`unknown break ${kind}`);
  }
}

const VALUE_BREAKS = ['wrong-type', 'null', 'boundary', 'boundary', 'huge-string', 'huge-string', 'deep', 'deep', 'odd-string', 'odd-string', 'proto-id'];
/** Parameters arrive as text: nothing nested in them, and nothing longer than a URL can be. */
const PARAM_BREAKS = VALUE_BREAKS.filter((kind) => kind !== 'deep' && kind !== 'huge-string').concat('long-param');

const extraKey = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) }, { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 10 }) }, { weight: 1, arbitrary: oddString });
const extraValue = fc.oneof({ weight: 4, arbitrary: smallJson as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: deepValue }, { weight: 1, arbitrary: hugeValue }, { weight: 1, arbitrary: fc.constant({ polluted: true }) });
/** A parameter value as long as a URL may carry (Node takes 16 KB of headers). */
const longParam = fc.constantFrom(1_000, 8_000).map((length) => huge(length, 'x'));

type Weighted = { weight: number; arbitrary: fc.Arbitrary<Mutation> };

function siteBreaks(where: Location, sites: Site[], kinds: string[], weights: { value: number; missing: number; extra: number }): Weighted[] {
  if (sites.length === 0) return [];
  const site = fc.constantFrom(...sites);
  const value = fc.tuple(site, fc.constantFrom(...kinds)).chain(([s, kind]) =>
    (kind === 'long-param' ? longParam : breakValue(kind, s.schema, s.field)).map((v): Mutation => ({ kind, where, at: s.path, value: v })));
  const breaks: Weighted[] = [{ weight: weights.value, arbitrary: value }];
  const removable = sites.filter((s) => s.path.length > 0);
  if (removable.length > 0 && weights.missing > 0) {
    breaks.push({ weight: weights.missing, arbitrary: fc.constantFrom(...removable).map((s): Mutation => ({ kind: s.required ? 'missing-required' : 'missing-optional', where, at: s.path, remove: true })) });
  }
  const objectSites = sites.filter((s) => typesOf(s.schema).includes('object'));
  if (objectSites.length > 0 && weights.extra > 0) {
    breaks.push({
      weight: weights.extra,
      arbitrary: fc.tuple(fc.constantFrom(...objectSites), extraKey, extraValue).map(([s, key, v]): Mutation => ({
        kind: PROTO_KEYS.includes(key) ? 'proto-key' : 'extra-field', where, at: [...s.path, key], value: v, ownKey: true,
      })),
    });
  }
  return breaks;
}

const paramSites = (params: ParamModel[]): Site[] => params.map((p) => ({ path: [p.name], field: p.name, schema: p.schema, required: p.required }));

/** Path values as a router could hand them over, and a few it never would. */
const ODD_PATH_VALUES = ['', ' ', '.', '..', '%2F', 'a/b', '/', '%', '%zz', '%2e%2e', '..%2f..%2f', '\u0000', 'x'.repeat(10_000), '😀', 'ID%20', ' id', 'id\n', '*', '?', '#', ';', 'default/', 'DEFAULT', 'store-1', 'store-0', 'store-999999999999'];

function credentialBreaks(op: OperationModel): Weighted[] {
  const breaks: Weighted[] = [];
  if (op.credentials === 'private') {
    const header = 'X-Purple-Dot-Access-Token';
    breaks.push({ weight: 3, arbitrary: fc.oneof(
      fc.constant<Mutation>({ kind: 'credential-missing', where: 'headers', at: [header], remove: true }),
      fc.constantFrom('', 'pd_sim_wrong_token', ' pd_sim_private_access_token', 'PD_SIM_PRIVATE_ACCESS_TOKEN', 'Bearer pd_sim_private_access_token', '__proto__', 'constructor')
        .map((value): Mutation => ({ kind: 'credential-wrong', where: 'headers', at: [header], value })),
      fc.constant<Mutation>({ kind: 'credential-swapped', where: 'headers', at: [header], value: cred('public_api_key') }),
      fc.nat(8).map((other): Mutation => ({ kind: 'credential-other-store', where: 'headers', at: [header], value: cred('private_access_token', other + 1) })),
      fc.constant<Mutation>({ kind: 'credential-repeated', where: 'headers', at: [header], value: [cred('private_access_token'), 'pd_sim_wrong_token'] }),
      oddString.map((value): Mutation => ({ kind: 'credential-odd', where: 'headers', at: [header], value })),
    ) });
  }
  if (op.credentials === 'public' || op.credentials === 'shopper') {
    breaks.push({ weight: 3, arbitrary: fc.oneof(
      fc.constant<Mutation>({ kind: 'credential-missing', where: 'query', at: ['api_key'], remove: true }),
      fc.constantFrom('', '00000000-0000-0000-0000-000000000000', '4B1D3F0E-8C2A-4F6B-9E7D-5A0C1B2D3E4F', '__proto__', 'hasOwnProperty')
        .map((value): Mutation => ({ kind: 'credential-wrong', where: 'query', at: ['api_key'], value })),
      fc.constant<Mutation>({ kind: 'credential-swapped', where: 'query', at: ['api_key'], value: cred('private_access_token') }),
      fc.constant<Mutation>({ kind: 'credential-repeated', where: 'query', at: ['api_key'], value: [cred('public_api_key'), cred('public_api_key')] }),
      fc.nat(8).map((other): Mutation => ({ kind: 'credential-other-store', where: 'query', at: ['api_key'], value: cred('public_api_key', other + 1) })),
      oddString.map((value): Mutation => ({ kind: 'credential-odd', where: 'query', at: ['api_key'], value })),
    ) });
  }
  if (op.credentials === 'shopper') {
    breaks.push({ weight: 6, arbitrary: fc.oneof(
      fc.constantFrom(-11, 11, -3_600, 86_400, 10 ** 12, -(10 ** 9)).map((skew): Mutation => ({ kind: 'shopper-expired', where: 'shopper', at: ['skew'], value: skew })),
      fc.constantFrom('email', 'timestamp', 'token').map((name): Mutation => ({ kind: 'shopper-missing', where: 'query', at: [name], remove: true })),
      fc.constantFrom('abc', '1e9', '-1', '1234567890123', ' 1700000000', '', '0x10', '1.5').map((value): Mutation => ({ kind: 'shopper-timestamp', where: 'query', at: ['timestamp'], value })),
      fc.constantFrom('', 'A'.repeat(64), '0'.repeat(64), 'f'.repeat(63), 'zz', '__proto__').map((value): Mutation => ({ kind: 'shopper-token', where: 'query', at: ['token'], value })),
      fc.constant<Mutation>({ kind: 'shopper-token-case', where: 'shopper', at: ['upper'], value: true }),
      fc.oneof(oddString, fc.constantFrom(...PROTO_IDS), longParam).map((value): Mutation => ({ kind: 'shopper-email', where: 'shopper', at: ['email'], value })),
      fc.constant<Mutation>({ kind: 'shopper-repeated', where: 'query', at: ['email'], value: ['a@example.com', 'b@example.com'] }),
    ) });
  }
  return breaks;
}

/**
 * A real snapshot changed deep inside its store, where the schema is open: a value replaced by one nested
 * thousands deep, a long string, a prototype key, another type, null, a negative count; or an entry of a
 * list repeated (duplicate IDs). `walk` picks the keys on the way down.
 */
const snapshotTamper: fc.Arbitrary<Mutation> = fc.record({
  walk: fc.array(fc.nat(50), { minLength: 1, maxLength: 6 }),
  action: fc.constantFrom('replace', 'replace', 'add', 'duplicate', 'remove'),
  value: fc.oneof(deepValue, hugeValue, fc.constantFrom(null, -1, 1.5, '', '__proto__', [], {}, true, 2 ** 53, '2026-02-30T00:00:00Z'), oddString),
  key: fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra', ''),
}).map((t): Mutation => ({ kind: 'snapshot-tamper', where: 'body', at: [], value: t }));

function bodyBreaks(op: OperationModel): Weighted[] {
  if (!op.body) {
    // A body where none is taken, with or without a content type: answered as if it were not there.
    return [{ weight: 1, arbitrary: fc.tuple(smallJson, fc.constantFrom(undefined, 'text/plain', 'application/json')).map(([value, type]): Mutation => ({ kind: 'unexpected-body', where: 'body', at: [], value: { body: value, type } })) }];
  }
  const tamper: Weighted[] = baseId(op.id) === 'importSnapshot' ? [{ weight: 12, arbitrary: snapshotTamper }] : [];
  return [
    ...tamper,
    ...siteBreaks('body', op.bodySites, VALUE_BREAKS, { value: 10, missing: 3, extra: 4 }),
    { weight: 2, arbitrary: fc.oneof(
      fc.constant<Mutation>({ kind: 'body-missing', where: 'body', at: [], remove: true }),
      fc.oneof(fc.constantFrom(null, [], '', 'text', 0, true, [{}]), deepValue).map((value): Mutation => ({ kind: 'body-root', where: 'body', at: [], value })),
    ) },
    { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', '', 'application/jsonp', 'application/json-patch+json', 'text/json', '*/*', 'application/json\u0000')
      .map((value): Mutation => ({ kind: 'content-type', where: 'headers', at: ['content-type'], value })) },
  ];
}

function paramBreaks(op: OperationModel): Weighted[] {
  const breaks: Weighted[] = [...siteBreaks('query', paramSites(op.query), PARAM_BREAKS, { value: 6, missing: 1, extra: 0 })];
  if (op.query.length > 0) {
    // A repeated parameter, as a query string parser hands it over.
    breaks.push({ weight: 2, arbitrary: fc.tuple(fc.constantFrom(...op.query), fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('1', '10', '2026-01-01T00:00:00Z')), { minLength: 2, maxLength: 3 }))
      .map(([p, values]): Mutation => ({ kind: 'repeated-query', where: 'query', at: [p.name], value: values })) });
  }
  // A parameter nobody declared, named like a prototype key or anything else.
  breaks.push({ weight: 1, arbitrary: fc.tuple(extraKey, fc.oneof(fc.string({ maxLength: 8 }), fc.array(fc.string({ maxLength: 4 }), { minLength: 2, maxLength: 2 }), longParam))
    .map(([key, value]): Mutation => ({ kind: 'extra-query', where: 'query', at: [key], value, ownKey: true })) });
  if (op.path.length > 0) {
    breaks.push(...siteBreaks('path', paramSites(op.path), PARAM_BREAKS, { value: 3, missing: 0, extra: 0 }));
    breaks.push({ weight: 3, arbitrary: fc.tuple(fc.constantFrom(...op.path), fc.oneof(fc.constantFrom(...ODD_PATH_VALUES), fc.constantFrom(...PROTO_IDS), oddString))
      .map(([p, value]): Mutation => ({ kind: 'odd-path', where: 'path', at: [p.name], value })) });
    // A real ID changed as a careless client would send it: upper case, encoded twice, padded, with a dot segment.
    breaks.push({ weight: 2, arbitrary: fc.tuple(fc.constantFrom(...op.path), fc.constantFrom('upper', 'encoded', 'padded', 'suffix')).map(([p, how]): Mutation => ({ kind: `path-${how}`, where: 'path', at: [p.name], value: how })) });
  }
  // The absolute URL the next-page link is made from: one that does not parse.
  if (op.statuses.includes('200') && /^list/.test(op.id)) breaks.push({ weight: 1, arbitrary: fc.constantFrom('http://[::1', 'not a url', 'http://localhost:99999/x', 'http://ex ample.com/').map((value): Mutation => ({ kind: 'odd-url', where: 'url', at: [], value })) });
  return breaks;
}

const mutationCache = new Map<string, fc.Arbitrary<Mutation>>();

/** One break of a request of this operation, the kinds weighted by what the operation has to break. */
export function mutationFor(op: OperationModel): fc.Arbitrary<Mutation> {
  let arb = mutationCache.get(op.id);
  if (!arb) {
    const all = [...credentialBreaks(op), ...bodyBreaks(op), ...paramBreaks(op)];
    arb = fc.oneof(...all).filter((m) => m.value !== Symbol.for('skip'));
    mutationCache.set(op.id, arb);
  }
  return arb;
}

const validCache = new Map<string, fc.Arbitrary<Plan>>();

/** A valid plan of the operation, or (with the given share) one with a break. */
export function planFor(op: OperationModel, mutatedShare: number): fc.Arbitrary<Plan> {
  let valid = validCache.get(op.id);
  if (!valid) {
    valid = validPlan(op);
    validCache.set(op.id, valid);
  }
  const percent = Math.round(mutatedShare * 100);
  const broken = fc.tuple(valid, mutationFor(op)).map(([plan, mutation]): Plan => ({ ...plan, mutation }));
  return fc.oneof({ weight: percent, arbitrary: broken }, { weight: 100 - percent, arbitrary: valid });
}

// -------------------------------------------------------------------------------------------------------
// Sending: placeholders resolved against the store as it is now.

function resolveDeep(value: unknown, c: SendContext, depth = 0): unknown {
  if (value instanceof Placeholder) return value.resolve(c);
  if (depth > 40 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => resolveDeep(v, c, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) defineKey(copy, key, resolveDeep((value as Record<string, unknown>)[key], c, depth + 1));
  return copy;
}

/**
 * Sets (or removes) the value at `keys`, making the containers on the way: a list where the next key is an
 * index. Only JSON can arrive, so a named key is never put on a list.
 */
function setAt(root: Record<string, unknown>, keys: (string | number)[], value: unknown, remove: boolean, ownKey: boolean): void {
  let node: Record<string | number, unknown> = root;
  for (const [i, key] of keys.slice(0, -1).entries()) {
    let next = Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined;
    if (next === null || typeof next !== 'object') {
      next = typeof keys[i + 1] === 'number' ? [] : {};
      if (Array.isArray(node) && typeof key === 'number') node[Math.min(key, node.length)] = next;
      else defineKey(node as Record<string, unknown>, String(key), next);
    }
    node = next as Record<string | number, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (Array.isArray(node)) {
    if (typeof last !== 'number') return;
    if (remove) node.splice(last, 1);
    else node[Math.min(last, node.length)] = value;
    return;
  }
  if (remove) delete node[last];
  else if (ownKey || !Object.prototype.hasOwnProperty.call(node, last)) defineKey(node as Record<string, unknown>, String(last), value);
  else node[last] = value;
}

/** A path value as a client encodes it; a lone surrogate, which has no UTF-8, as the replacement character. */
export const encodePathValue = (value: string): string => encodeURIComponent(value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));

function toQueryValue(value: unknown): unknown {
  if (value === undefined || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? ''));
  return JSON.stringify(value);
}

interface Tamper { walk: number[]; action: 'replace' | 'add' | 'duplicate' | 'remove'; value: unknown; key: string }

/** Walks into the snapshot's store by `walk` and changes what it finds there (see snapshotTamper). */
function tamperSnapshot(body: unknown, t: Tamper, c: SendContext): void {
  const stores = asObject(asObject(body)?.stores);
  let node: unknown = stores && Object.values(stores)[0];
  let parent: Record<string | number, unknown> | undefined;
  let key: string | number | undefined;
  for (const choice of t.walk) {
    if (node === null || typeof node !== 'object') break;
    const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    parent = node as Record<string | number, unknown>;
    key = keys[choice % keys.length]!;
    node = parent[key];
  }
  if (!parent || key === undefined) return;
  const value = resolveDeep(t.value, c);
  switch (t.action) {
    case 'replace':
      parent[key] = value;
      break;
    case 'add':
      if (Array.isArray(node)) node.push(value);
      else if (node !== null && typeof node === 'object') defineKey(node as Record<string, unknown>, t.key, value);
      else parent[key] = value;
      break;
    case 'duplicate':
      if (Array.isArray(parent)) parent.push(structuredClone(parent[key as number]));
      else if (Array.isArray(node) && node.length > 0) node.push(structuredClone(node[0]));
      break;
    case 'remove':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    default:
  }
}

type Parts = { query: Record<string, unknown>; path: Record<string, unknown>; body: unknown };
const asObject = (value: unknown): Record<string, unknown> | undefined =>
  (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);
const asList = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.map(asObject).filter((v): v is Record<string, unknown> => v !== undefined) : []);

/**
 * The rules between fields that a schema cannot state (a waitlist's variants are its product's, a refund is
 * by lines or by amount, …), applied to a generated request before its break, so that valid requests get
 * past them and reach what lies behind; a field that names nothing real is left alone.
 */
const FIXUPS: Record<string, (parts: Parts, c: SendContext) => void> = {
  createWaitlist({ body }, c) {
    const b = asObject(body);
    const product = c.store.state.data.products.find((p) => p.id === b?.product_id);
    if (!b || !product) return;
    const variants = asList(b.variants).slice(0, product.variant_ids.length);
    variants.forEach((v, i) => { v.variant_id = product.variant_ids[i]; });
    b.variants = variants.length > 0 ? variants : b.variants;
    if (typeof b.earliest_ship_date === 'string' && typeof b.latest_ship_date === 'string' && b.latest_ship_date < b.earliest_ship_date) {
      [b.earliest_ship_date, b.latest_ship_date] = [b.latest_ship_date, b.earliest_ship_date];
    }
  },
  updateWaitlist({ path, body }, c) {
    const b = asObject(body);
    const waitlist = c.store.state.data.waitlists.find((w) => w.id === path.id);
    const product = c.store.state.data.products.find((p) => p.id === waitlist?.product_id);
    if (!b || !product || !Array.isArray(b.variants)) return;
    const variants = asList(b.variants).slice(0, product.variant_ids.length);
    variants.forEach((v, i) => { v.variant_id = product.variant_ids[i]; });
    b.variants = variants.length > 0 ? variants : b.variants;
  },
  cancelPreOrder({ path, body }, c) {
    const b = asObject(body);
    const order = c.store.state.data.pre_orders.find((o) => o.id === path.id);
    if (!b || !order || !Array.isArray(b.line_item_ids)) return;
    b.line_item_ids = [...new Set(b.line_item_ids.map((_, i) => order.line_items[i % order.line_items.length]!.id))];
  },
  createFulfillment({ body }, c) {
    const f = asObject(asObject(body)?.fulfillment);
    const fo = c.store.state.data.fulfillment_orders.find((o) => o.id === f?.fulfillment_order_id);
    if (!f || !fo || !Array.isArray(f.line_items)) return;
    const items = asList(f.line_items).slice(0, fo.lines.length);
    items.forEach((item, i) => { item.id = fo.lines[i]!.line_item_id; item.quantity = 1; });
    f.line_items = items;
  },
  createRefund({ body }, c) {
    const b = asObject(body);
    if (!b) return;
    const lines = c.store.state.data.pre_orders.flatMap((o) => o.line_items).filter((l) => l.external_order_id === b.order && l.external_line_item_id);
    if (b.amount !== undefined) {
      delete b.line_items;
      delete b.shipping;
      b.currency = c.store.state.data.settings.currency;
      return;
    }
    delete b.currency;
    if (Array.isArray(b.line_items) && lines.length > 0) {
      b.line_items = asList(b.line_items).slice(0, 2).map((item, i) => ({ ...item, id: lines[i % lines.length]!.external_line_item_id, quantity: 1 }));
    }
    if (!(Array.isArray(b.line_items) && b.line_items.length > 0) && b.shipping !== true) b.shipping = true;
  },
  listPreOrders({ query }) {
    if (query.all_line_items !== undefined) delete query.some_line_item;
  },
  countPreOrders({ query }) {
    if (query.all_line_items !== undefined) delete query.some_line_item;
  },
  addFault({ body }) {
    const b = asObject(body);
    if (!b) return;
    if (b.status !== undefined) delete b.kind;
    if (b.retryAfter !== undefined && b.status !== 429) delete b.retryAfter;
    if (b.method !== undefined && b.path === undefined) delete b.method;
    if (Array.isArray(b.latencyMs) && (b.latencyMs[0] as number) > (b.latencyMs[1] as number)) b.latencyMs = [b.latencyMs[1], b.latencyMs[0]];
    if (b.latencyMs === undefined && b.status === undefined && b.kind === undefined) b.latencyMs = 0;
  },
};

export interface Materialized {
  request: EngineRequest;
  store: HostedStore;
}

const queryString = (query: Record<string, unknown>): string => {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) params.append(name, typeof v === 'string' ? v : JSON.stringify(v) ?? '');
  }
  const text = params.toString();
  return text ? `?${text}` : '';
};

/** The request a plan makes now, against the engine's stores as they are. */
export function materialize(plan: Plan, engine: Engine): Materialized {
  const op = modelOf(plan.op);
  const stores = [...engine.stores.list()] as HostedStore[];
  const store = stores[plan.store % stores.length]!;
  const c: SendContext = { engine, store, stores };
  // A store-scoped control operation works on the IDs of the store its path names: that one first.
  const storeId = resolveDeep(plan.path.storeId, c);
  const named = typeof storeId === 'string' ? engine.stores.get(storeId) : undefined;
  if (named) c.store = named as HostedStore;
  const path = resolveDeep(plan.path, c) as Record<string, unknown>;
  if (storeId !== undefined) path.storeId = storeId;
  const query = resolveDeep(plan.query, c) as Record<string, unknown>;
  const headers = resolveDeep(plan.headers, c) as Record<string, unknown>;
  let body = resolveDeep(plan.body, c);
  FIXUPS[baseId(op.id)]?.({ query, path, body }, c);
  const m = plan.mutation;
  let url: string | undefined;

  if (plan.shopper) {
    const email = m?.where === 'shopper' && m.at[0] === 'email' ? m.value : resolveDeep(plan.shopper.email, c);
    const skew = m?.where === 'shopper' && m.at[0] === 'skew' ? (m.value as number) : plan.shopper.skew;
    const timestamp = Math.floor(store.clock.nowMs() / 1000) + skew;
    let token = signShopperToken(String(email), timestamp, store.credentials.shared_secret);
    if (m?.where === 'shopper' && m.at[0] === 'upper') token = token.toUpperCase();
    Object.assign(query, { email, timestamp: String(timestamp), token });
  }

  if (m && m.where !== 'shopper') {
    const value = resolveDeep(m.value, c);
    switch (m.where) {
      case 'query':
        setAt(query, m.at, value, m.remove === true, m.ownKey === true);
        break;
      case 'headers':
        // A header is replaced whatever case its name was generated in.
        for (const name of Object.keys(headers)) if (name.toLowerCase() === String(m.at[0]).toLowerCase()) delete headers[name];
        setAt(headers, m.at, value, m.remove === true, false);
        break;
      case 'path': {
        const name = String(m.at[0]);
        const current = String(path[name] ?? '');
        if (m.kind === 'path-upper') path[name] = current.toUpperCase();
        else if (m.kind === 'path-encoded') path[name] = encodeURIComponent(encodeURIComponent(`${current}/`));
        else if (m.kind === 'path-padded') path[name] = ` ${current} `;
        else if (m.kind === 'path-suffix') path[name] = `${current}/../${current}`;
        else setAt(path, m.at, value, m.remove === true, false);
        break;
      }
      case 'body':
        if (m.kind === 'snapshot-tamper') {
          tamperSnapshot(body, m.value as Tamper, c);
        } else if (m.kind === 'unexpected-body') {
          const { body: extra, type } = value as { body: unknown; type?: string };
          body = extra;
          if (type) headers['content-type'] = type;
        } else if (m.at.length === 0) {
          body = m.remove ? undefined : value;
        } else {
          if (body === null || typeof body !== 'object') body = {};
          setAt(body as Record<string, unknown>, m.at, value, m.remove === true, m.ownKey === true);
        }
        break;
      case 'url':
        url = String(value);
        break;
      default:
    }
  }
  // Query values arrive as text (a list for a repeated one) or, from a typed in-process caller, as numbers
  // and booleans; anything else is sent as its JSON text.
  for (const [name, value] of Object.entries(query)) defineKey(query, name, toQueryValue(value));
  // Path values arrive as text; a value the mutation made another type is sent as its text.
  for (const [name, value] of Object.entries(path)) if (typeof value !== 'string') defineKey(path, name, value === undefined ? undefined : typeof value === 'object' ? JSON.stringify(value) : String(value));
  const filled = op.template.replace(/\{([^}]+)\}/g, (_, name: string) => encodePathValue(String(path[name] ?? '')));
  url ??= `http://127.0.0.1:4010${filled}${queryString(query)}`;
  const request: EngineRequest = {
    method: op.method,
    target: filled,
    url,
    query,
    path: path as Record<string, string>,
    headers: headers as Record<string, string | string[] | undefined>,
  };
  if (body !== undefined) request.body = body;
  return { request, store: c.store };
}
