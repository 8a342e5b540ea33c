/**
 * Every operation of the Purple Dot contract, called in every named scenario with input taken from the
 * scenario's own state: the documented success status, then each declared error status the simulator can
 * produce (429 is declared but never sent, so it is not asked for). The harness checks every response
 * against the spec; each test also states that by asserting `problems` is empty.
 */
import { LARGE_CATALOGUE_ORDERS } from '../../scenarios/large-catalogue.ts';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SEED, scenarios } from '../../scenarios/index.ts';
import { buildScenario } from '../../src/engine/scenario.ts';
import { signShopperToken } from '../../src/client/shopper-token.ts';
import type { LineItem, PreOrder, StoreData } from '../../src/domain/types.ts';
import { variantUnitsLeft } from '../../src/domain/waitlists.ts';
import { contractOperations, operationFor } from '../support/contract.ts';
import { credentials, privateHeaders, useHarness, type Harness, type Reply } from '../support/simulator.ts';

const PURPLE_DOT_OPERATIONS = contractOperations.filter((o) => o.spec === 'purple-dot');
/** A UUID no scenario hands out: its version nibble is 0, the simulator's IDs are version 4. */
const UNKNOWN_UUID = '00000000-0000-0000-0000-000000000000';

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
const cents = (money: string): number => Math.round(Number(money) * 100);
const isOpenState = (state: string): boolean => state === 'LIVE' || state === 'SCHEDULED';

/** The items, looked up by the listed ids, were created in that order (ties keep list position). */
function expectOldestFirst(listedIds: string[], items: readonly { id: string; created_at: string }[]): void {
  const createdAt = new Map(items.map((item) => [item.id, Date.parse(item.created_at)]));
  const times = listedIds.map((id) => createdAt.get(id));
  expect(times.every((t) => t !== undefined), 'every listed id is known').toBe(true);
  expect(times).toEqual([...times].sort((a, b) => a! - b!));
}

function expectConforming(res: Reply, status: number): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
}

function expectError(res: Reply, status: number, code?: string): void {
  expectConforming(res, status);
  expect(res.body.meta).toEqual({ result: 'error' });
  if (code) expect(res.body.error.code).toBe(code);
  expect(res.body.error.details.length).toBeGreaterThan(0);
}

/**
 * The calls of one scenario, each noted as `operationId status` so the last test of the scenario can
 * show that every operation answered its success status and every producible error status.
 */
function scenarioClient(h: () => Harness) {
  const seen = new Set<string>();
  const note = (method: string, path: string, res: Reply): Reply => {
    seen.add(`${operationFor(method, path).operationId} ${res.status}`);
    return res;
  };
  const qs = (query: Record<string, string | number>): string => {
    const text = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
    return text ? `?${text}` : '';
  };
  return {
    seen,
    publicGet: async (path: string, query: Record<string, string | number> = {}) =>
      note('GET', path, await h().publicGet(path, query)),
    privateGet: async (path: string, query: Record<string, string | number> = {}) =>
      note('GET', path, await h().privateGet(path, query)),
    privatePost: async (path: string, body: unknown) => note('POST', path, await h().privatePost(path, body)),
    /** A request without any credential. */
    anonymous: async (method: string, path: string, query: Record<string, string | number> = {}, body?: unknown) =>
      note(method, path, await h().request(method, `${path}${qs(query)}`, body === undefined ? {} : { body })),
    /** A private POST whose body is declared as something other than JSON. */
    postText: async (path: string, text: string) =>
      note('POST', path, await h().request('POST', path, { raw: text, headers: { ...privateHeaders, 'content-type': 'text/plain' } })),
  };
}

