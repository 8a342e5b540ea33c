/**
 * Credential refusals, for every operation of the Purple Dot contract. The operations, their security
 * schemes and where each credential travels are read from the spec, so an operation added there is
 * covered here without a change; only path parameters and bodies need real values from the scenario.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { signShopperToken } from '../../src/client/shopper-token.ts';
import type { StoreData } from '../../src/domain/types.ts';
import { contractOperations, type ContractOperation } from '../support/contract.ts';
import { credentials, useHarness, type Reply } from '../support/simulator.ts';

interface SpecParameter { name: string; in: string; required?: boolean; $ref?: string }
interface SpecMediaType { example?: unknown; examples?: Record<string, { value: unknown }> }
interface SpecOperation {
  operationId: string;
  security?: Record<string, string[]>[];
  parameters?: SpecParameter[];
  requestBody?: { content: Record<string, SpecMediaType> };
}
interface SecurityScheme { type: string; in: 'query' | 'header'; name: string }
interface SpecDocument {
  paths: Record<string, Record<string, SpecOperation>>;
  components: {
    securitySchemes: Record<string, SecurityScheme>;
    parameters: Record<string, SpecParameter>;
    responses: Record<string, { description: string }>;
  };
}

const spec = parse(readFileSync(new URL('../../spec/purple-dot.openapi.yaml', import.meta.url), 'utf8')) as SpecDocument;
const operations = contractOperations.filter((o) => o.spec === 'purple-dot');
const specOf = (op: ContractOperation): SpecOperation => spec.paths[op.template]![op.method.toLowerCase()]!;
const parametersOf = (op: ContractOperation): SpecParameter[] =>
  (specOf(op).parameters ?? []).map((p) => (p.$ref ? spec.components.parameters[p.$ref.split('/').pop()!]! : p));

/** The codes components/responses/Unauthorized documents, e.g. `MISSING_API_KEY`. */
const documentedCodes = [...spec.components.responses.Unauthorized!.description.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!);

/** Which credential each scheme takes and the codes it refuses with (a new scheme must be added here). */
const SCHEME_CREDENTIALS: Record<string, { value: string; missing: string; invalid: string }> = {
  publicApiKey: { value: credentials.public_api_key, missing: 'MISSING_API_KEY', invalid: 'INVALID_API_KEY' },
  accessToken: { value: credentials.private_access_token, missing: 'MISSING_ACCESS_TOKEN', invalid: 'INVALID_ACCESS_TOKEN' },
};

interface Scheme extends SecurityScheme { key: string; value: string; missing: string; invalid: string }

const schemeNamed = (key: string): Scheme => ({ key, ...spec.components.securitySchemes[key]!, ...SCHEME_CREDENTIALS[key]! });
const schemeKeysOf = (op: ContractOperation): string[] => Object.keys(specOf(op).security?.find((r) => Object.keys(r).length > 0) ?? {});
/** An operation whose security lists `{}`: a credential is optional there (the SDK's analytics events). */
const credentialOptional = (op: ContractOperation): boolean => (specOf(op).security ?? []).some((r) => Object.keys(r).length === 0);
/** Refusals of a credential that is absent: an operation taking none answers them for the default store instead. */
const ABSENT = new Set(['no credential at all', "only the other API's credential, sent the other API's way"]);

/** The store credential an operation requires: the public key or the access token. */
function schemeOf(op: ContractOperation): Scheme {
  const keys = schemeKeysOf(op);
  const key = keys.find((k) => k in SCHEME_CREDENTIALS);
  if (!key) throw new Error(`${op.operationId} requires ${keys.join(' + ') || 'no credential'}, none of them a store credential this test knows`);
  return schemeNamed(key);
}

/** The scheme of the other API: its credential is the one most likely to be sent here by mistake. */
const otherScheme = (scheme: Scheme): Scheme => schemeNamed(Object.keys(SCHEME_CREDENTIALS).find((k) => k !== scheme.key)!);

interface Credential { query: Record<string, string>; headers: Record<string, string> }
const place = (scheme: SecurityScheme, value: string): Credential =>
  scheme.in === 'query' ? { query: { [scheme.name]: value }, headers: {} } : { query: {}, headers: { [scheme.name]: value } };
const nothing: Credential = { query: {}, headers: {} };

interface Refusal { name: string; credential: (scheme: Scheme) => Credential; code: (scheme: Scheme) => string }

