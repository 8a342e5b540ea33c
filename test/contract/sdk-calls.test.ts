/**
 * The calls Purple Dot's browser SDK makes besides the documented API (issue 14, item 9; observed in the SDK):
 * `GET /api/v1/integration-settings` (flags, set per store through the control API) and `POST /api/v1/track`
 * (analytics events, kept per store as session data the control API reads).
 */
import { describe, expect, it } from 'vitest';
import { credentials, type Harness } from '../support/simulator.ts';
import { fresh } from '../support/steps.ts';

const NATIVE = { type: 'variation', flag: 'NATIVE_CHECKOUT', variations: [{ variation: 'native', weight: 100 }] };
const LEARN_MORE = { type: 'boolean', flag: 'SHOW_LEARN_MORE', enabled: true };

const track = (h: Harness, query: string, body: unknown) => h.request('POST', `/api/v1/track${query}`, { body });

describe('GET /api/v1/integration-settings', () => {
  it('answers the flags set through PATCH /__sim/settings, as the SDK reads them', async () => {
    const h = await fresh('on-preorder');
    expect((await h.publicGet('/api/v1/integration-settings')).body.data).toEqual({ flags: [] });
    const set = await h.control('PATCH', '/__sim/settings', { flags: [NATIVE, LEARN_MORE] });
    expect(set.status).toBe(200);
    expect(set.body.data).toEqual({ inventory_mode: 'replace', flags: [NATIVE, LEARN_MORE] });
    expect((await h.publicGet('/api/v1/integration-settings')).body.data).toEqual({ flags: [NATIVE, LEARN_MORE] });
    expect((await h.control('GET', '/__sim/settings')).body.data.flags).toEqual([NATIVE, LEARN_MORE]);
  });

  it('keeps each store\'s flags to itself', async () => {
    const h = await fresh('on-preorder');
    const other = (await h.control('POST', '/__sim/stores', { scenario: 'on-preorder' })).body.data;
    expect((await h.control('PATCH', `/__sim/stores/${other.id}/settings`, { flags: [NATIVE] })).status).toBe(200);
    expect((await h.request('GET', `/api/v1/integration-settings?shop=${other.shop_domain}`)).body.data.flags).toEqual([NATIVE]);
    expect((await h.publicGet('/api/v1/integration-settings')).body.data.flags).toEqual([]);
  });

  it('keeps the flags and the inventory mode through a reset and a scenario load, and in a snapshot', async () => {
    const h = await fresh('on-preorder');
    await h.control('PATCH', '/__sim/settings', { flags: [NATIVE], inventory_mode: 'difference' });
    await h.control('POST', '/__sim/reset');
    await h.control('POST', '/__sim/scenario', { name: 'sold-out' });
    expect((await h.control('GET', '/__sim/settings')).body.data).toEqual({ inventory_mode: 'difference', flags: [NATIVE] });
    const snapshot = (await h.control('GET', '/__sim/snapshot')).body.data;
    expect((Object.values(snapshot.stores)[0] as any).settings).toMatchObject({ inventory_mode: 'difference', flags: [NATIVE] });
    // An import brings the snapshot's settings: they are state.
    await h.control('PATCH', '/__sim/settings', { flags: [], inventory_mode: 'replace' });
    expect((await h.control('PUT', '/__sim/snapshot', snapshot)).status).toBe(200);
    expect((await h.control('GET', '/__sim/settings')).body.data).toEqual({ inventory_mode: 'difference', flags: [NATIVE] });
  });

  it('refuses a flag named twice with 400 naming the second, and changes nothing', async () => {
    const h = await fresh('on-preorder');
    const res = await h.control('PATCH', '/__sim/settings', { inventory_mode: 'difference', flags: [NATIVE, { ...LEARN_MORE, flag: 'NATIVE_CHECKOUT' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ field: 'flags[1].flag', problem: 'names "NATIVE_CHECKOUT" a second time' }]);
    expect((await h.control('GET', '/__sim/settings')).body.data).toEqual({ inventory_mode: 'replace', flags: [] });
  });

  it('refuses an unknown inventory mode and an empty change with 400', async () => {
    const h = await fresh('on-preorder');
    const bad = await h.control('PATCH', '/__sim/settings', { inventory_mode: 'delta' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('inventory_mode');
    expect((await h.control('PATCH', '/__sim/settings', {})).status).toBe(400);
    expect((await h.control('PATCH', '/__sim/stores/store-99/settings', { inventory_mode: 'replace' })).status).toBe(404);
  });
});

describe('POST /api/v1/track', () => {
  const event = (name: string, clientSequence: number) => ({
    id: `6f1c2f4e-8a5b-4a0e-9d53-2c1d8f0b7e${String(clientSequence).padStart(2, '0')}`, name, attrs: { deviceIdPersistent: true, cartToken: null },
    deviceId: 'device-1', clientTimestamp: 1768467600000 + clientSequence, clientSequence, url: 'https://shop.example/products/x', referrer: '',
  });

  it('accepts the SDK\'s events with 202, keyless for the default store, and the control API reads them in order', async () => {
    const h = await fresh('on-preorder');
    const first = await track(h, '', event('page_view', 1));
    const second = await track(h, `?api_key=${credentials.public_api_key}`, event('integration.product_viewed', 2));
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.body.data).toEqual({ accepted: true, seq: first.body.data.seq + 1 });
    const kept = (await h.control('GET', '/__sim/tracked-events')).body.data;
    expect(kept.map((e: any) => e.event)).toEqual([event('page_view', 1), event('integration.product_viewed', 2)]);
    expect(kept[0]).toMatchObject({ store: 'default', received_at: h.sim.engine.defaultStore().clock.now().toISOString() });
    const viewed = (await h.control('GET', '/__sim/tracked-events?name=integration.product_viewed')).body.data;
    expect(viewed.map((e: any) => e.seq)).toEqual([second.body.data.seq]);
  });

  it('files an event sent with a shop domain under that store only', async () => {
    const h = await fresh('on-preorder');
    const other = (await h.control('POST', '/__sim/stores', { scenario: 'sold-out' })).body.data;
    expect((await track(h, `?shop=${other.shop_domain}`, event('checkout_loaded', 1))).status).toBe(202);
    expect((await h.control('GET', `/__sim/stores/${other.id}/tracked-events`)).body.data.map((e: any) => e.event.name)).toEqual(['checkout_loaded']);
    expect((await h.control('GET', '/__sim/tracked-events')).body.data).toEqual([]);
  });

  it('keeps events out of the store\'s state: no snapshot carries them and a reset keeps them', async () => {
    const h = await fresh('on-preorder');
    const before = (await h.control('GET', '/__sim/snapshot')).body.data;
    await track(h, '', event('pre_order_created', 1));
    expect((await h.control('GET', '/__sim/snapshot')).body.data).toEqual(before);
    await h.control('POST', '/__sim/reset');
    expect((await h.control('GET', '/__sim/tracked-events')).body.data).toHaveLength(1);
  });

  it('keeps only the newest 1,000 events of a store', async () => {
    const h = await fresh('on-preorder');
    for (let i = 1; i <= 1_005; i += 1) h.sim.engine.dispatch('trackEvent', { body: { name: 'page_view', clientSequence: i } });
    const kept = (await h.control('GET', '/__sim/tracked-events')).body.data;
    expect(kept).toHaveLength(1_000);
    expect(kept[0].event.clientSequence).toBe(6);
    expect(kept.at(-1).event.clientSequence).toBe(1_005);
  });

  it('refuses an event with an unknown shop domain, storing nothing', async () => {
    const h = await fresh('on-preorder');
    const res = await track(h, '?shop=nobody.myshopify.com', event('page_view', 1));
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'INVALID_SHOP', details: [{ field: 'shop' }] });
    expect((await h.control('GET', '/__sim/tracked-events')).body.data).toEqual([]);
  });
});
