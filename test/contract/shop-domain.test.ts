/**
 * `shop=` in place of `api_key` (issue 14, item 7): Purple Dot's browser SDK names the store by its
 * `<name>.myshopify.com` domain when it has no key (observed in the SDK). Each store has one, shown beside its
 * credentials, and every public operation takes it with the same refusals as an unknown key.
 */
import { describe, expect, it } from 'vitest';
import { credentials, useHarness, type Reply } from '../support/simulator.ts';

const DEFAULT_SHOP = 'purple-dot-sim-default.myshopify.com';

function expectRefused(res: Reply, code: string, field: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(401);
  expect(res.body.error.code).toBe(code);
  expect(res.body.error.details[0].field).toBe(field);
  expect(res.headers.get('www-authenticate')).toContain('alternative="shop"');
}

describe('shop= in place of api_key', () => {
  const h = useHarness({ scenario: 'mixed-catalogue' });
  const data = () => h().sim.engine.defaultStore().state.data;

  it('shows each store\'s shop domain beside its credentials in the status and the stores API', async () => {
    const status = await h().control('GET', '/__sim/status');
    expect(status.body.data.shop_domain).toBe(DEFAULT_SHOP);
    const created = await h().control('POST', '/__sim/stores', { scenario: 'sold-out' });
    expect(created.body.data.shop_domain).toBe(`purple-dot-sim-${created.body.data.id}.myshopify.com`);
    const listed = await h().control('GET', '/__sim/stores');
    const domains = listed.body.data.map((s: { shop_domain: string }) => s.shop_domain);
    expect(new Set(domains).size).toBe(domains.length);
  });

  it('answers every public read named by shop exactly as it answers it named by api_key', async () => {
    const product = data().products.at(-1)!;
    const reads: [string, Record<string, string>][] = [
      ['/api/v1/waitlists', {}],
      ['/api/v1/availability', { product_id: product.id }],
      ['/api/v1/products/preorder-state', { handle: product.handle }],
      ['/api/v1/variants/preorder-state', { variant_id: product.variant_ids[0]! }],
      ['/api/v1/integration-settings', {}],
    ];
    for (const [path, query] of reads) {
      const byShop = await h().request('GET', `${path}?${new URLSearchParams({ shop: DEFAULT_SHOP, ...query })}`);
      const byKey = await h().publicGet(path, query);
      expect(byShop.status, path).toBe(200);
      expect(byShop.body, path).toEqual(byKey.body);
    }
  });

  it('finds another store by its own shop domain, never the default store', async () => {
    const created = (await h().control('POST', '/__sim/stores', { scenario: 'sold-out' })).body.data;
    const res = await h().request('GET', `/api/v1/waitlists?shop=${created.shop_domain}`);
    expect(res.status).toBe(200);
    const ids = h().sim.engine.stores.get(created.id)!.state.data.waitlists.filter((w) => w.state === 'LIVE').map((w) => w.id);
    expect(res.body.data.map((w: { id: string }) => w.id)).toEqual(ids);
  });

  it('refuses a shop domain no store has with 401 INVALID_SHOP naming shop', async () => {
    expectRefused(await h().request('GET', '/api/v1/waitlists?shop=someone-else.myshopify.com'), 'INVALID_SHOP', 'shop');
  });

  it('refuses api_key and shop that name different stores, naming shop', async () => {
    const other = (await h().control('POST', '/__sim/stores', { scenario: 'on-preorder' })).body.data;
    const res = await h().request('GET', `/api/v1/waitlists?api_key=${credentials.public_api_key}&shop=${other.shop_domain}`);
    expectRefused(res, 'INVALID_SHOP', 'shop');
  });

  it('says a shop domain sent as api_key is one, and a public key sent as shop is one', async () => {
    const asKey = await h().request('GET', `/api/v1/waitlists?api_key=${DEFAULT_SHOP}`);
    expect(asKey.status).toBe(401);
    expect(asKey.body.error.details[0]).toEqual({ field: 'api_key', problem: 'is a shop domain, not a public API key: send it as shop' });
    const asShop = await h().request('GET', `/api/v1/waitlists?shop=${credentials.public_api_key}`);
    expectRefused(asShop, 'INVALID_SHOP', 'shop');
    expect(asShop.body.error.details[0].problem).toContain('send it as api_key');
  });

  it('stops answering a deleted store\'s shop domain', async () => {
    const created = (await h().control('POST', '/__sim/stores', { scenario: 'on-preorder' })).body.data;
    expect((await h().control('DELETE', `/__sim/stores/${created.id}`)).status).toBe(200);
    expectRefused(await h().request('GET', `/api/v1/waitlists?shop=${created.shop_domain}`), 'INVALID_SHOP', 'shop');
  });
});
