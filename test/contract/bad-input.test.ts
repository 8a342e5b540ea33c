/**
 * Bad input never gets a 5xx: each malformed request is refused with a declared 4xx in the error envelope,
 * and the envelope names the field at fault. Refused requests that would have changed state change nothing.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { signShopperToken } from '../../src/client/shopper-token.ts';
import { answerTransportErrors } from '../../src/http/transport-errors.ts';
import type { LineItem, StoreData } from '../../src/domain/types.ts';
import { credentials, privateHeaders, useHarness, type Reply } from '../support/simulator.ts';

interface SchemaObject { $ref?: string; required?: string[] }
interface SpecDocument {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: SchemaObject }> } }>>;
  components: { schemas: Record<string, SchemaObject> };
}
const spec = parse(readFileSync(new URL('../../spec/purple-dot.openapi.yaml', import.meta.url), 'utf8')) as SpecDocument;

/** The required top-level fields of a POST operation's JSON body, as the spec declares them. */
function requiredBodyFields(path: string): string[] {
  const schema = spec.paths[path]!.post!.requestBody!.content['application/json']!.schema;
  const resolved = schema.$ref ? spec.components.schemas[schema.$ref.split('/').pop()!]! : schema;
  return resolved.required ?? [];
}

/** A UUID no scenario hands out: its version nibble is 0, the simulator's IDs are version 4. */
const UNKNOWN_UUID = '00000000-0000-0000-0000-000000000000';

const INVENTORY = '/admin/api/v1/inventory';
const FULFILLMENT = '/admin/api/v1/fulfillment';
const REFUND = '/admin/api/v1/refund';
const POSTS = [INVENTORY, FULFILLMENT, REFUND] as const;

type Query = Record<string, string | number>;
const qs = (query: Query): string => {
  const text = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  return text ? `?${text}` : '';
};

/** Status, the error envelope, and that the details name every one of `fields`. */
function expectRefused(res: Reply, status: number, fields: string | string[], code?: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({
    meta: { result: 'error' },
    error: { code: expect.stringMatching(/^[A-Z][A-Z0-9_]*$/), message: expect.any(String), details: expect.any(Array) },
  });
  for (const detail of res.body.error.details) expect(detail).toEqual({ field: expect.any(String), problem: expect.any(String) });
  const named = res.body.error.details.map((d: { field: string }) => d.field);
  for (const field of [fields].flat()) expect(named, `details name ${named.join(', ')}`).toContain(field);
  if (code) expect(res.body.error.code).toBe(code);
}