describe.each(scenarios.filter((s) => s.name !== 'large-catalogue').map((s) => [s.name] as const))('scenario %s', (scenario) => {
  const h = useHarness({ scenario });
  /** The scenario as the harness builds it, known while tests are collected. */
  const built = buildScenario(scenarios.find((s) => s.name === scenario)!, DEFAULT_SEED, {}).state.data;
  const api = scenarioClient(h);
  const data = (): StoreData => h().sim.engine.defaultStore().state.data;
  const nowSeconds = (): number => Math.floor(h().sim.engine.defaultStore().clock.nowMs() / 1000);
  const shopperCredential = (email: string): Record<string, string | number> => {
    const timestamp = nowSeconds();
    return { email, timestamp, token: signShopperToken(email, timestamp, credentials.shared_secret) };
  };
  const linesOfSku = (sku: string): LineItem[] => data().pre_orders.flatMap((o) => o.line_items).filter((l) => l.sku === sku);

  describe('public API', () => {
    it('lists exactly the LIVE and SCHEDULED waitlists as open, in creation order', async () => {
      const res = await api.publicGet('/api/v1/waitlists');
      expectConforming(res, 200);
      const open = data().waitlists.filter((w) => isOpenState(w.state));
      expect(res.body.data.map((w: { id: string }) => w.id)).toEqual(open.map((w) => w.id));
      expect(res.body.data.map((w: { product: { id: string } }) => w.product.id)).toEqual(open.map((w) => w.product_id));
      expectOldestFirst(res.body.data.map((w: { id: string }) => w.id), data().waitlists);
    });

    it('refuses to list open waitlists without an api_key', async () => {
      expectError(await api.anonymous('GET', '/api/v1/waitlists'), 401, 'MISSING_API_KEY');
    });

    it('reports the availability of every product with each of its variants', async () => {
      for (const product of data().products) {
        const res = await api.publicGet('/api/v1/availability', { product_id: product.id });
        expectConforming(res, 200);
        expect(res.body.data.id).toBe(product.id);
        expect(res.body.data.product_code).toBe(product.handle);
        expect(res.body.data.variants.map((v: { id: string }) => v.id).sort()).toEqual([...product.variant_ids].sort());
        const stocks: number[] = res.body.data.variants.map((v: { available_stock: number }) => v.available_stock);
        const open = data().waitlists.find((w) => w.product_id === product.id && isOpenState(w.state));
        if (open && open.product_buy_size !== null) {
          // A per-product waitlist's units are shared: each covered variant shows all of them, the product once.
          const left = Math.max(0, open.product_buy_size - sum(open.allocations.map((a) => a.committed)));
          expect(res.body.data.available_stock).toBe(left);
          for (const v of res.body.data.variants) expect(v.available_stock).toBe(open.allocations.some((a) => a.variant_id === v.id) ? left : 0);
        } else {
          expect(res.body.data.available_stock).toBe(sum(stocks));
        }
      }
    });

    it('refuses an availability request without product_id', async () => {
      expectError(await api.publicGet('/api/v1/availability'), 400);
    });

    it('answers 404 for the availability of a product the store does not have', async () => {
      const productId = `${data().products.map((p) => p.id).join('')}9`;
      expectError(await api.publicGet('/api/v1/availability', { product_id: productId }), 404, 'UNKNOWN_PRODUCT');
    });

    it('refuses availability without an api_key', async () => {
      const product = data().products[0]!;
      expectError(await api.anonymous('GET', '/api/v1/availability', { product_id: product.id }), 401, 'MISSING_API_KEY');
    });

    it('answers the SDK\'s integration settings with the store\'s flags, none until set', async () => {
      const res = await api.publicGet('/api/v1/integration-settings');
      expectConforming(res, 200);
      expect(res.body.data).toEqual({ flags: data().settings.flags });
      expect(res.body.data.flags).toEqual([]);
    });

    it('refuses the integration settings without an api_key or shop', async () => {
      expectError(await api.anonymous('GET', '/api/v1/integration-settings'), 401, 'MISSING_API_KEY');
    });

    it('accepts an SDK analytics event with 202 and keeps it for the control API', async () => {
      const event = { id: UNKNOWN_UUID, name: 'page_view', attrs: { deviceIdPersistent: true }, clientTimestamp: 1768467600000, clientSequence: 1 };
      const res = await api.anonymous('POST', '/api/v1/track', { api_key: credentials.public_api_key }, event);
      expectConforming(res, 202);
      const kept = await h().control('GET', '/__sim/tracked-events', undefined);
      expect(kept.body.data.at(-1)).toMatchObject({ seq: res.body.data.seq, store: 'default', event });
    });

    it('refuses an analytics event without a name, naming name', async () => {
      const res = await api.anonymous('POST', '/api/v1/track', {}, { id: UNKNOWN_UUID });
      expectError(res, 400);
      expect(res.body.error.details[0].field).toBe('name');
    });

    it('refuses an analytics event with a public key no store has', async () => {
      expectError(await api.anonymous('POST', '/api/v1/track', { api_key: UNKNOWN_UUID }, { name: 'page_view' }), 401, 'INVALID_API_KEY');
    });

    it('refuses an analytics event that is not JSON with 415', async () => {
      expectError(await api.postText('/api/v1/track', 'name=page_view'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('gives every product a pre-order state, NO_OPEN_WAITLISTS exactly when it has no open waitlist', async () => {
      for (const product of data().products) {
        const res = await api.publicGet('/api/v1/products/preorder-state', { handle: product.handle });
        expectConforming(res, 200);
        expect(res.body.data.product).toEqual({ id: product.id, handle: product.handle });
        const open = data().waitlists.find((w) => w.product_id === product.id && isOpenState(w.state));
        expect(res.body.data.waitlist?.id ?? null).toBe(open?.id ?? null);
        expect(res.body.data.state === 'NO_OPEN_WAITLISTS').toBe(open === undefined);
      }
    });

    it('refuses a product pre-order state request without handle', async () => {
      expectError(await api.publicGet('/api/v1/products/preorder-state'), 400);
    });

    it('answers 404 for the pre-order state of an unknown handle', async () => {
      const handle = `${data().products[0]!.handle}-not-in-this-store`;
      expectError(await api.publicGet('/api/v1/products/preorder-state', { handle }), 404, 'UNKNOWN_PRODUCT');
    });

    it('refuses a product pre-order state request without an api_key', async () => {
      expectError(await api.anonymous('GET', '/api/v1/products/preorder-state', { handle: data().products[0]!.handle }), 401, 'MISSING_API_KEY');
    });

    it('gives every variant a pre-order state naming the open waitlist that covers it', async () => {
      for (const variant of data().variants) {
        const res = await api.publicGet('/api/v1/variants/preorder-state', { variant_id: variant.id });
        expectConforming(res, 200);
        const product = data().products.find((p) => p.id === variant.product_id)!;
        expect(res.body.data.product).toEqual({ id: product.id, handle: product.handle });
        const covering = data().waitlists.find((w) =>
          w.product_id === variant.product_id && isOpenState(w.state) && w.allocations.some((a) => a.variant_id === variant.id));
        expect(res.body.data.waitlist?.id ?? null).toBe(covering?.id ?? null);
        expect(res.body.data.state === 'NO_OPEN_WAITLISTS').toBe(covering === undefined);
      }
    });

    it('refuses a variant pre-order state request without variant_id', async () => {
      expectError(await api.publicGet('/api/v1/variants/preorder-state'), 400);
    });

    it('answers 404 for the pre-order state of an unknown variant', async () => {
      const variantId = `${data().variants.map((v) => v.id).join('')}9`;
      expectError(await api.publicGet('/api/v1/variants/preorder-state', { variant_id: variantId }), 404, 'UNKNOWN_VARIANT');
    });

    it('refuses a variant pre-order state request without an api_key', async () => {
      expectError(await api.anonymous('GET', '/api/v1/variants/preorder-state', { variant_id: data().variants[0]!.id }), 401, 'MISSING_API_KEY');
    });

    it("shows each shopper exactly their own pre-orders, oldest first, with a signed token", async () => {
      const emails = [...new Set(data().pre_orders.map((o) => o.email))];
      // A scenario without pre-orders still answers: the shopper simply has none.
      if (emails.length === 0) emails.push('nobody@example.com');
      for (const email of emails) {
        const res = await api.publicGet('/api/v1/pre-orders', { ...shopperCredential(email), limit: 100 });
        expectConforming(res, 200);
        const own = data().pre_orders.filter((o) => o.email.toLowerCase() === email.toLowerCase());
        expect(res.body.data.orders.map((o: { id: string }) => o.id)).toEqual(own.map((o) => o.id));
        expect(res.body.data.has_more).toBe(false);
        expect(res.body.data.starting_after).toBeNull();
      }
    });

    it("refuses a shopper's pre-orders with a page size of 0", async () => {
      const email = data().pre_orders[0]?.email ?? 'nobody@example.com';
      expectError(await api.publicGet('/api/v1/pre-orders', { ...shopperCredential(email), limit: 0 }), 400);
    });

    it("refuses a shopper's pre-orders without an api_key even with a valid shopper token", async () => {
      const email = data().pre_orders[0]?.email ?? 'nobody@example.com';
      expectError(await api.anonymous('GET', '/api/v1/pre-orders', shopperCredential(email)), 401, 'MISSING_API_KEY');
    });
  });

  describe('private API, reading', () => {
    it('lists every waitlist in any state, oldest first', async () => {
      const res = await api.privateGet('/admin/api/v1/waitlists', { limit: 100 });
      expectConforming(res, 200);
      expect(res.body.data.waitlists.map((w: { id: string }) => w.id)).toEqual(data().waitlists.map((w) => w.id));
      expect(res.body.data.waitlists.map((w: { state: string }) => w.state)).toEqual(data().waitlists.map((w) => w.state));
      expectOldestFirst(res.body.data.waitlists.map((w: { id: string }) => w.id), data().waitlists);
    });

    it('refuses a waitlist page size above 100', async () => {
      expectError(await api.privateGet('/admin/api/v1/waitlists', { limit: 101 }), 400);
    });

    it('refuses to list waitlists without an access token', async () => {
      expectError(await api.anonymous('GET', '/admin/api/v1/waitlists'), 401, 'MISSING_ACCESS_TOKEN');
    });

    it('pages through every pre-order, oldest first, following starting_after and the Link header', async () => {
      const limit = 7;
      const ids: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 100; page += 1) {
        const res = await api.privateGet('/admin/api/v1/pre-orders', cursor ? { limit, starting_after: cursor } : { limit });
        expectConforming(res, 200);
        ids.push(...res.body.data.orders.map((o: { id: string }) => o.id));
        expect(res.body.data.orders.length).toBeLessThanOrEqual(limit);
        if (!res.body.data.has_more) {
          expect(res.headers.get('link')).toBeNull();
          break;
        }
        cursor = res.body.data.starting_after;
        expect(cursor).toBe(ids[ids.length - 1]);
        expect(res.headers.get('link')).toContain(`starting_after=${cursor}`);
      }
      expect(ids).toEqual(data().pre_orders.map((o) => o.id));
      expectOldestFirst(ids, data().pre_orders);
    });

    it('refuses to list pre-orders filtered by both all_line_items and some_line_item', async () => {
      expectError(await api.privateGet('/admin/api/v1/pre-orders', { all_line_items: 'cancelled', some_line_item: 'exported' }), 400);
    });

    it('refuses to list pre-orders without an access token', async () => {
      expectError(await api.anonymous('GET', '/admin/api/v1/pre-orders'), 401, 'MISSING_ACCESS_TOKEN');
    });

    it('counts every pre-order, and those with a cancelled or an exported line', async () => {
      const all = await api.privateGet('/admin/api/v1/pre-orders/count');
      expectConforming(all, 200);
      expect(all.body.data.count).toBe(data().pre_orders.length);
      for (const status of ['cancelled', 'exported'] as const) {
        const res = await api.privateGet('/admin/api/v1/pre-orders/count', { some_line_item: status });
        expectConforming(res, 200);
        expect(res.body.data.count).toBe(data().pre_orders.filter((o) => o.line_items.some((l) => l.status === status)).length);
      }
    });

    it('refuses to count pre-orders by a line state that does not exist', async () => {
      expectError(await api.privateGet('/admin/api/v1/pre-orders/count', { all_line_items: 'open' }), 400);
    });

    it('refuses to count pre-orders without an access token', async () => {
      expectError(await api.anonymous('GET', '/admin/api/v1/pre-orders/count'), 401, 'MISSING_ACCESS_TOKEN');
    });

    it("counts each SKU's open, cancelled and exported units as its lines stand now", async () => {
      for (const variant of data().variants) {
        const res = await api.privateGet(`/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent(variant.sku)}`);
        expectConforming(res, 200);
        const lines = linesOfSku(variant.sku);
        const units = (status: LineItem['status']) => sum(lines.filter((l) => l.status === status).map((l) => l.quantity));
        expect(res.body.data).toEqual({
          sku: variant.sku,
          at_time: new Date(h().sim.engine.defaultStore().clock.nowMs()).toISOString(),
          open_units: units('open'),
          canceled_units: units('cancelled'),
          exported_units: units('exported'),
        });
      }
    });

    it('counts no units for any SKU before the first pre-order was placed', async () => {
      const first = data().pre_orders[0]?.created_at ?? new Date(h().sim.engine.defaultStore().clock.nowMs()).toISOString();
      const before = new Date(Date.parse(first) - 1000).toISOString();
      const variant = data().variants[0]!;
      const res = await api.privateGet(`/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent(variant.sku)}`, { at_time: before });
      expectConforming(res, 200);
      expect(res.body.data).toMatchObject({ sku: variant.sku, at_time: before, open_units: 0, canceled_units: 0, exported_units: 0 });
    });

    it('refuses to count units at a time that is not a date-time', async () => {
      const sku = data().variants[0]!.sku;
      expectError(await api.privateGet(`/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent(sku)}`, { at_time: 'last tuesday' }), 400);
    });

    it('refuses to count units without an access token', async () => {
      const sku = data().variants[0]!.sku;
      expectError(await api.anonymous('GET', `/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent(sku)}`), 401, 'MISSING_ACCESS_TOKEN');
    });

    it('lists every fulfillment order, oldest first', async () => {
      const res = await api.privateGet('/admin/api/v1/fulfillment-orders', { limit: 250 });
      expectConforming(res, 200);
      expect(res.body.data.fulfillment_orders.map((fo: { id: string }) => fo.id)).toEqual(data().fulfillment_orders.map((fo) => fo.id));
      expect(res.body.data.fulfillment_orders.map((fo: { status: string }) => fo.status)).toEqual(data().fulfillment_orders.map((fo) => fo.status));
      expectOldestFirst(res.body.data.fulfillment_orders.map((fo: { id: string }) => fo.id), data().fulfillment_orders);
    });

    it('refuses a fulfillment order page size above 250', async () => {
      expectError(await api.privateGet('/admin/api/v1/fulfillment-orders', { limit: 251 }), 400);
    });

    it('refuses to list fulfillment orders without an access token', async () => {
      expectError(await api.anonymous('GET', '/admin/api/v1/fulfillment-orders'), 401, 'MISSING_ACCESS_TOKEN');
    });

    // Scenarios without exports have no fulfillment order to read yet; the writing tests below export one and read it.
    if (built.fulfillment_orders.length > 0) it('reads each fulfillment order of the scenario by its id', async () => {
      expect(data().fulfillment_orders.length).toBe(built.fulfillment_orders.length);
      for (const fo of data().fulfillment_orders) {
        const res = await api.privateGet(`/admin/api/v1/fulfillment-orders/${fo.id}`);
        expectConforming(res, 200);
        expect(res.body.data.id).toBe(fo.id);
        expect(res.body.data.status).toBe(fo.status);
        expect(res.body.data.line_items.map((l: { id: string }) => l.id)).toEqual(fo.lines.map((l) => l.line_item_id));
      }
    });

    it('answers 404 for a fulfillment order id the store does not have', async () => {
      expect(data().fulfillment_orders.some((fo) => fo.id === UNKNOWN_UUID)).toBe(false);
      expectError(await api.privateGet(`/admin/api/v1/fulfillment-orders/${UNKNOWN_UUID}`), 404, 'UNKNOWN_FULFILLMENT_ORDER');
    });

    it('refuses to read a fulfillment order without an access token', async () => {
      const id = data().fulfillment_orders[0]?.id ?? UNKNOWN_UUID;
      expectError(await api.anonymous('GET', `/admin/api/v1/fulfillment-orders/${id}`), 401, 'MISSING_ACCESS_TOKEN');
    });
  });

  describe('private API, writing (each test starts from a freshly reset scenario)', () => {
    beforeEach(async () => {
      const res = await h().control('POST', '/__sim/reset');
      expectConforming(res, 200);
      expect(res.body.data.scenario).toBe(scenario);
    });

    /** The oldest open line of any pre-order: the first line a stock arrival for its SKU exports. */
    const oldestOpenLine = (): { order: PreOrder; line: LineItem } | undefined => {
      for (const order of data().pre_orders) {
        const line = order.line_items.find((l) => l.status === 'open');
        if (line) return { order, line };
      }
      return undefined;
    };

    /** Places one pre-order through the control API, first letting a scheduled waitlist launch if none is LIVE. */
    const placeOnAnOpenWaitlist = async (): Promise<void> => {
      let live = data().waitlists.find((w) => w.state === 'LIVE' && w.allocations.some((a) => variantUnitsLeft(w, a.variant_id) > 0));
      if (!live) {
        const scheduled = data().waitlists.find((w) => w.state === 'SCHEDULED' && w.launch_date !== null);
        expect(scheduled, 'the scenario has neither an open line, a LIVE waitlist nor a scheduled launch').toBeDefined();
        expectConforming(await h().control('PUT', '/__sim/clock', { now: scheduled!.launch_date }), 200);
        live = scheduled!;
      }
      const allocation = live.allocations.find((a) => variantUnitsLeft(live!, a.variant_id) > 0)!;
      const placed = await h().control('POST', '/__sim/pre-orders', { email: 'contract-test@example.com', lines: [{ variant_id: allocation.variant_id, quantity: 1 }] });
      expectConforming(placed, 201);
    };

    /**
     * Posts stock for the SKU of the oldest open line (placing a pre-order first if there is none) and
     * returns that line and the new fulfillment order that holds it.
     */
    const exportOldestOpenLine = async (): Promise<{ lineId: string; foId: string }> => {
      if (!oldestOpenLine()) await placeOnAnOpenWaitlist();
      const { line } = oldestOpenLine()!;
      const known = new Set(data().fulfillment_orders.map((fo) => fo.id));
      const level = data().inventory.find((i) => i.sku === line.sku)?.available_units ?? 0;
      const res = await api.privatePost('/admin/api/v1/inventory', { sku: line.sku, available_units: level + line.quantity });
      expectConforming(res, 201);
      const created = data().fulfillment_orders.filter((fo) => !known.has(fo.id));
      const withLine = created.find((fo) => fo.lines.some((l) => l.line_item_id === line.id));
      expect(withLine, `posting stock for ${line.sku} exported no fulfillment order holding line ${line.id}`).toBeDefined();
      return { lineId: line.id, foId: withLine!.id };
    };

    /** An UNFULFILLED fulfillment order with nothing fulfilled yet: one of the scenario's, or a fresh export. */
    const fulfillableOrder = async (): Promise<string> => {
      const ready = data().fulfillment_orders.find((fo) => fo.status === 'UNFULFILLED' && fo.lines.every((l) => l.fulfilled_quantity === 0));
      return ready ? ready.id : (await exportOldestOpenLine()).foId;
    };

    /** The exported order and external line behind a fulfillable order, found through the private API only. */
    const refundableLine = async (): Promise<{ reference: string; order: string; line: string; currency: string }> => {
      const foId = await fulfillableOrder();
      const fo = await api.privateGet(`/admin/api/v1/fulfillment-orders/${foId}`);
      expectConforming(fo, 200);
      const reference = String(fo.body.data.reference).replace(/-\d+$/, '');
      const list = await api.privateGet('/admin/api/v1/pre-orders', { references: reference });
      expectConforming(list, 200);
      expect(list.body.data.orders).toHaveLength(1);
      const preOrder = list.body.data.orders[0];
      const lineId: string = fo.body.data.line_items[0].id;
      const exported = preOrder.exported_orders.find((e: { line_items: { id: string }[] }) => e.line_items.some((l) => l.id === lineId));
      const line = preOrder.line_items.find((l: { id: string }) => l.id === lineId);
      expect(exported).toBeDefined();
      expect(line.shopify_line_item_id).toEqual(expect.any(String));
      return { reference, order: exported.id, line: line.shopify_line_item_id, currency: preOrder.currency };
    };

    const totalRefunded = async (reference: string): Promise<number> => {
      const res = await api.privateGet('/admin/api/v1/pre-orders', { references: reference });
      expectConforming(res, 200);
      return cents(res.body.data.orders[0].total_refunded);
    };

    it("sets a SKU's available units and echoes the absolute level, keeping every bought unit counted", async () => {
      const sku = data().variants[0]!.sku;
      const level = data().inventory.find((i) => i.sku === sku)?.available_units ?? 0;
      const bought = sum(linesOfSku(sku).map((l) => l.quantity));
      const res = await api.privatePost('/admin/api/v1/inventory', { sku, available_units: level + 1 });
      expectConforming(res, 201);
      expect(res.body.data).toEqual({ sku, available_units: level + 1 });
      const units = await api.privateGet(`/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent(sku)}`);
      expectConforming(units, 200);
      expect(units.body.data.open_units + units.body.data.canceled_units + units.body.data.exported_units).toBe(bought);
    });

    it('exports the oldest open line of a SKU into a new fulfillment order when stock for it arrives', async () => {
      const { lineId, foId } = await exportOldestOpenLine();
      const res = await api.privateGet(`/admin/api/v1/fulfillment-orders/${foId}`);
      expectConforming(res, 200);
      expect(res.body.data.status).toBe('UNFULFILLED');
      expect(res.body.data.fulfillments).toEqual([]);
      expect(res.body.data.line_items.map((l: { id: string }) => l.id)).toContain(lineId);
    });

    it('refuses negative available units', async () => {
      expectError(await api.privatePost('/admin/api/v1/inventory', { sku: data().variants[0]!.sku, available_units: -1 }), 400);
    });

    it('refuses to set inventory without an access token', async () => {
      expectError(await api.anonymous('POST', '/admin/api/v1/inventory', {}, { sku: data().variants[0]!.sku, available_units: 1 }), 401, 'MISSING_ACCESS_TOKEN');
    });

    it('refuses an inventory update that is not JSON with 415', async () => {
      expectError(await api.postText('/admin/api/v1/inventory', JSON.stringify({ sku: data().variants[0]!.sku, available_units: 1 })), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('fulfils every remaining unit of a fulfillment order, which then reads FULFILLED', async () => {
      const id = await fulfillableOrder();
      const before = await api.privateGet(`/admin/api/v1/fulfillment-orders/${id}`);
      expectConforming(before, 200);
      const tracking = { number: `T-${id.slice(0, 8)}`, company: 'UPS' };
      const res = await api.privatePost('/admin/api/v1/fulfillment', { fulfillment: { fulfillment_order_id: id, notify_customer: true, tracking_info: tracking } });
      expectConforming(res, 201);
      expect(res.body.data.fulfillment).toMatchObject({ fulfillment_order_id: id, notify_customer: true, tracking_info: tracking });
      expect(res.body.data.fulfillment.line_items.map((l: { id: string }) => l.id).sort())
        .toEqual(before.body.data.line_items.map((l: { id: string }) => l.id).sort());
      expect(res.body.data.fulfillment_order.status).toBe('FULFILLED');
      const after = await api.privateGet(`/admin/api/v1/fulfillment-orders/${id}`);
      expectConforming(after, 200);
      expect(after.body.data.status).toBe('FULFILLED');
      expect(after.body.data.fulfillments).toHaveLength(before.body.data.fulfillments.length + 1);
    });

    it('refuses to fulfil an already FULFILLED fulfillment order with 409', async () => {
      const id = await fulfillableOrder();
      expectConforming(await api.privatePost('/admin/api/v1/fulfillment', { fulfillment: { fulfillment_order_id: id } }), 201);
      expectError(await api.privatePost('/admin/api/v1/fulfillment', { fulfillment: { fulfillment_order_id: id } }), 409, 'FULFILLMENT_ORDER_ALREADY_FULFILLED');
    });

    it('answers 404 when fulfilling a fulfillment order the store does not have', async () => {
      expectError(await api.privatePost('/admin/api/v1/fulfillment', { fulfillment: { fulfillment_order_id: UNKNOWN_UUID } }), 404, 'UNKNOWN_FULFILLMENT_ORDER');
    });

    it('refuses to fulfil 0 units of a line', async () => {
      const id = await fulfillableOrder();
      const lineId = data().fulfillment_orders.find((fo) => fo.id === id)!.lines[0]!.line_item_id;
      expectError(await api.privatePost('/admin/api/v1/fulfillment', { fulfillment: { fulfillment_order_id: id, line_items: [{ id: lineId, quantity: 0 }] } }), 400);
    });

    it('refuses to fulfil without an access token', async () => {
      expectError(await api.anonymous('POST', '/admin/api/v1/fulfillment', {}, { fulfillment: { fulfillment_order_id: UNKNOWN_UUID } }), 401, 'MISSING_ACCESS_TOKEN');
    });

    it('refuses a fulfilment that is not JSON with 415', async () => {
      expectError(await api.postText('/admin/api/v1/fulfillment', JSON.stringify({ fulfillment: { fulfillment_order_id: UNKNOWN_UUID } })), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it("refunds one unit of an exported line and adds the refunded amount to the pre-order's total_refunded", async () => {
      const target = await refundableLine();
      const before = await totalRefunded(target.reference);
      const res = await api.privatePost('/admin/api/v1/refund', { id: 'contract-refund-1', order: target.order, line_items: [{ id: target.line, quantity: 1 }] });
      expectConforming(res, 201);
      expect(res.body.data.id).toBe('contract-refund-1');
      expect(res.body.data.order).toBe(target.order);
      expect(res.body.data.refunded.currency).toBe(target.currency);
      expect(cents(res.body.data.refunded.amount)).toBeGreaterThan(0);
      expect(await totalRefunded(target.reference)).toBe(before + cents(res.body.data.refunded.amount));
    });

    it('replays a repeated refund with the same key and payload without refunding twice', async () => {
      const target = await refundableLine();
      const body = { id: 'contract-refund-2', order: target.order, line_items: [{ id: target.line, quantity: 1 }] };
      const first = await api.privatePost('/admin/api/v1/refund', body);
      expectConforming(first, 201);
      const refunded = await totalRefunded(target.reference);
      const replay = await api.privatePost('/admin/api/v1/refund', body);
      expectConforming(replay, 201);
      expect(replay.body).toEqual(first.body);
      expect(await totalRefunded(target.reference)).toBe(refunded);
    });

    it('refuses a refund key reused with a different payload with 409', async () => {
      const target = await refundableLine();
      expectConforming(await api.privatePost('/admin/api/v1/refund', { id: 'contract-refund-3', order: target.order, line_items: [{ id: target.line, quantity: 1 }] }), 201);
      expectError(await api.privatePost('/admin/api/v1/refund', { id: 'contract-refund-3', order: target.order, amount: '0.01', currency: target.currency }), 409, 'IDEMPOTENCY_KEY_REUSED');
    });

    it('answers 404 for a refund of an order that was never exported', async () => {
      const order = 'never-exported-order';
      expect(data().pre_orders.some((o) => o.exported_orders.some((e) => e.id === order))).toBe(false);
      expectError(await api.privatePost('/admin/api/v1/refund', { id: 'contract-refund-4', order, shipping: true }), 404, 'UNKNOWN_ORDER');
    });

    it('refuses a refund that mixes line items with an appeasement amount', async () => {
      const target = await refundableLine();
      expectError(await api.privatePost('/admin/api/v1/refund', {
        id: 'contract-refund-5', order: target.order, line_items: [{ id: target.line, quantity: 1 }], amount: '1.00', currency: target.currency,
      }), 400, 'INVALID_REFUND_REQUEST');
    });

    it('refuses to refund without an access token', async () => {
      expectError(await api.anonymous('POST', '/admin/api/v1/refund', {}, { id: 'contract-refund-6', order: '1', shipping: true }), 401, 'MISSING_ACCESS_TOKEN');
    });

    it('refuses a refund that is not JSON with 415', async () => {
      expectError(await api.postText('/admin/api/v1/refund', JSON.stringify({ id: 'contract-refund-7', order: '1', shipping: true })), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });
  });

  it('refuses a body over the 1 MB limit with 413 on every operation that takes one, changing nothing', async () => {
    const before = JSON.stringify(data());
    const withBody = PURPLE_DOT_OPERATIONS.filter((op) => op.statuses.includes('413'));
    expect(withBody.map((op) => op.operationId).sort()).toEqual(['createFulfillment', 'createRefund', 'trackEvent', 'updateInventory']);
    for (const op of withBody) {
      // Any JSON over the limit: it is refused before it is read as this operation's body.
      expectError(await api.privatePost(op.template, { padding: 'x'.repeat(1_100_000) }), 413, 'BODY_TOO_LARGE');
    }
    expect(JSON.stringify(data())).toBe(before);
  });

  // Runs last in the scenario: a ledger of the calls above, so an operation added to the spec without a test here fails.
  it('answered every operation with its success status and every error status it can produce', () => {
    const missing = PURPLE_DOT_OPERATIONS.flatMap((op) =>
      op.statuses.filter((s) => s !== '429' && !api.seen.has(`${op.operationId} ${s}`)).map((s) => `${op.operationId} ${s}`));
    expect(missing, 'operation and status pairs no test of this scenario produced (the ledger needs every test above, in file order)').toEqual([]);
  });
});

describe('scenario large-catalogue', () => {
  const h = useHarness({ scenario: 'large-catalogue' });

  it('pages the private pre-order list twice in creation order and counts every pre-order', async () => {
    const orders = h().sim.engine.defaultStore().state.data.pre_orders;
    const first = await h().privateGet('/admin/api/v1/pre-orders', { limit: 200 });
    expectConforming(first, 200);
    expect(first.body.data.orders.map((o: { id: string }) => o.id)).toEqual(orders.slice(0, 200).map((o) => o.id));
    expect(first.body.data.has_more).toBe(true);
    const second = await h().privateGet('/admin/api/v1/pre-orders', { limit: 200, starting_after: first.body.data.starting_after });
    expectConforming(second, 200);
    expect(second.body.data.orders.map((o: { id: string }) => o.id)).toEqual(orders.slice(200, 400).map((o) => o.id));
    const count = await h().privateGet('/admin/api/v1/pre-orders/count');
    expectConforming(count, 200);
    expect(count.body.data.count).toBe(LARGE_CATALOGUE_ORDERS);
    expect(orders.length).toBe(LARGE_CATALOGUE_ORDERS);
  });
});
