/**
 * Per-product waitlists (issue 14, item 8): a waitlist whose units the product's variants share, shown with
 * a product-level `buy_size` and `buy_size: null` on every variant (documented: units "by SKU or total").
 */
import { describe, expect, it } from 'vitest';
import type { Harness, Reply } from '../support/simulator.ts';
import { fresh } from '../support/steps.ts';

const SHIP = { earliest_ship_date: '2026-04-01T00:00:00.000Z', latest_ship_date: '2026-04-15T00:00:00.000Z' };

/**
 * The scenario's first product with two variants or more, freed for a new waitlist: its waitlist, if any, is
 * closed first (which cancels its open lines), as a merchant would before starting another.
 */
async function freeProduct(h: Harness): Promise<{ id: string; variants: string[] }> {
  const data = h.sim.engine.defaultStore().state.data;
  const product = data.products.find((p) => p.variant_ids.length > 1)!;
  const holder = data.waitlists.find((w) => w.product_id === product.id && ['SCHEDULED', 'LIVE', 'PAUSED'].includes(w.state));
  if (holder) expect((await h.control('PATCH', `/__sim/waitlists/${holder.id}`, { state: 'CLOSED' })).status).toBe(200);
  return { id: product.id, variants: product.variant_ids };
}

async function sharedWaitlist(h: Harness, units: number): Promise<{ waitlist: any; variants: string[]; productId: string }> {
  const product = await freeProduct(h);
  const res = await h.control('POST', '/__sim/waitlists', {
    product_id: product.id, state: 'LIVE', ...SHIP, buy_size: units, variants: product.variants.map((variant_id) => ({ variant_id })),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { waitlist: res.body.data, variants: product.variants, productId: product.id };
}

const place = (h: Harness, variant: string, quantity: number): Promise<Reply> =>
  h.control('POST', '/__sim/pre-orders', { email: 'shared@example.com', lines: [{ variant_id: variant, quantity }] });

describe('a per-product waitlist', () => {
  it('is created with a product-level buy_size and shows null buy sizes and availability on its variants', async () => {
    const h = await fresh('sold-out');
    const { waitlist, variants } = await sharedWaitlist(h, 6);
    expect(waitlist.availability.product).toMatchObject({ buy_size: 6, committed: 0, available: 6 });
    expect(waitlist.availability.variants.map((v: any) => v.variant_id)).toEqual(variants);
    for (const v of waitlist.availability.variants) expect(v).toMatchObject({ buy_size: null, committed: 0, available: null });
  });

  it('lets any variant take the shared units, and shows what is left on every variant of the public API', async () => {
    const h = await fresh('sold-out');
    const { waitlist, variants, productId } = await sharedWaitlist(h, 6);
    expect((await place(h, variants[0]!, 4)).status).toBe(201);
    const availability = (await h.publicGet('/api/v1/availability', { product_id: productId })).body.data;
    expect(availability.available_stock).toBe(2);
    for (const v of availability.variants) expect(v).toMatchObject({ available: true, available_stock: 2, waitlist_id: waitlist.id });
    const other = await h.publicGet('/api/v1/variants/preorder-state', { variant_id: variants[1]! });
    expect(other.body.data).toMatchObject({ state: 'ON_PREORDER', waitlist: { id: waitlist.id, units_left: 2 } });
    const list = await h.privateGet('/admin/api/v1/waitlists', { limit: 100 });
    const shown = list.body.data.waitlists.find((w: any) => w.id === waitlist.id);
    expect(shown.availability.product).toMatchObject({ buy_size: 6, committed: 4, available: 2 });
    expect(shown.availability.variants.map((v: any) => v.committed)).toEqual([4, ...variants.slice(1).map(() => 0)]);
  });

  it('refuses an order whose lines, over all the product\'s variants, want more than the shared units left', async () => {
    const h = await fresh('sold-out');
    const { waitlist, variants } = await sharedWaitlist(h, 3);
    const res = await h.control('POST', '/__sim/pre-orders', {
      email: 'greedy@example.com', lines: [{ variant_id: variants[0]!, quantity: 2 }, { variant_id: variants[1]!, quantity: 2 }],
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'INSUFFICIENT_WAITLIST_UNITS', details: [{ field: 'lines[1].quantity' }] });
    const after = (await h.privateGet('/admin/api/v1/waitlists', { limit: 100 })).body.data.waitlists.find((w: any) => w.id === waitlist.id);
    expect(after.availability.product.committed).toBe(0);
  });

  it('sells out every variant when the shared units are gone, and a cancellation gives them back to all', async () => {
    const h = await fresh('sold-out');
    const { variants, productId } = await sharedWaitlist(h, 2);
    const placed = await place(h, variants[0]!, 2);
    const handle = h.sim.engine.defaultStore().state.index.productsById.get(productId)!.handle;
    for (const variant of variants) expect((await h.publicGet('/api/v1/variants/preorder-state', { variant_id: variant })).body.data.state).toBe('SOLD_OUT');
    expect((await h.publicGet('/api/v1/products/preorder-state', { handle })).body.data.state).toBe('SOLD_OUT');
    expect((await h.control('POST', `/__sim/pre-orders/${placed.body.data.id}/cancel`, { reason: 'CUSTOMER' })).status).toBe(200);
    const last = variants.at(-1)!;
    expect((await h.publicGet('/api/v1/variants/preorder-state', { variant_id: last })).body.data).toMatchObject({ state: 'ON_PREORDER', waitlist: { units_left: 2 } });
  });

  it('takes a new product-level buy_size, never below the units committed', async () => {
    const h = await fresh('sold-out');
    const { waitlist, variants } = await sharedWaitlist(h, 5);
    expect((await place(h, variants[0]!, 3)).status).toBe(201);
    const below = await h.control('PATCH', `/__sim/waitlists/${waitlist.id}`, { buy_size: 2 });
    expect(below.status).toBe(409);
    expect(below.body.error).toMatchObject({ code: 'BUY_SIZE_BELOW_COMMITTED', details: [{ field: 'buy_size' }] });
    const raised = await h.control('PATCH', `/__sim/waitlists/${waitlist.id}`, { buy_size: 10 });
    expect(raised.status).toBe(200);
    expect(raised.body.data.availability.product).toMatchObject({ buy_size: 10, committed: 3, available: 7 });
  });

  it('refuses a request that gives both a product-level and a variant buy size with 400 naming the variant\'s', async () => {
    const h = await fresh('sold-out');
    const product = await freeProduct(h);
    const res = await h.control('POST', '/__sim/waitlists', {
      product_id: product.id, state: 'LIVE', ...SHIP, buy_size: 5, variants: [{ variant_id: product.variants[0]!, buy_size: 2 }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ field: 'variants[0].buy_size', problem: expect.stringContaining('shared by the product') }]);
    const none = await h.control('POST', '/__sim/waitlists', { product_id: product.id, state: 'LIVE', ...SHIP, variants: [{ variant_id: product.variants[0]! }] });
    expect(none.status).toBe(400);
    expect(none.body.error.details[0].field).toBe('variants[0].buy_size');
  });

  it('refuses to change the kind of a waitlist with 409 BUY_SIZE_MISMATCH naming the field', async () => {
    const h = await fresh('sold-out');
    const { waitlist, variants } = await sharedWaitlist(h, 5);
    const own = await h.control('PATCH', `/__sim/waitlists/${waitlist.id}`, { variants: [{ variant_id: variants[0]!, buy_size: 3 }] });
    expect(own.status).toBe(409);
    expect(own.body.error).toMatchObject({ code: 'BUY_SIZE_MISMATCH', details: [{ field: 'variants[0].buy_size' }] });
    const perVariant = h.sim.engine.defaultStore().state.data.waitlists.find((w) => w.product_buy_size === null && w.state === 'LIVE')!;
    const shared = await h.control('PATCH', `/__sim/waitlists/${perVariant.id}`, { buy_size: 10 });
    expect(shared.status).toBe(409);
    expect(shared.body.error).toMatchObject({ code: 'BUY_SIZE_MISMATCH', details: [{ field: 'buy_size' }] });
  });

  it('survives a snapshot round trip, and an import that mixes the two kinds is refused', async () => {
    const h = await fresh('mixed-catalogue');
    const snapshot = (await h.control('GET', '/__sim/snapshot')).body.data;
    expect((await h.control('PUT', '/__sim/snapshot', snapshot)).status).toBe(200);
    expect((await h.control('GET', '/__sim/snapshot')).body.data).toEqual(snapshot);
    const store = Object.values(snapshot.stores)[0] as any;
    const shared = store.waitlists.find((w: any) => w.product_buy_size !== null);
    shared.allocations[0].buy_size = 4;
    const res = await h.control('PUT', '/__sim/snapshot', snapshot);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_SNAPSHOT');
  });
});

describe('the scenarios with a per-product waitlist', () => {
  it('mixed-catalogue shares 12 units over three variants, 5 taken, so the one with no sales of its own has 7', async () => {
    const h = await fresh('mixed-catalogue');
    const data = h.sim.engine.defaultStore().state.data;
    const waitlist = data.waitlists.find((w) => w.product_buy_size !== null)!;
    expect(waitlist).toMatchObject({ state: 'LIVE', product_buy_size: 12 });
    const product = data.products.find((p) => p.id === waitlist.product_id)!;
    const availability = (await h.publicGet('/api/v1/availability', { product_id: product.id })).body.data;
    expect(availability.available_stock).toBe(7);
    expect(availability.variants.map((v: any) => v.available_stock)).toEqual([7, 7, 7]);
    const private_ = (await h.privateGet('/admin/api/v1/waitlists', { limit: 100 })).body.data.waitlists.find((w: any) => w.id === waitlist.id);
    expect(private_.availability.variants.map((v: any) => [v.buy_size, v.committed, v.available])).toEqual([[null, 3, null], [null, 2, null], [null, 0, null]]);
  });

  it('sold-out sells out a variant none of whose units were sold, because the shared units are gone', async () => {
    const h = await fresh('sold-out');
    const data = h.sim.engine.defaultStore().state.data;
    const waitlist = data.waitlists.find((w) => w.product_buy_size !== null)!;
    const unsold = waitlist.allocations.find((a) => a.committed === 0)!;
    expect(unsold.buy_size).toBeNull();
    const state = await h.publicGet('/api/v1/variants/preorder-state', { variant_id: unsold.variant_id });
    expect(state.body.data).toMatchObject({ state: 'SOLD_OUT', waitlist: { id: waitlist.id, units_left: 0 } });
  });
});