const REFUSALS: Refusal[] = [
  { name: 'no credential at all', credential: () => nothing, code: (s) => s.missing },
  { name: 'an empty credential', credential: (s) => place(s, ''), code: (s) => s.missing },
  { name: 'a wrong credential', credential: (s) => place(s, `${s.value}-wrong`), code: (s) => s.invalid },
  { name: "the other API's credential in its own credential's place", credential: (s) => place(s, otherScheme(s).value), code: (s) => s.invalid },
  { name: "only the other API's credential, sent the other API's way", credential: (s) => place(otherScheme(s), otherScheme(s).value), code: (s) => s.missing },
];

const qs = (query: Record<string, string | number>): string => {
  const text = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  return text ? `?${text}` : '';
};

function expectUnauthorized(res: Reply, code: string, field: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(401);
  expect(res.body.meta).toEqual({ result: 'error' });
  expect(documentedCodes).toContain(code);
  expect(res.body.error.code).toBe(code);
  expect(res.body.error.message).toEqual(expect.any(String));
  expect(res.body.error.details[0]?.field).toBe(field);
  // HTTP requires the challenge on every 401; it names the credential the request lacked.
  const challenge = res.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(/^(ApiKey|ShopperToken) realm="Purple Dot (Public|Private) API", /);
  if (field === 'api_key' || field === 'X-Purple-Dot-Access-Token') expect(challenge).toContain(`name="${field}"`);
  else expect(challenge).toContain(field);
}

