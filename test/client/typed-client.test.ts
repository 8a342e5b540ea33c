import { describe, expect, it } from 'vitest';
import { createControlClient, createPurpleDotClient, signShopperToken } from '../../src/index.ts';
import { credentials, useHarness } from '../support/simulator.ts';

describe('the typed client against a running simulator', () => {
  const h = useHarness({ scenario: 'ready-to-fulfil' });
  const client = () => createPurpleDotClient({ baseUrl: h().url, apiKey: credentials.public_api_key, accessToken: credentials.private_access_token });

  it('adds the public key to public calls and reads typed data', async () => {
    const { data, response } = await client().GET('/api/v1/waitlists');
    expect(response.status).toBe(200);
    expect(data?.data.map((w) => w.state)).toContain('OPEN');
  });

  it('adds the access token to private calls and pages with the cursor the body returns', async () => {
    const first = await client().GET('/admin/api/v1/pre-orders', { params: { query: { limit: 3 } } });
    expect(first.data?.data.orders).toHaveLength(3);
    expect(first.data?.data.has_more).toBe(true);
    const second = await client().GET('/admin/api/v1/pre-orders', {
      params: { query: { limit: 3, starting_after: first.data!.data.starting_after! } },
    });
    const all = await client().GET('/admin/api/v1/pre-orders', { params: { query: { limit: 200 } } });
    const ids = all.data!.data.orders.map((o) => o.id);
    expect(first.data!.data.orders.map((o) => o.id)).toEqual(ids.slice(0, 3));
    expect(second.data!.data.orders.map((o) => o.id)).toEqual(ids.slice(3, 6));
  });

  it('fulfils an order through typed path parameters and bodies', async () => {
    const list = await client().GET('/admin/api/v1/fulfillment-orders');
    const order = list.data!.data.fulfillment_orders[0]!;
    const made = await client().POST('/admin/api/v1/fulfillment', {
      body: { fulfillment: { fulfillment_order_id: order.id, notify_customer: true } },
    });
    expect(made.response.status).toBe(201);
    const read = await client().GET('/admin/api/v1/fulfillment-orders/{id}', { params: { path: { id: order.id } } });
    expect(read.data?.data.status).toBe('FULFILLED');
  });

  it('reads a shopper\'s pre-orders with a token from signShopperToken', async () => {
    const order = h().sim.engine.defaultStore().state.data.pre_orders[0]!;
    const timestamp = Math.floor(h().sim.engine.defaultStore().clock.nowMs() / 1000);
    const token = signShopperToken(order.email, timestamp, credentials.shared_secret);
    const { data, response } = await client().GET('/api/v1/pre-orders', { params: { query: { email: order.email, timestamp, token } } });
    expect(response.status).toBe(200);
    expect(data?.data.orders.map((o) => o.id)).toContain(order.id);
  });

  it('returns the error envelope as typed error data', async () => {
    const { error, response } = await createPurpleDotClient({ baseUrl: h().url, accessToken: 'wrong' }).GET('/admin/api/v1/waitlists');
    expect(response.status).toBe(401);
    expect(error?.error.code).toBe('INVALID_ACCESS_TOKEN');
  });

  it('drives the control API with createControlClient', async () => {
    const control = createControlClient({ baseUrl: h().url });
    const before = await control.GET('/__sim/clock');
    const after = await control.POST('/__sim/clock/advance', { body: { seconds: 60 } });
    expect(Date.parse(after.data!.data.now) - Date.parse(before.data!.data.now)).toBe(60_000);
  });
});

describe('signShopperToken', () => {
  it('is the lowercase hex HMAC-SHA256 of email:timestamp keyed with the shared secret', async () => {
    const { createHmac } = await import('node:crypto');
    const expected = createHmac('sha256', 'secret').update('a@b.c:1700000000').digest('hex');
    expect(signShopperToken('a@b.c', 1_700_000_000, 'secret')).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });
});
