/**
 * The "done when" of webhooks: a real HTTP receiver subscribed through the control API gets every event
 * type, signed, with the documented headers and bodies the spec's `webhooks` section describes; the
 * delivery log shows exactly what the receiver saw.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StoreData, Waitlist } from '../../src/domain/types.ts';
import { verifyWebhookSignature } from '../../src/index.ts';
import { credentials, privateHeaders, useHarness } from '../support/simulator.ts';
import { startReceiver, webhookBodyProblems, type Receiver } from './receiver.ts';

const h = useHarness({ scenario: 'on-preorder' });
let receiver: Receiver | undefined;
afterEach(async () => {
  for (const { id } of (await h().control('GET', '/__sim/webhooks')).body.data) await h().control('DELETE', `/__sim/webhooks/${id}`);
  await receiver?.close();
  receiver = undefined;
});

const data = (): StoreData => h().sim.engine.defaultStore().state.data;
const liveWaitlist = (): Waitlist => data().waitlists.find((w) => w.state === 'LIVE' && w.allocations.some((a) => (a.buy_size ?? 0) > a.committed + 3))!;

async function control(method: string, path: string, body?: unknown, status = method === 'POST' ? 201 : 200) {
  const res = await h().control(method, path, body);
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  return res.body.data;
}

describe('webhooks to a real HTTP receiver', () => {
  it('delivers every event type, signed with the shared secret, with the documented headers and bodies', async () => {
    receiver = await startReceiver();
    const subscription = await control('POST', '/__sim/webhooks', { url: receiver.url });
    expect(subscription.events).toHaveLength(7);

    const waitlist = liveWaitlist();
    const allocation = waitlist.allocations.find((a) => (a.buy_size ?? 0) > a.committed + 3)!;
    const variant = data().variants.find((v) => v.id === allocation.variant_id)!;
    // pre_order.created and waitlist.pre_orders_changed
    const kept = await control('POST', '/__sim/pre-orders', { email: 'kept@example.com', lines: [{ variant_id: variant.id, quantity: 1 }] });
    const dropped = await control('POST', '/__sim/pre-orders', { email: 'dropped@example.com', lines: [{ variant_id: variant.id, quantity: 1 }] });
    // pre_order.cancelled
    await control('POST', `/__sim/pre-orders/${dropped.id}/cancel`, { reason: 'customer changed their mind' }, 200);
    // waitlist.stock_changed
    await control('PATCH', `/__sim/waitlists/${waitlist.id}`, { variants: [{ variant_id: variant.id, buy_size: allocation.buy_size! + 5 }] });
    // pre_order.updated: stock arrives and the export job takes the open lines
    const inventory = await h().request('POST', '/admin/api/v1/inventory', { body: { sku: variant.sku, available_units: 10_000 }, headers: privateHeaders });
    expect(inventory.status).toBe(201);
    await control('POST', '/__sim/exports/run', undefined, 200);
    // waitlist.created, on a product with no waitlist open
    const covered = new Set(data().waitlists.filter((w) => w.state !== 'CLOSED').map((w) => w.product_id));
    const product = data().products.find((p) => !covered.has(p.id)) ?? data().products.find((p) => p.id !== waitlist.product_id)!;
    await control('POST', '/__sim/waitlists', {
      product_id: product.id, earliest_ship_date: '2026-06-01T00:00:00.000Z', latest_ship_date: '2026-07-01T00:00:00.000Z',
      variants: product.variant_ids.map((id) => ({ variant_id: id, buy_size: 10 })),
    });
    // waitlist.paused
    await control('PATCH', `/__sim/waitlists/${waitlist.id}`, { state: 'PAUSED' });

    await h().sim.webhooks.idle();
    const log = h().sim.webhooks.deliveries();
    const seen = new Set(log.map((d) => d.event));
    expect([...seen].sort()).toEqual([
      'pre_order.cancelled', 'pre_order.created', 'pre_order.updated',
      'waitlist.created', 'waitlist.paused', 'waitlist.pre_orders_changed', 'waitlist.stock_changed',
    ]);
    const received = await receiver.waitFor(log.length);
    expect(received).toHaveLength(log.length);

    for (const [i, request] of received.entries()) {
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/hooks');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['x-pd-api-key']).toBe(credentials.public_api_key);
      expect(verifyWebhookSignature(request.rawBody, request.headers['x-pd-hmac-sha256'], credentials.shared_secret)).toBe(true);
      expect(request.headers['x-pd-timestamp']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const entry = log[i]!;
      // The log holds exactly what the receiver got, in the order it got it.
      expect(request.rawBody.toString('utf8')).toBe(entry.body);
      expect(request.headers['x-pd-hmac-sha256']).toBe(entry.headers['X-PD-Hmac-Sha256']);
      expect(request.headers['x-pd-timestamp']).toBe(entry.event_at);
      expect(entry).toMatchObject({ attempt: 1, status: 200, error: null, fault: null, subscription_id: subscription.id, url: receiver.url });
      const problems = webhookBodyProblems(entry.webhook === 'preOrderWebhook' ? 'preOrderEvent' : 'waitlistStock', request.body);
      expect(problems, entry.event).toEqual([]);
      if (entry.webhook === 'preOrderWebhook') expect(request.body.event).toBe(entry.event);
    }

    const created = received.find((r) => r.body.event === 'pre_order.created' && r.body.data.id === kept.id)!;
    expect(created.body.data).toEqual(kept);
    expect(created.headers['x-pd-timestamp']).toBe(kept.created_at);
    const paused = log.find((d) => d.event === 'waitlist.paused')!;
    expect(JSON.parse(paused.body).data.id).toBe(waitlist.product_id);
  });

  it("keeps one pre-order's webhooks in the order they happened", async () => {
    receiver = await startReceiver();
    await control('POST', '/__sim/webhooks', { url: receiver.url, events: ['pre_order.created', 'pre_order.cancelled'] });
    const variantId = liveWaitlist().allocations.find((a) => (a.buy_size ?? 0) > a.committed + 3)!.variant_id;
    const order = await control('POST', '/__sim/pre-orders', { email: 'order@example.com', lines: [{ variant_id: variantId, quantity: 2 }] });
    await control('POST', `/__sim/pre-orders/${order.id}/cancel`, { reason: 'test' }, 200);
    await h().sim.webhooks.idle();
    const received = await receiver.waitFor(2);
    expect(received.map((r) => r.body.event)).toEqual(['pre_order.created', 'pre_order.cancelled']);
    expect(received.every((r) => r.body.data.id === order.id)).toBe(true);
  });
});