describe('bad input (ready-to-fulfil scenario)', () => {
  const h = useHarness({ scenario: 'ready-to-fulfil' });
  const data = (): StoreData => h().sim.engine.defaultStore().state.data;
  const lineById = (id: string): LineItem => data().pre_orders.flatMap((o) => o.line_items).find((l) => l.id === id)!;
  const shopper = (): { api_key: string; email: string; timestamp: number; token: string } => {
    const email = data().pre_orders[0]!.email;
    const timestamp = Math.floor(h().sim.engine.defaultStore().clock.nowMs() / 1000);
    return { api_key: credentials.public_api_key, email, timestamp, token: signShopperToken(email, timestamp, credentials.shared_secret) };
  };
  const unfulfilled = () => data().fulfillment_orders.find((fo) => fo.status === 'UNFULFILLED' && fo.lines.every((l) => l.fulfilled_quantity === 0))!;
  /** An exported line with units left to refund, and the platform ids /refund takes. */
  const refundable = () => {
    const line = data().pre_orders.flatMap((o) => o.line_items).find((l) => l.status === 'exported' && l.refunded_quantity < l.quantity)!;
    return { line, order: line.external_order_id!, external: line.external_line_item_id! };
  };

  type Access = 'public' | 'shopper' | 'private';
  const get = (access: Access, path: string, query: Query = {}): Promise<Reply> => {
    if (access === 'private') return h().request('GET', `${path}${qs(query)}`, { headers: privateHeaders });
    const auth = access === 'shopper' ? shopper() : { api_key: credentials.public_api_key };
    return h().request('GET', `${path}${qs({ ...auth, ...query })}`);
  };
  const post = (path: string, body: unknown): Promise<Reply> => h().privatePost(path, body);
  const postRaw = (path: string, raw: string | undefined, contentType?: string): Promise<Reply> =>
    h().request('POST', path, { raw, headers: contentType ? { ...privateHeaders, 'content-type': contentType } : { ...privateHeaders } });

  describe('missing required query parameters', () => {
    it.each([
      ['/api/v1/availability', 'product_id'],
      ['/api/v1/products/preorder-state', 'handle'],
      ['/api/v1/variants/preorder-state', 'variant_id'],
    ])('GET %s without %s is refused with 400 naming it', async (path, field) => {
      expectRefused(await get('public', path), 400, field);
    });

    it.each([
      ['/api/v1/availability', 'product_id'],
      ['/api/v1/products/preorder-state', 'handle'],
      ['/api/v1/variants/preorder-state', 'variant_id'],
    ])('GET %s with an empty %s is refused with 400 naming it', async (path, field) => {
      expectRefused(await get('public', path, { [field]: '' }), 400, field);
    });

    it('refuses an empty country, naming country', async () => {
      expectRefused(await get('public', '/api/v1/products/preorder-state', { handle: data().products[0]!.handle, country: '' }), 400, 'country');
    });

    it.each(['GB', 'gb', 'GBR'])('accepts and ignores the country %s, whose format is undocumented', async (country) => {
      const query = { handle: data().products[0]!.handle };
      const withCountry = await get('public', '/api/v1/products/preorder-state', { ...query, country });
      expect(withCountry.status).toBe(200);
      expect(withCountry.body).toEqual((await get('public', '/api/v1/products/preorder-state', query)).body);
    });
  });

  describe('page sizes', () => {
    // Documented maximums: 100 for a shopper's pre-orders and private waitlists, 200 for private pre-orders, 250 for fulfillment orders.
    const LISTS: [string, Access, number][] = [
      ['/api/v1/pre-orders', 'shopper', 100],
      ['/admin/api/v1/waitlists', 'private', 100],
      ['/admin/api/v1/pre-orders', 'private', 200],
      ['/admin/api/v1/fulfillment-orders', 'private', 250],
    ];
    const BAD = (max: number): [string, string][] => [
      ['abc', 'a word'], ['0', 'zero'], ['-1', 'a negative number'], ['1.5', 'a fraction'], [String(max + 1), `one above the maximum of ${max}`],
    ];

    it.each(LISTS.flatMap(([path, access, max]) => BAD(max).map(([limit, what]) => [path, what, access, limit] as const)))(
      'GET %s refuses limit as %s with 400 naming limit',
      async (path, _what, access, limit) => {
        expectRefused(await get(access, path, { limit }), 400, 'limit', 'INVALID_REQUEST');
      },
    );

    it.each(LISTS)('GET %s accepts limit at its documented maximum', async (path, access, max) => {
      const res = await get(access, path, { limit: max });
      expect(res.status).toBe(200);
    });
  });

  describe('malformed date-times', () => {
    it.each([
      ['/admin/api/v1/pre-orders', 'created_at_min', 'yesterday'],
      ['/admin/api/v1/pre-orders', 'updated_at_min', '2026-01-15'],
      ['/admin/api/v1/pre-orders', 'updated_at_max', '2026-13-45T00:00:00Z'],
      ['/admin/api/v1/pre-orders/count', 'created_at_min', '15/01/2026'],
      ['/admin/api/v1/pre-orders/count', 'updated_at_max', 'soon'],
      ['/admin/api/v1/waitlists', 'created_at_min', '2026-01-15 09:00'],
      ['/admin/api/v1/waitlists', 'updated_at_min', '1768467600'],
      ['/admin/api/v1/fulfillment-orders', 'created_at_min', 'T09:00:00Z'],
    ])('GET %s refuses %s=%s with 400 naming it', async (path, field, value) => {
      expectRefused(await get('private', path, { [field]: value }), 400, field);
    });

    it('refuses a unit count at_time that is not a date-time, naming at_time', async () => {
      const sku = encodeURIComponent(data().variants[0]!.sku);
      expectRefused(await get('private', `/admin/api/v1/pre-orders/count-units/sku/${sku}`, { at_time: 'now' }), 400, 'at_time');
    });
  });

  describe('line-state filters', () => {
    it.each([
      ['/admin/api/v1/pre-orders', 'all_line_items', 'open'],
      ['/admin/api/v1/pre-orders', 'all_line_items', 'Cancelled'],
      ['/admin/api/v1/pre-orders', 'all_line_items', 'cancelled,'],
      ['/admin/api/v1/pre-orders', 'some_line_item', 'shipped'],
      ['/admin/api/v1/pre-orders/count', 'all_line_items', 'exported;cancelled'],
      ['/admin/api/v1/pre-orders/count', 'some_line_item', ''],
    ])('GET %s refuses %s=%j with 400 naming it', async (path, field, value) => {
      expectRefused(await get('private', path, { [field]: value }), 400, field);
    });

    it.each(['/admin/api/v1/pre-orders', '/admin/api/v1/pre-orders/count'])(
      'GET %s refuses all_line_items together with some_line_item, naming both',
      async (path) => {
        expectRefused(await get('private', path, { all_line_items: 'exported', some_line_item: 'cancelled' }), 400, ['all_line_items', 'some_line_item']);
      },
    );
  });

  describe('cursors', () => {
    /** Ids that exist in the store but not in the list asked for, and one that exists nowhere. */
    const foreignCursors = (): [string, Access, string, string][] => {
      const otherShoppersOrder = data().pre_orders.find((o) => o.email !== data().pre_orders[0]!.email)!.id;
      return [
        ['/api/v1/pre-orders', 'shopper', "another shopper's pre-order id", otherShoppersOrder],
        ['/admin/api/v1/waitlists', 'private', 'a pre-order id', data().pre_orders[0]!.id],
        ['/admin/api/v1/pre-orders', 'private', 'a fulfillment order id', data().fulfillment_orders[0]!.id],
        ['/admin/api/v1/fulfillment-orders', 'private', 'a waitlist id', data().waitlists[0]!.id],
      ];
    };

    it('refuses, on every paginated list, a starting_after that is an id of something else, naming starting_after', async () => {
      for (const [path, access, what, cursor] of foreignCursors()) {
        const res = await get(access, path, { starting_after: cursor });
        expect(res.status, `${path} with ${what}`).toBe(400);
        expectRefused(res, 400, 'starting_after', 'INVALID_CURSOR');
      }
    });

    it.each([
      ['/api/v1/pre-orders', 'shopper'],
      ['/admin/api/v1/waitlists', 'private'],
      ['/admin/api/v1/pre-orders', 'private'],
      ['/admin/api/v1/fulfillment-orders', 'private'],
    ] as const)('GET %s refuses a starting_after no list has ever issued, naming starting_after', async (path, access) => {
      expectRefused(await get(access, path, { starting_after: UNKNOWN_UUID }), 400, 'starting_after', 'INVALID_CURSOR');
    });

    it.each([
      ['/api/v1/pre-orders', 'shopper'],
      ['/admin/api/v1/waitlists', 'private'],
      ['/admin/api/v1/pre-orders', 'private'],
      ['/admin/api/v1/fulfillment-orders', 'private'],
    ] as const)('GET %s refuses a starting_after that is not a UUID, naming starting_after', async (path, access) => {
      expectRefused(await get(access, path, { starting_after: 'page-2' }), 400, 'starting_after');
    });
  });

  describe('request bodies', () => {
    it.each(POSTS)('POST %s refuses malformed JSON with 400 MALFORMED_JSON naming body', async (path) => {
      expectRefused(await postRaw(path, '{"sku": "A", ', 'application/json'), 400, 'body', 'MALFORMED_JSON');
    });

    it.each(POSTS.flatMap((path) => ['text/plain', 'application/x-www-form-urlencoded', 'application/xml'].map((type) => [path, type] as const)))(
      'POST %s refuses a %s body with 415 naming Content-Type',
      async (path, type) => {
        expectRefused(await postRaw(path, JSON.stringify({ sku: 'A', available_units: 1 }), type), 415, 'Content-Type', 'UNSUPPORTED_MEDIA_TYPE');
      },
    );

    it.each(POSTS)('POST %s refuses a JSON request with no body, naming every required field', async (path) => {
      expectRefused(await postRaw(path, undefined, 'application/json'), 400, requiredBodyFields(path));
    });

    it.each(POSTS)('POST %s refuses a JSON array instead of an object, naming body', async (path) => {
      expectRefused(await postRaw(path, '[]', 'application/json'), 400, 'body');
    });

    const WRONG_TYPES: [string, string, Record<string, unknown>, string, string?][] = [
      [INVENTORY, 'a numeric sku', { sku: 5, available_units: 1 }, 'sku'],
      [INVENTORY, 'an empty sku', { sku: '', available_units: 1 }, 'sku'],
      [INVENTORY, 'available_units as a string', { sku: 'A', available_units: '5' }, 'available_units'],
      [INVENTORY, 'fractional available_units', { sku: 'A', available_units: 1.5 }, 'available_units'],
      [INVENTORY, 'null available_units', { sku: 'A', available_units: null }, 'available_units'],
      [INVENTORY, 'negative available_units', { sku: 'A', available_units: -1 }, 'available_units'],
      [FULFILLMENT, 'fulfillment as a string', { fulfillment: 'all of it' }, 'fulfillment'],
      [FULFILLMENT, 'a numeric fulfillment_order_id', { fulfillment: { fulfillment_order_id: 5 } }, 'fulfillment.fulfillment_order_id'],
      [FULFILLMENT, 'an empty fulfillment_order_id', { fulfillment: { fulfillment_order_id: '' } }, 'fulfillment.fulfillment_order_id'],
      [FULFILLMENT, 'line_items as an object', { fulfillment: { fulfillment_order_id: UNKNOWN_UUID, line_items: {} } }, 'fulfillment.line_items'],
      [FULFILLMENT, 'a null line item', { fulfillment: { fulfillment_order_id: UNKNOWN_UUID, line_items: [null] } }, 'fulfillment.line_items[0]'],
      [FULFILLMENT, 'a line quantity as a string', { fulfillment: { fulfillment_order_id: UNKNOWN_UUID, line_items: [{ id: UNKNOWN_UUID, quantity: '1' }] } }, 'fulfillment.line_items[0].quantity'],
      [FULFILLMENT, 'a line without quantity', { fulfillment: { fulfillment_order_id: UNKNOWN_UUID, line_items: [{ id: UNKNOWN_UUID }] } }, 'fulfillment.line_items[0].quantity'],
      [FULFILLMENT, 'notify_customer as a string', { fulfillment: { fulfillment_order_id: UNKNOWN_UUID, notify_customer: 'yes' } }, 'fulfillment.notify_customer'],
      [FULFILLMENT, 'tracking_info as a string', { fulfillment: { fulfillment_order_id: UNKNOWN_UUID, tracking_info: 'UPS 123' } }, 'fulfillment.tracking_info'],
      [REFUND, 'a numeric id', { id: 5, order: '5000000001', shipping: true }, 'id', 'INVALID_REFUND_REQUEST'],
      [REFUND, 'an empty id', { id: '', order: '5000000001', shipping: true }, 'id', 'INVALID_REFUND_REQUEST'],
      [REFUND, 'a numeric order', { id: 'r-1', order: 5000000001, shipping: true }, 'order', 'INVALID_REFUND_REQUEST'],
      [REFUND, 'shipping as a string', { id: 'r-1', order: '5000000001', shipping: 'yes' }, 'shipping', 'INVALID_REFUND_REQUEST'],
      [REFUND, 'a numeric amount', { id: 'r-1', order: '5000000001', amount: 5, currency: 'USD' }, 'amount', 'INVALID_REFUND_REQUEST'],
      [REFUND, 'a negative amount', { id: 'r-1', order: '5000000001', amount: '-5.00', currency: 'USD' }, 'amount', 'INVALID_REFUND_REQUEST'],
      [REFUND, 'a lower-case currency', { id: 'r-1', order: '5000000001', amount: '5.00', currency: 'usd' }, 'currency', 'INVALID_REFUND_REQUEST'],
      [REFUND, 'line_items as a string', { id: 'r-1', order: '5000000001', line_items: 'all' }, 'line_items', 'INVALID_LINE_ITEMS'],
      [REFUND, 'a line without id', { id: 'r-1', order: '5000000001', line_items: [{ quantity: 1 }] }, 'line_items[0].id', 'INVALID_LINE_ITEMS'],
    ];

    it.each(WRONG_TYPES)('POST %s refuses %s with 400 naming the field', async (path, _what, body, field, code) => {
      expectRefused(await post(path, body), 400, field, code);
    });

    it('refuses to fulfil 0 units of a real line, naming its quantity', async () => {
      const fo = unfulfilled();
      const body = { fulfillment: { fulfillment_order_id: fo.id, line_items: [{ id: fo.lines[0]!.line_item_id, quantity: 0 }] } };
      expectRefused(await post(FULFILLMENT, body), 400, 'fulfillment.line_items[0].quantity');
    });

    it('refuses a refund line with quantity 2 as INVALID_LINE_ITEMS, naming its quantity', async () => {
      const { order, external } = refundable();
      expectRefused(await post(REFUND, { id: 'bad-input-qty-2', order, line_items: [{ id: external, quantity: 2 }] }), 400, 'line_items[0].quantity', 'INVALID_LINE_ITEMS');
    });

    it('refuses a refund that names neither line items, shipping nor an amount, naming line_items', async () => {
      const { order } = refundable();
      expectRefused(await post(REFUND, { id: 'bad-input-empty', order }), 400, 'line_items', 'INVALID_REFUND_REQUEST');
    });
  });

  describe('unknown routes and ids', () => {
    it.each([
      ['GET', '/api/v1/nope'],
      ['GET', '/api/v2/waitlists'],
      ['GET', '/admin/api/v1/nope'],
      ['GET', '/admin/api/v1/pre-orders/count-units/sku/'],
      ['GET', '/api/v1/waitlists/'],
      ['DELETE', '/__sim/faults/'],
    ])('%s %s answers 404 NOT_FOUND naming the path', async (method, path) => {
      const res = await h().request(method, path.startsWith('/api') ? `${path}?api_key=${credentials.public_api_key}` : path, { headers: privateHeaders });
      expectRefused(res, 404, 'path', 'NOT_FOUND');
    });

    it.each([
      ['GET', '/admin/api/v1/inventory', 'POST'],
      ['POST', '/api/v1/waitlists', 'GET, HEAD'],
      ['DELETE', '/admin/api/v1/refund', 'POST'],
      ['PUT', `/admin/api/v1/fulfillment-orders/${UNKNOWN_UUID}`, 'GET, HEAD'],
    ])('%s %s answers 405 METHOD_NOT_ALLOWED naming the method, with Allow: %s', async (method, path, allow) => {
      const res = await h().request(method, path.startsWith('/admin') ? path : `${path}?api_key=${credentials.public_api_key}`, { headers: privateHeaders });
      expectRefused(res, 405, 'method', 'METHOD_NOT_ALLOWED');
      expect(res.headers.get('allow')).toBe(allow);
    });

    it('answers OPTIONS on a path of the API with 204 and the methods it takes', async () => {
      const res = await fetch(`${h().url}/admin/api/v1/inventory`, { method: 'OPTIONS' });
      expect(res.status).toBe(204);
      expect(res.headers.get('allow')).toBe('OPTIONS, POST');
    });

    it('keeps a fault rule when asked to delete the empty fault ID, instead of clearing every rule', async () => {
      expect((await h().control('POST', '/__sim/faults', { operationId: 'listWaitlists', status: 503 })).status).toBe(201);
      expect((await h().control('DELETE', '/__sim/faults/')).status).toBe(404);
      expect((await h().control('GET', '/__sim/faults')).body.data).toHaveLength(1);
      expect((await h().control('DELETE', '/__sim/faults')).status).toBe(200);
    });

    it('reads a query parameter past the 1,000th, instead of dropping it', async () => {
      const padding = Array.from({ length: 1_000 }, (_, i) => `pad${i}=1`).join('&');
      const res = await h().request('GET', `/admin/api/v1/pre-orders?${padding}&limit=1000`, { headers: privateHeaders });
      expectRefused(res, 400, 'limit', 'INVALID_REQUEST');
    });

    it.each(['FO-1', '12345', UNKNOWN_UUID.replace(/-/g, ''), `${UNKNOWN_UUID}x`, `{${UNKNOWN_UUID}}`])(
      'GET a fulfillment order by the non-UUID id %s answers 404 NOT_FOUND naming id',
      async (id) => {
        expectRefused(await get('private', `/admin/api/v1/fulfillment-orders/${encodeURIComponent(id)}`), 404, 'id', 'NOT_FOUND');
      },
    );

    it('GET a fulfillment order by an id with broken percent-encoding answers 404 NOT_FOUND naming id', async () => {
      expectRefused(await get('private', '/admin/api/v1/fulfillment-orders/%E0%A4%A'), 404, 'id', 'NOT_FOUND');
    });

    it('refuses unit counts for a SKU with broken percent-encoding with 400 naming sku', async () => {
      expectRefused(await get('private', '/admin/api/v1/pre-orders/count-units/sku/%E0%A4%A'), 400, 'sku');
    });
  });

  describe('never a 5xx', () => {
    const deep = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
    const CASES: [string, string, string, { raw?: string; headers?: Record<string, string> }][] = [
      ['a repeated limit', 'GET', '/admin/api/v1/pre-orders?limit=1&limit=2', {}],
      ['a repeated cursor', 'GET', '/admin/api/v1/fulfillment-orders?starting_after=a&starting_after=b', {}],
      ['a limit with a broken escape', 'GET', '/admin/api/v1/waitlists?limit=%ZZ', {}],
      ['a limit of twenty digits', 'GET', '/admin/api/v1/pre-orders?limit=99999999999999999999', {}],
      ['a SKU of 5,000 characters', 'GET', `/admin/api/v1/pre-orders/count-units/sku/${'A'.repeat(5000)}`, {}],
      ['a SKU of emoji', 'GET', `/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent('👟🔥')}`, {}],
      ['a JSON null body', 'POST', INVENTORY, { raw: 'null', headers: { 'content-type': 'application/json' } }],
      ['a JSON number body', 'POST', REFUND, { raw: '123', headers: { 'content-type': 'application/json' } }],
      ['a JSON string body', 'POST', FULFILLMENT, { raw: '"fulfil"', headers: { 'content-type': 'application/json' } }],
      ['a sku nested 5,000 arrays deep', 'POST', INVENTORY, { raw: `{"sku":${deep(5000)},"available_units":1}`, headers: { 'content-type': 'application/json' } }],
      ['a __proto__ key in the body', 'POST', REFUND, { raw: '{"id":"p","order":"1","__proto__":{"shipping":true}}', headers: { 'content-type': 'application/json' } }],
      ['a gzip content-encoding that is not gzip', 'POST', INVENTORY, { raw: '{"sku":"A","available_units":1}', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }],
    ];

    it.each(CASES)('answers %s with a declared status below 500, refusals in the error envelope', async (_what, method, path, init) => {
      const res = await h().request(method, path, { raw: init.raw, headers: { ...privateHeaders, ...init.headers } });
      expect(res.status).toBeLessThan(500);
      if (res.status >= 400) expect(res.body).toMatchObject({ meta: { result: 'error' }, error: { code: expect.any(String), details: expect.any(Array) } });
    });

    it('answers a shopper timestamp of twenty digits with 401 naming timestamp', async () => {
      const { api_key, email, token } = shopper();
      expectRefused(await get('public', '/api/v1/pre-orders', { api_key, email, token, timestamp: '99999999999999999999' }), 401, 'timestamp', 'INVALID_SHOPPER_TOKEN');
    });
  });

  describe('messages that tell a newcomer what to send instead', () => {
    const problem = (res: Reply, field: string): string => res.body.error.details.find((d: { field: string }) => d.field === field)?.problem;

    it('lists the allowed waitlist states when given the public state OPEN', async () => {
      const res = await h().control('PATCH', `/__sim/waitlists/${data().waitlists[0]!.id}`, { state: 'OPEN' });
      expectRefused(res, 400, 'state');
      expect(problem(res, 'state')).toBe('must be one of "DRAFT", "SCHEDULED", "LIVE", "PAUSED", "CLOSED"');
    });

    it('says a refund entry must be quantity 1 when given 2', async () => {
      const { order, external } = refundable();
      const res = await post(REFUND, { id: 'message-quantity', order, line_items: [{ id: external, quantity: 2 }] });
      expectRefused(res, 400, 'line_items[0].quantity', 'INVALID_LINE_ITEMS');
      expect(problem(res, 'line_items[0].quantity')).toBe('must be 1');
    });

    it('says an empty references filter is empty (what curl sends for an unencoded #)', async () => {
      const res = await get('private', '/admin/api/v1/fulfillment-orders', { references: '' });
      expectRefused(res, 400, 'references');
      expect(problem(res, 'references')).toBe('must not be empty');
    });

    it('shows the string a shopper token was checked against, so a + sent unencoded shows as a space', async () => {
      const { api_key, timestamp } = shopper();
      const token = signShopperToken('ada+pd@example.com', timestamp, credentials.shared_secret);
      const res = await h().request('GET', `/api/v1/pre-orders?api_key=${api_key}&email=ada+pd@example.com&timestamp=${timestamp}&token=${token}`);
      expectRefused(res, 401, 'token', 'INVALID_SHOPPER_TOKEN');
      expect(problem(res, 'token')).toContain(JSON.stringify(`ada pd@example.com:${timestamp}`));
    });

    it('says which credential was sent when the public key and the access token are swapped', async () => {
      const asToken = await h().request('GET', '/admin/api/v1/waitlists', { headers: { 'X-Purple-Dot-Access-Token': credentials.public_api_key } });
      expectRefused(asToken, 401, 'X-Purple-Dot-Access-Token', 'INVALID_ACCESS_TOKEN');
      expect(problem(asToken, 'X-Purple-Dot-Access-Token')).toBe('is a public API key, not a private access token');
      const asKey = await h().request('GET', `/api/v1/waitlists?api_key=${credentials.private_access_token}`);
      expectRefused(asKey, 401, 'api_key', 'INVALID_API_KEY');
      expect(problem(asKey, 'api_key')).toBe('is a private access token, not a public API key');
    });

    it('names only what is wrong inside a nullable object, not that it should have been null', async () => {
      const res = await post(FULFILLMENT, { fulfillment: { fulfillment_order_id: UNKNOWN_UUID, tracking_info: { number: 5 } } });
      expectRefused(res, 400, 'fulfillment.tracking_info.number');
      expect(res.body.error.details).toEqual([{ field: 'fulfillment.tracking_info.number', problem: 'must be string' }]);
    });

    it('names the known scenarios when asked for one that does not exist', async () => {
      const res = await h().control('POST', '/__sim/scenario', { name: 'soldout' });
      expectRefused(res, 404, 'name', 'UNKNOWN_SCENARIO');
      expect(res.body.error.message).toContain('sold-out');
    });
  });

  describe('refused before routing', () => {
    /** Writes raw bytes to the simulator's socket and reads until the server closes it. */
    const rawExchange = (bytes: string): Promise<string> => new Promise((resolve, reject) => {
      const { hostname, port } = new URL(h().url);
      const socket = connect(Number(port), hostname, () => socket.end(bytes));
      let reply = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => { reply += chunk; });
      socket.on('end', () => resolve(reply));
      socket.on('error', reject);
    });
    const envelopeOf = (reply: string): any => JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));

    it('answers a references filter longer than 16 KiB with 431 in the error envelope naming headers, and keeps serving', async () => {
      const references = Array.from({ length: 2_000 }, (_, i) => `#PD${String(i).padStart(7, '0')}`).join(',');
      const res = await fetch(`${h().url}/admin/api/v1/pre-orders?references=${encodeURIComponent(references)}`, { headers: privateHeaders });
      expect(res.status).toBe(431);
      expect(await res.json()).toMatchObject({ meta: { result: 'error' }, error: { code: 'REQUEST_TOO_LARGE', details: [{ field: 'headers' }] } });
      expect((await get('private', '/admin/api/v1/pre-orders', { limit: 1 })).status).toBe(200);
    });

    it('answers a request too slow to arrive with 408 in the error envelope, on a server of your own that mounts the app', async () => {
      const server = createServer({ headersTimeout: 200, requestTimeout: 300, connectionsCheckingInterval: 50 }, h().sim.app);
      answerTransportErrors(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const reply = await new Promise<string>((resolve, reject) => {
          const socket = connect((server.address() as AddressInfo).port, '127.0.0.1', () => socket.write('GET /api/v1/waitlists HTTP/1.1\r\nHost: x\r\n'));
          let text = '';
          socket.setEncoding('utf8');
          socket.on('data', (chunk: string) => { text += chunk; });
          socket.on('close', () => resolve(text));
          socket.on('error', reject);
        });
        expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
        expect(envelopeOf(reply)).toMatchObject({ meta: { result: 'error' }, error: { code: 'REQUEST_TIMEOUT', details: [{ field: 'request' }] } });
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('answers bytes that are not HTTP with 400 in the error envelope naming the request', async () => {
      const reply = await rawExchange('NOT HTTP AT ALL\r\n\r\n');
      expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      expect(envelopeOf(reply)).toMatchObject({ meta: { result: 'error' }, error: { code: 'MALFORMED_REQUEST', details: [{ field: 'request' }] } });
    });
  });

  describe('a refused request changes nothing', () => {
    const snapshot = async (): Promise<unknown> => {
      const res = await h().control('GET', '/__sim/snapshot');
      expect(res.status).toBe(200);
      return res.body.data;
    };

    it('leaves the fulfillment order and the whole state as they were when a fulfilment asks for more units than are left', async () => {
      const fo = unfulfilled();
      const line = fo.lines[0]!;
      const path = `/admin/api/v1/fulfillment-orders/${fo.id}`;
      const readBefore = await get('private', path);
      const before = await snapshot();
      const left = lineById(line.line_item_id).quantity - line.fulfilled_quantity;
      const res = await post(FULFILLMENT, { fulfillment: { fulfillment_order_id: fo.id, line_items: [{ id: line.line_item_id, quantity: 1 }, { id: line.line_item_id, quantity: left }] } });
      expectRefused(res, 400, 'fulfillment.line_items[1].quantity', 'QUANTITY_EXCEEDS_UNFULFILLED');
      expect((await get('private', path)).body).toEqual(readBefore.body);
      expect(await snapshot()).toEqual(before);
    });

    it('leaves the state as it was when a fulfilment names a line that is not on the order after a valid one', async () => {
      const fo = unfulfilled();
      const before = await snapshot();
      const res = await post(FULFILLMENT, { fulfillment: { fulfillment_order_id: fo.id, line_items: [{ id: fo.lines[0]!.line_item_id, quantity: 1 }, { id: UNKNOWN_UUID, quantity: 1 }] } });
      expectRefused(res, 404, 'fulfillment.line_items[1].id', 'UNKNOWN_LINE_ITEMS');
      expect(await snapshot()).toEqual(before);
    });

    it('leaves the state as it was when a refund lists a line more times than it has units, and keeps the key usable', async () => {
      const { line, order, external } = refundable();
      const before = await snapshot();
      const units = line.quantity - line.refunded_quantity;
      const entries = Array.from({ length: units + 1 }, () => ({ id: external, quantity: 1 }));
      expectRefused(await post(REFUND, { id: 'bad-input-too-many', order, line_items: entries }), 400, `line_items[${units}].id`, 'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND');
      expect(await snapshot()).toEqual(before);
      const retry = await post(REFUND, { id: 'bad-input-too-many', order, line_items: entries.slice(1) });
      expect(retry.status).toBe(201);
    });

    it('leaves the state as it was when an inventory update is refused', async () => {
      const before = await snapshot();
      expectRefused(await post(INVENTORY, { sku: data().variants[0]!.sku, available_units: -5 }), 400, 'available_units');
      expect(await snapshot()).toEqual(before);
    });

    it('leaves the state as it was when an appeasement mixed with line items is refused', async () => {
      const { order, external } = refundable();
      const before = await snapshot();
      expectRefused(await post(REFUND, { id: 'bad-input-mixed', order, line_items: [{ id: external, quantity: 1 }], amount: '1.00', currency: 'USD' }), 400, 'amount', 'INVALID_REFUND_REQUEST');
      expect(await snapshot()).toEqual(before);
    });
  });
});