describe('credentials on every operation (ready-to-fulfil scenario)', () => {
  const h = useHarness({ scenario: 'ready-to-fulfil' });
  const data = (): StoreData => h().sim.engine.defaultStore().state.data;
  const nowMs = (): number => h().sim.engine.defaultStore().clock.nowMs();
  const shopperEmail = (): string => data().pre_orders[0]!.email;

  /** Real values for path parameters, by name. */
  const pathValue = (name: string): string => {
    const values: Record<string, () => string> = {
      id: () => data().fulfillment_orders[0]!.id,
      sku: () => encodeURIComponent(data().variants[0]!.sku),
    };
    const value = values[name];
    if (!value) throw new Error(`no real value for path parameter {${name}}`);
    return value();
  };

  /** Real values for required query parameters, by name; the shopper token is signed at request time. */
  const queryValue = (name: string): string => {
    const timestamp = Math.floor(nowMs() / 1000);
    const values: Record<string, () => string> = {
      product_id: () => data().products[0]!.id,
      handle: () => data().products[0]!.handle,
      variant_id: () => data().variants[0]!.id,
      email: () => shopperEmail(),
      timestamp: () => String(timestamp),
      token: () => signShopperToken(shopperEmail(), timestamp, credentials.shared_secret),
    };
    const value = values[name];
    if (!value) throw new Error(`no real value for required query parameter ${name}`);
    return value();
  };

  /** Valid bodies that succeed against the scenario; any other operation sends its spec example. */
  const bodyFor = (op: ContractOperation): unknown => {
    const exportedLine = (foIndex: number) => {
      const lineId = data().fulfillment_orders[foIndex]!.lines[0]!.line_item_id;
      return data().pre_orders.flatMap((o) => o.line_items).find((l) => l.id === lineId)!;
    };
    const bodies: Record<string, () => unknown> = {
      updateInventory: () => ({ sku: data().variants[0]!.sku, available_units: data().inventory.find((i) => i.sku === data().variants[0]!.sku)?.available_units ?? 0 }),
      createFulfillment: () => ({ fulfillment: { fulfillment_order_id: data().fulfillment_orders[0]!.id } }),
      createRefund: () => {
        const line = exportedLine(1);
        return { id: 'auth-test-refund', order: line.external_order_id, line_items: [{ id: line.external_line_item_id, quantity: 1 }] };
      },
    };
    const body = bodies[op.operationId];
    if (body) return body();
    const media = specOf(op).requestBody?.content['application/json'];
    return media?.example ?? Object.values(media?.examples ?? {})[0]?.value;
  };

  const send = (op: ContractOperation, credential: Credential, overrideQuery: Record<string, string | number> = {}): Promise<Reply> => {
    const path = op.template.replace(/\{([^}]+)\}/g, (_, name: string) => pathValue(name));
    const required = Object.fromEntries(parametersOf(op).filter((p) => p.in === 'query' && p.required).map((p) => [p.name, queryValue(p.name)]));
    const query = Object.fromEntries(Object.entries({ ...required, ...credential.query, ...overrideQuery }).filter(([, v]) => v !== undefined));
    const hasBody = specOf(op).requestBody !== undefined;
    return h().request(op.method, `${path}${qs(query)}`, hasBody ? { headers: credential.headers, body: bodyFor(op) } : { headers: credential.headers });
  };

  it('finds the operations and documented 401 codes to check in the spec', () => {
    // The 14 documented operations, P1–P5 and A1–A9, and the SDK's two (observed in the SDK): a spec that lost
    // one would shrink the checks below.
    expect(operations.map((op) => `${op.method} ${op.template}`).sort()).toEqual([
      'GET /admin/api/v1/fulfillment-orders',
      'GET /admin/api/v1/fulfillment-orders/{id}',
      'GET /admin/api/v1/pre-orders',
      'GET /admin/api/v1/pre-orders/count',
      'GET /admin/api/v1/pre-orders/count-units/sku/{sku}',
      'GET /admin/api/v1/waitlists',
      'GET /api/v1/availability',
      'GET /api/v1/integration-settings',
      'GET /api/v1/pre-orders',
      'GET /api/v1/products/preorder-state',
      'GET /api/v1/variants/preorder-state',
      'GET /api/v1/waitlists',
      'POST /admin/api/v1/fulfillment',
      'POST /admin/api/v1/inventory',
      'POST /admin/api/v1/refund',
      'POST /api/v1/track',
    ]);
    for (const scheme of Object.values(SCHEME_CREDENTIALS)) expect(documentedCodes).toEqual(expect.arrayContaining([scheme.missing, scheme.invalid]));
  });

  describe.each(operations.map((op) => [`${op.method} ${op.template}`, op] as const))('%s', (_, op) => {
    const success = Number(op.statuses.find((s) => s.startsWith('2')));

    const refusals = credentialOptional(op) ? REFUSALS.filter((r) => !ABSENT.has(r.name)) : REFUSALS;
    it.each(refusals.map((r) => [r.name, r] as const))('refuses %s with 401 naming the credential', async (_name, refusal) => {
      const scheme = schemeOf(op);
      expectUnauthorized(await send(op, refusal.credential(scheme)), refusal.code(scheme), scheme.name);
    });

    if (credentialOptional(op)) it(`accepts the request with no credential at all for the default store (${success})`, async () => {
      const res = await send(op, nothing);
      expect(res.status, JSON.stringify(res.body)).toBe(success);
    });

    it(`accepts the same request with the right credential (${success})`, async () => {
      const scheme = schemeOf(op);
      const res = await send(op, place(scheme, scheme.value));
      expect(res.status, JSON.stringify(res.body)).toBe(success);
    });

    // Only operations that change state can show that a refusal changed nothing.
    if (specOf(op).requestBody !== undefined) it('changes nothing when it refuses a wrong credential', async () => {
      const before = await h().control('GET', '/__sim/snapshot');
      const scheme = schemeOf(op);
      expectUnauthorized(await send(op, place(scheme, `${scheme.value}-wrong`)), scheme.invalid, scheme.name);
      const after = await h().control('GET', '/__sim/snapshot');
      expect(after.body).toEqual(before.body);
    });
  });
});

