import { describe, expect, it } from 'vitest';
import { signShopperToken } from '../../src/client/shopper-token.ts';
import { credentials, privateHeaders, type Harness } from '../support/simulator.ts';
import { fresh } from '../support/steps.ts';

/** Status, Link header (without this simulator's own host and port) and body text of a GET, byte for byte. */
async function raw(h: Harness, path: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${h.url}${path}`, { headers });
  return `${res.status} ${(res.headers.get('link') ?? '').replace(h.url, '')} ${await res.text()}`;
}

/** Every read the API offers over the state, as raw text. */
async function readEverything(h: Harness): Promise<Record<string, string>> {
  const key = `api_key=${credentials.public_api_key}`;
  const waitlists = (await h.privateGet('/admin/api/v1/waitlists', { limit: 100 })).body.data.waitlists;
  const orders = (await h.privateGet('/admin/api/v1/pre-orders', { limit: 200 })).body.data.orders;
  const skus = [...new Set(waitlists.flatMap((w: any) => w.availability.variants.map((v: any) => v.sku)))] as string[];
  const products = [...new Set(waitlists.map((w: any) => w.availability.product.product_id))] as string[];
  const variants = waitlists.flatMap((w: any) => w.availability.variants.map((v: any) => v.variant_id)) as string[];
  const clock = (await h.control('GET', '/__sim/clock')).body.data.now;
  const timestamp = Math.floor(Date.parse(clock) / 1000);
  const emails = [...new Set(orders.map((o: any) => o.customer.email))].slice(0, 3) as string[];

  const paths: [string, Record<string, string>][] = [
    ['/__sim/status', {}],
    ['/__sim/clock', {}],
    ['/admin/api/v1/waitlists?limit=100', privateHeaders],
    ['/admin/api/v1/pre-orders?limit=200', privateHeaders],
    ['/admin/api/v1/pre-orders?limit=3', privateHeaders],
    [`/admin/api/v1/pre-orders?updated_at_min=${encodeURIComponent('2000-01-01T00:00:00.000Z')}&limit=200`, privateHeaders],
    ['/admin/api/v1/pre-orders/count', privateHeaders],
    ['/admin/api/v1/fulfillment-orders?limit=250', privateHeaders],
    [`/api/v1/waitlists?${key}`, {}],
    ...skus.map((sku): [string, Record<string, string>] => [`/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent(sku)}`, privateHeaders]),
    ...products.map((id): [string, Record<string, string>] => [`/api/v1/availability?${key}&product_id=${id}`, {}]),
    ...variants.map((id): [string, Record<string, string>] => [`/api/v1/variants/preorder-state?${key}&variant_id=${id}`, {}]),
    ...emails.map((email): [string, Record<string, string>] => [
      `/api/v1/pre-orders?${key}&email=${encodeURIComponent(email)}&timestamp=${timestamp}&token=${signShopperToken(email, timestamp, credentials.shared_secret)}`, {},
    ]),
  ];
  const fulfillmentOrders = (await h.privateGet('/admin/api/v1/fulfillment-orders', { limit: 250 })).body.data.fulfillment_orders;
  for (const fo of fulfillmentOrders) paths.push([`/admin/api/v1/fulfillment-orders/${fo.id}`, privateHeaders]);

  const result: Record<string, string> = {};
  for (const [path, headers] of paths) result[path] = await raw(h, path, headers);
  return result;
}

/** A bit of everything: clock, placement, cancellation, export, fulfilment, refund, waitlist changes. */
async function mutate(h: Harness): Promise<void> {
  await h.control('POST', '/__sim/clock/advance', { seconds: 86_400 });
  const waitlists = (await h.privateGet('/admin/api/v1/waitlists', { limit: 100 })).body.data.waitlists;
  const live = waitlists.find((w: any) => w.state === 'LIVE' && w.availability.variants.some((v: any) => v.available > 1));
  const variant = live.availability.variants.find((v: any) => v.available > 1);
  const placed = await h.control('POST', '/__sim/pre-orders', { email: 'mutant@example.com', lines: [{ variant_id: variant.variant_id, quantity: 1 }] });
  expect(placed.status).toBe(201);
  const orders = (await h.privateGet('/admin/api/v1/pre-orders', { limit: 200 })).body.data.orders;
  const open = orders.find((o: any) => o.cancelled_at === null && o.line_items.every((l: any) => !l.cancelled && l.shopify_line_item_id === null));
  expect((await h.control('POST', `/__sim/pre-orders/${open.id}/cancel`, { reason: 'CUSTOMER' })).status).toBe(200);
  expect((await h.privatePost('/admin/api/v1/inventory', { sku: variant.sku, available_units: 50 })).status).toBe(201);
  const fos = (await h.privateGet('/admin/api/v1/fulfillment-orders', { limit: 250 })).body.data.fulfillment_orders;
  const unfulfilled = fos.find((fo: any) => fo.status === 'UNFULFILLED');
  expect((await h.privatePost('/admin/api/v1/fulfillment', { fulfillment: { fulfillment_order_id: unfulfilled.id, notify_customer: true } })).status).toBe(201);
  const exported = (await h.privateGet('/admin/api/v1/pre-orders', { some_line_item: 'exported', limit: 200 })).body.data.orders;
  const refundable = exported.find((o: any) => o.total_refunded === '0.00');
  expect((await h.privatePost('/admin/api/v1/refund', { id: 'mutation', order: refundable.exported_orders[0].id, amount: '1.00', currency: refundable.currency })).status).toBe(201);
  expect((await h.control('PATCH', `/__sim/waitlists/${live.id}`, { state: 'PAUSED' })).status).toBe(200);
}

function differences(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]);
}

describe('snapshots', () => {
  it('restore byte-identical API responses after mutations', async () => {
    const h = await fresh('partially-exported');
    const taken = await h.control('GET', '/__sim/snapshot');
    expect(taken.status).toBe(200);
    const before = await readEverything(h);

    await mutate(h);
    const mutated = await readEverything(h);
    expect(differences(before, mutated).length).toBeGreaterThan(5);

    const restored = await h.control('PUT', '/__sim/snapshot', taken.body.data);
    expect(restored.status).toBe(200);
    expect(differences(before, await readEverything(h))).toEqual([]);
  });

  it('export again as the same snapshot once restored', async () => {
    const h = await fresh('refund-window');
    const taken = (await h.control('GET', '/__sim/snapshot')).body.data;
    await mutate(h);
    expect((await h.control('PUT', '/__sim/snapshot', taken)).status).toBe(200);
    expect((await h.control('GET', '/__sim/snapshot')).body.data).toEqual(taken);
  });

  it('make the same change give the same result after a restore', async () => {
    const h = await fresh('partially-exported');
    const taken = (await h.control('GET', '/__sim/snapshot')).body.data;
    const waitlists = (await h.privateGet('/admin/api/v1/waitlists')).body.data.waitlists;
    const variant = waitlists[0].availability.variants.find((v: any) => v.available > 0);
    const change = async () => {
      await h.control('POST', '/__sim/clock/advance', { seconds: 42 });
      const placed = await h.control('POST', '/__sim/pre-orders', { email: 'again@example.com', lines: [{ variant_id: variant.variant_id, quantity: 1 }] });
      const posted = await h.privatePost('/admin/api/v1/inventory', { sku: variant.sku, available_units: 100 });
      const fos = await h.privateGet('/admin/api/v1/fulfillment-orders', { limit: 250 });
      expect([placed.status, posted.status, fos.status]).toEqual([201, 201, 200]);
      return [placed.body, posted.body, fos.body];
    };
    const first = await change();
    expect((await h.control('PUT', '/__sim/snapshot', taken)).status).toBe(200);
    expect(await change()).toEqual(first);
  });

  it('carry state into another simulator of the same scenario', async () => {
    const source = await fresh('on-preorder');
    await mutate(source);
    const taken = (await source.control('GET', '/__sim/snapshot')).body.data;
    const target = await fresh('on-preorder');
    expect((await target.control('PUT', '/__sim/snapshot', taken)).status).toBe(200);
    const [there, here] = [await readEverything(target), await readEverything(source)];
    expect(differences(there, here)).toEqual([]);
  });

  it('refuse a snapshot without stores with 400 and keep the current state', async () => {
    const h = await fresh('on-preorder');
    const before = await readEverything(h);
    const taken = (await h.control('GET', '/__sim/snapshot')).body.data;
    const res = await h.control('PUT', '/__sim/snapshot', { ...taken, stores: {} });
    expect(res.status).toBe(400);
    expect(differences(before, await readEverything(h))).toEqual([]);
  });
});

describe('POST /__sim/reset', () => {
  it('restores the loaded scenario and its clock', async () => {
    const h = await fresh('refund-window');
    const before = await readEverything(h);
    await mutate(h);
    expect(differences(before, await readEverything(h)).length).toBeGreaterThan(5);

    const res = await h.control('POST', '/__sim/reset');
    expect(res.status).toBe(200);
    expect(res.body.data.scenario).toBe('refund-window');
    expect(differences(before, await readEverything(h))).toEqual([]);
  });

  it('reloads the scenario and seed loaded last, not the one the simulator started with', async () => {
    const h = await fresh('on-preorder');
    const loaded = await h.control('POST', '/__sim/scenario', { name: 'sold-out', seed: 7 });
    expect(loaded.status).toBe(200);
    expect([loaded.body.data.scenario, loaded.body.data.seed]).toEqual(['sold-out', 7]);
    const before = await readEverything(h);
    await h.control('POST', '/__sim/clock/advance', { seconds: 3600 });
    const order = (await h.privateGet('/admin/api/v1/pre-orders')).body.data.orders[0];
    expect((await h.control('POST', `/__sim/pre-orders/${order.id}/cancel`, { reason: 'CUSTOMER' })).status).toBe(200);
    expect(differences(before, await readEverything(h)).length).toBeGreaterThan(0);

    const res = await h.control('POST', '/__sim/reset');
    expect([res.body.data.scenario, res.body.data.seed]).toEqual(['sold-out', 7]);
    expect(differences(before, await readEverything(h))).toEqual([]);
  });
});
