/** No body can bring the simulator down: over its limit, even when it arrives compressed, it is a 413 in the envelope. */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { privateHeaders, useHarness } from '../support/simulator.ts';

describe('request body limits', () => {
  const h = useHarness();
  const inventory = (body: Uint8Array, headers: Record<string, string> = {}) =>
    fetch(`${h().url}/admin/api/v1/inventory`, { method: 'POST', headers: { ...privateHeaders, 'Content-Type': 'application/json', ...headers }, body: new Blob([new Uint8Array(body)]) });

  it('answers a body over 1 MB with 413 BODY_TOO_LARGE naming the body, and changes nothing', async () => {
    const before = (await h().control('GET', '/__sim/snapshot')).body;
    const big = Buffer.from(JSON.stringify({ sku: 'X'.repeat(1_100_000), available_units: 1 }));
    const res = await inventory(big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ meta: { result: 'error' }, error: { code: 'BODY_TOO_LARGE', details: [{ field: 'body', problem: 'is over the 1 MB limit' }] } });
    expect((await h().control('GET', '/__sim/snapshot')).body).toEqual(before);
  });

  it('counts a gzip body after inflating it: 30 KB that would inflate to 5 MB is refused the same way', async () => {
    const bomb = gzipSync(Buffer.from(`{"sku":"${' '.repeat(5_000_000)}","available_units":1}`));
    expect(bomb.length).toBeLessThan(50_000);
    const res = await inventory(bomb, { 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('BODY_TOO_LARGE');
  });

  it('still takes a gzip body that inflates within the limit', async () => {
    const sku = h().sim.engine.defaultStore().state.data.variants[0]!.sku;
    const res = await inventory(gzipSync(Buffer.from(JSON.stringify({ sku, available_units: 2 }))), { 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(201);
  });
});

describe('closed shapes and caps on what is stored', () => {
  const h = useHarness();
  /** JSON nested `levels` deep, written out by hand: JSON.stringify itself would run out of stack. */
  const deepJson = (levels: number): string => `${'{"a":'.repeat(levels)}"bottom"${'}'.repeat(levels)}`;
  const address = {
    first_name: 'Ada', last_name: 'Lovelace', address1: '1 Main Street', address2: null, city: 'Portland', postal_code: '97201',
    province_code: 'OR', country: 'United States', country_code: 'US', phone: null,
  };
  const variant = () => h().sim.engine.defaultStore().state.data.waitlists[0]!.allocations[0]!.variant_id;
  const count = () => h().sim.engine.defaultStore().state.data.pre_orders.length;

  it('refuses a placement whose address carries a field nested 5,000 deep, naming it, and stores nothing', async () => {
    const before = count();
    const body = JSON.stringify({ email: 'deep@example.com', lines: [{ variant_id: variant(), quantity: 1 }], shipping_address: { ...address, notes: 'NOTES' } })
      .replace('"NOTES"', deepJson(5_000));
    const res = await h().request('POST', '/__sim/pre-orders', { raw: body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toContainEqual({ field: 'shipping_address.notes', problem: 'is not a field this accepts' });
    expect(count()).toBe(before);
    // Every later answer is still whole: the list and a snapshot.
    expect((await h().privateGet('/admin/api/v1/pre-orders', { limit: 200 })).status).toBe(200);
    expect((await h().control('GET', '/__sim/snapshot')).status).toBe(200);
  });

  it('refuses an unknown field of a placement and strings over their caps, naming each', async () => {
    const res = await h().control('POST', '/__sim/pre-orders', {
      email: 'caps@example.com', lines: [{ variant_id: variant(), quantity: 1 }], discount_codes: ['X'.repeat(101)], gift: true,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining(['gift', 'discount_codes[0]']));
  });

  it('refuses a SKU over 255 characters on POST /inventory, so no request stores an unbounded string', async () => {
    const res = await h().privatePost('/admin/api/v1/inventory', { sku: 'S'.repeat(256), available_units: 1 });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('sku');
  });
});

describe('caps on what refunds and fulfilments store or scan', () => {
  const h = useHarness({ scenario: 'ready-to-fulfil' });

  it('refuses a refund idempotency key over 255 characters, naming id, and records no refund', async () => {
    const res = await h().privatePost('/admin/api/v1/refund', { id: 'K'.repeat(256), order: 'any', shipping: true });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(['id']);
    expect(h().sim.engine.defaultStore().state.data.refunds).toEqual([]);
  });

  it('refuses fulfilment and refund line lists over 1,000 entries, naming line_items', async () => {
    const many = Array.from({ length: 1_001 }, () => ({ id: 'line', quantity: 1 }));
    const [order] = (await h().privateGet('/admin/api/v1/fulfillment-orders', { limit: 1 })).body.data.fulfillment_orders;
    const fulfil = await h().privatePost('/admin/api/v1/fulfillment', { fulfillment: { fulfillment_order_id: order.id, line_items: many } });
    expect(fulfil.status).toBe(400);
    expect(fulfil.body.error.details.map((d: { field: string }) => d.field)).toEqual(['fulfillment.line_items']);
    const refund = await h().privatePost('/admin/api/v1/refund', { id: 'r-1', order: 'any', line_items: many });
    expect(refund.status).toBe(400);
    expect(refund.body.error.details.map((d: { field: string }) => d.field)).toEqual(['line_items']);
  });
});

describe('what fuzzing found, fixed', () => {
  const h = useHarness();

  it('refuses a fulfilment whose tracking carries an unknown field, naming it', async () => {
    const fo = '00000000-0000-4000-8000-000000000000';
    const res = await h().privatePost('/admin/api/v1/fulfillment', { fulfillment: { fulfillment_order_id: fo, tracking_info: { number: '1Z', extra: { a: 1 } } } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toContainEqual({ field: 'fulfillment.tracking_info.extra', problem: 'is not a field this accepts' });
  });

  it('refuses a snapshot nested far deeper than a store, and every later export still answers', async () => {
    const taken = (await h().control('GET', '/__sim/snapshot')).body.data;
    let deep: unknown = [];
    for (let i = 0; i < 2_000; i += 1) deep = [deep];
    const store = Object.keys(taken.stores)[0]!;
    const spoiled = { ...taken, stores: { [store]: { ...taken.stores[store], settings: { ...taken.stores[store].settings, extra: 'DEEP' } } } };
    const body = JSON.stringify(spoiled).replace('"DEEP"', JSON.stringify(deep));
    const res = await h().request('PUT', '/__sim/snapshot', { raw: body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_SNAPSHOT');
    expect((await h().control('GET', '/__sim/snapshot')).status).toBe(200);
  });

  it('refuses a field nested 5,000 deep where the shape is open with 400 naming the field, and changes nothing', async () => {
    const [waitlist] = (await h().privateGet('/admin/api/v1/waitlists')).body.data.waitlists;
    const before = (await h().control('GET', '/__sim/snapshot')).body;
    // Written out by hand: JSON.stringify itself runs out of stack on such a value.
    const deep = `${'{"deeper":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    const res = await h().request('PATCH', `/__sim/waitlists/${waitlist.id}`, { raw: `{"state":"PAUSED","notes":${deep}}`, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ field: 'notes', problem: 'nests deeper than 40 levels, which no request of either API does' }]);
    expect((await h().control('GET', '/__sim/snapshot')).body).toEqual(before);
  });

  it('refuses a snapshot seed past 4294967295, as a scenario load does', async () => {
    const taken = (await h().control('GET', '/__sim/snapshot')).body.data;
    const res = await h().control('PUT', '/__sim/snapshot', { ...taken, seed: 9_007_199_254_740_992 });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('seed');
  });

  it('answers an empty SKU given in-process with 400 naming it, the statuses countSkuUnits declares', () => {
    const answer = h().sim.engine.dispatchRaw('countSkuUnits', { headers: { 'x-purple-dot-access-token': 'pd_sim_private_access_token' }, path: { sku: '' } });
    expect(answer.status).toBe(400);
    expect((answer.body as { error: { details: { field: string }[] } }).error.details[0]!.field).toBe('sku');
  });
});