describe('the shopper credential of GET /api/v1/pre-orders', () => {
  const h = useHarness({ scenario: 'on-preorder' });
  const data = (): StoreData => h().sim.engine.defaultStore().state.data;
  const nowSeconds = (): number => h().sim.engine.defaultStore().clock.nowMs() / 1000;
  const secret: string = credentials.shared_secret;
  const email = (): string => data().pre_orders[0]!.email;
  const otherEmail = (): string => data().pre_orders.find((o) => o.email !== email())!.email;

  const shopperOp = operations.find((op) => schemeKeysOf(op).includes('shopperToken'));
  /** Where the spec says each part of the shopper credential travels: `email`, `timestamp`, `token`. */
  const field = (key: 'shopperEmail' | 'shopperTimestamp' | 'shopperToken'): string => spec.components.securitySchemes[key]!.name;
  const list = (query: Record<string, string | number | undefined>): Promise<Reply> => {
    const defined = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) as Record<string, string | number>;
    return h().publicGet(shopperOp!.template, defined);
  };
  const signed = (at: number, address = email(), key = secret) => ({ email: address, timestamp: at, token: signShopperToken(address, at, key) });

  it('is required by GET /api/v1/pre-orders alone, as the public key plus email, timestamp and token', () => {
    expect(operations.filter((op) => schemeKeysOf(op).includes('shopperToken')).map((op) => `${op.method} ${op.template}`)).toEqual(['GET /api/v1/pre-orders']);
    expect(schemeKeysOf(shopperOp!).sort()).toEqual(['publicApiKey', 'shopperEmail', 'shopperTimestamp', 'shopperToken']);
    expect(['shopperEmail', 'shopperTimestamp', 'shopperToken'].map((k) => field(k as 'shopperEmail'))).toEqual(['email', 'timestamp', 'token']);
  });

  it("accepts a token signed at the simulator's current second and shows that shopper's pre-orders", async () => {
    const res = await list(signed(Math.floor(nowSeconds())));
    expect(res.status).toBe(200);
    const own = data().pre_orders.filter((o) => o.email === email()).map((o) => o.id);
    expect(res.body.data.orders.map((o: { id: string }) => o.id)).toEqual(own);
  });

  it('accepts a token whose timestamp is 10 s before the simulator clock', async () => {
    const res = await list(signed(Math.ceil(nowSeconds()) - 10));
    expect(res.status).toBe(200);
  });

  it('accepts a token whose timestamp is 10 s after the simulator clock', async () => {
    const res = await list(signed(Math.floor(nowSeconds()) + 10));
    expect(res.status).toBe(200);
  });

  it('refuses an expired token, 11 s older than the simulator clock, naming timestamp', async () => {
    expectUnauthorized(await list(signed(Math.floor(nowSeconds()) - 11)), 'EXPIRED_SHOPPER_TOKEN', field('shopperTimestamp'));
  });

  it('refuses a token dated 11 s ahead of the simulator clock, naming timestamp', async () => {
    expectUnauthorized(await list(signed(Math.ceil(nowSeconds()) + 11)), 'EXPIRED_SHOPPER_TOKEN', field('shopperTimestamp'));
  });

  it('refuses a token that was valid once the simulator clock has moved 11 s past it', async () => {
    const credential = signed(Math.floor(nowSeconds()));
    expect((await list(credential)).status).toBe(200);
    expect((await h().control('POST', '/__sim/clock/advance', { seconds: 11 })).status).toBe(200);
    expectUnauthorized(await list(credential), 'EXPIRED_SHOPPER_TOKEN', field('shopperTimestamp'));
  });

  it('refuses a token forged with the wrong shared secret, naming token', async () => {
    expectUnauthorized(await list(signed(Math.floor(nowSeconds()), email(), `${secret}-forged`)), 'INVALID_SHOPPER_TOKEN', field('shopperToken'));
  });

  it("refuses another shopper's valid token presented with this shopper's email, naming token", async () => {
    const at = Math.floor(nowSeconds());
    expectUnauthorized(await list({ ...signed(at, otherEmail()), email: email() }), 'INVALID_SHOPPER_TOKEN', field('shopperToken'));
  });

  it('refuses a token signed for a different timestamp than the one sent, naming token', async () => {
    const at = Math.floor(nowSeconds());
    expectUnauthorized(await list({ ...signed(at - 1), timestamp: at }), 'INVALID_SHOPPER_TOKEN', field('shopperToken'));
  });

  it('refuses a malformed (upper-case hex) token as a credential, 401 naming token', async () => {
    const credential = signed(Math.floor(nowSeconds()));
    expectUnauthorized(await list({ ...credential, token: credential.token.toUpperCase() }), 'INVALID_SHOPPER_TOKEN', field('shopperToken'));
  });

  it('refuses a timestamp that is not epoch seconds as a credential, 401 naming timestamp', async () => {
    expectUnauthorized(await list({ ...signed(Math.floor(nowSeconds())), timestamp: 'now' }), 'INVALID_SHOPPER_TOKEN', field('shopperTimestamp'));
  });

  it.each((['shopperEmail', 'shopperTimestamp', 'shopperToken'] as const).map((k) => [spec.components.securitySchemes[k]!.name] as const))(
    'refuses a shopper credential without %s, naming it',
    async (missing) => {
      expectUnauthorized(await list({ ...signed(Math.floor(nowSeconds())), [missing]: undefined }), 'MISSING_SHOPPER_TOKEN', missing);
    },
  );

  it('refuses a shopper credential with an empty email, naming email', async () => {
    expectUnauthorized(await list({ ...signed(Math.floor(nowSeconds())), email: '' }), 'MISSING_SHOPPER_TOKEN', field('shopperEmail'));
  });
});
