/**
 * Subscriptions as store state, receiver faults through the control API, in-process subscribers, and the
 * signature helper integrators verify with.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.ts';
import type { StateOperation } from '../../src/engine/state-log.ts';
import { verifyWebhookSignature } from '../../src/index.ts';
import { signWebhookBody } from '../../src/webhooks/signature.ts';
import { credentials, useHarness } from '../support/simulator.ts';
import { startReceiver, type Receiver } from './receiver.ts';

const h = useHarness({ scenario: 'on-preorder' });
let receiver: Receiver | undefined;
afterEach(async () => {
  for (const { id } of (await h().control('GET', '/__sim/webhooks')).body.data) await h().control('DELETE', `/__sim/webhooks/${id}`);
  await h().control('PUT', '/__sim/webhooks/settings', {});
  await receiver?.close();
  receiver = undefined;
});

const liveVariant = (): string => h().sim.engine.defaultStore().state.data.waitlists
  .filter((w) => w.state === 'LIVE').flatMap((w) => w.allocations).find((a) => (a.buy_size ?? 0) > a.committed + 2)!.variant_id;

async function place(email: string): Promise<{ id: string }> {
  const res = await h().control('POST', '/__sim/pre-orders', { email, lines: [{ variant_id: liveVariant(), quantity: 1 }] });
  expect(res.status).toBe(201);
  return res.body.data;
}

describe('webhook subscriptions', () => {
  it('refuses a URL that is not http(s) with 400 naming url, and stores nothing', async () => {
    for (const url of ['ftp://example.com/hooks', 'not a url', 'file:///etc/passwd', 'mailto:a@example.com']) {
      const res = await h().control('POST', '/__sim/webhooks', { url });
      expect(res.status, url).toBe(400);
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain('url');
    }
    expect((await h().control('GET', '/__sim/webhooks')).body.data).toEqual([]);
  });

  it('lists, removes and refuses an unknown subscription with 404 UNKNOWN_WEBHOOK', async () => {
    const added = (await h().control('POST', '/__sim/webhooks', { url: 'http://127.0.0.1:9/a', events: ['pre_order.cancelled', 'pre_order.created'] })).body.data;
    expect(added.events).toEqual(['pre_order.created', 'pre_order.cancelled']);
    expect((await h().control('GET', '/__sim/webhooks')).body.data).toEqual([added]);
    expect((await h().control('DELETE', `/__sim/webhooks/${added.id}`)).body.data).toEqual(added);
    const again = await h().control('DELETE', `/__sim/webhooks/${added.id}`);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('UNKNOWN_WEBHOOK');
    // Ids are never handed out twice.
    const next = (await h().control('POST', '/__sim/webhooks', { url: 'http://127.0.0.1:9/b' })).body.data;
    expect(next.id).not.toBe(added.id);
  });

  it('refuses a 21st subscription with 409 TOO_MANY_WEBHOOKS naming url', async () => {
    for (let i = 0; i < 20; i += 1) expect((await h().control('POST', '/__sim/webhooks', { url: `http://127.0.0.1:9/${i}` })).status).toBe(201);
    const res = await h().control('POST', '/__sim/webhooks', { url: 'http://127.0.0.1:9/21' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'TOO_MANY_WEBHOOKS', details: [{ field: 'url' }] });
  });

  it('keeps subscriptions per store, in snapshots and through a reset', async () => {
    const store = (await h().control('POST', '/__sim/stores', { scenario: 'on-preorder' })).body.data;
    try {
      const added = (await h().control('POST', `/__sim/stores/${store.id}/webhooks`, { url: 'http://127.0.0.1:9/store' })).body.data;
      expect((await h().control('GET', '/__sim/webhooks')).body.data).toEqual([]);
      expect((await h().control('GET', `/__sim/stores/${store.id}/webhooks`)).body.data).toEqual([added]);
      expect((await h().control('POST', `/__sim/stores/${store.id}/reset`)).status).toBe(200);
      expect((await h().control('GET', `/__sim/stores/${store.id}/webhooks`)).body.data).toEqual([added]);
      const snapshot = (await h().control('GET', `/__sim/stores/${store.id}/snapshot`)).body.data;
      expect((await h().control('PUT', '/__sim/snapshot', snapshot)).status).toBe(200);
      expect((await h().control('GET', '/__sim/webhooks')).body.data).toEqual([added]);
      expect((await h().control('GET', `/__sim/stores/${store.id}/webhooks/deliveries`)).status).toBe(200);
      expect((await h().control('GET', `/__sim/stores/nope/webhooks`)).status).toBe(404);
    } finally {
      await h().control('DELETE', `/__sim/stores/${store.id}`);
      await h().control('POST', '/__sim/reset');
    }
  });

  it('replays subscriptions and settings from the state log into a second engine', () => {
    const records: StateOperation[] = [];
    const engine = createEngine({ stateLog: { append: async (record: StateOperation) => void records.push(record) } });
    const base = engine.checkpoint();
    expect(engine.dispatch('addWebhook', { body: { url: 'http://127.0.0.1:9/x' } }).status).toBe(201);
    expect(engine.dispatch('setWebhookSettings', { body: { timeout_ms: 10 } }).status).toBe(200);
    const replayed = createEngine({ restore: { base, operations: records } });
    expect(replayed.defaultStore().state.data.webhooks).toEqual(engine.defaultStore().state.data.webhooks);
    engine.close();
    replayed.close();
  });

  it('refuses a snapshot whose subscriptions share an id with 400 INVALID_SNAPSHOT', async () => {
    await h().control('POST', '/__sim/webhooks', { url: 'http://127.0.0.1:9/x' });
    const snapshot = (await h().control('GET', '/__sim/snapshot')).body.data;
    const data = snapshot.stores.default;
    data.webhooks.subscriptions.push({ ...data.webhooks.subscriptions[0] });
    const res = await h().control('PUT', '/__sim/snapshot', snapshot);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_SNAPSHOT');
  });
});

describe('receiver faults', () => {
  it('sends a duplicate, byte for byte, when the duplicate fault is on', async () => {
    receiver = await startReceiver();
    expect((await h().control('PUT', '/__sim/webhooks/settings', { faults: { duplicate: 1 } })).status).toBe(200);
    await h().control('POST', '/__sim/webhooks', { url: receiver.url, events: ['pre_order.created'] });
    await place('dup@example.com');
    await h().sim.webhooks.idle();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[0]!.rawBody.equals(receiver.received[1]!.rawBody)).toBe(true);
    expect(h().sim.webhooks.deliveries().filter((d) => d.url === receiver!.url).map((d) => d.fault)).toEqual([null, 'duplicate']);
  });

  it('sends a signature that does not verify when the tampered_signature fault is on', async () => {
    receiver = await startReceiver();
    await h().control('PUT', '/__sim/webhooks/settings', { faults: { tampered_signature: 1 } });
    await h().control('POST', '/__sim/webhooks', { url: receiver.url, events: ['pre_order.created'] });
    await place('tamper@example.com');
    await h().sim.webhooks.idle();
    const [request] = receiver.received;
    expect(verifyWebhookSignature(request!.rawBody, request!.headers['x-pd-hmac-sha256'], credentials.shared_secret)).toBe(false);
    expect(h().sim.webhooks.deliveries().at(-1)!.fault).toBe('tampered_signature');
  });

  it("sends a pre-order's creation after its cancellation when the out_of_order fault is on", async () => {
    receiver = await startReceiver();
    await h().control('PUT', '/__sim/webhooks/settings', { faults: { out_of_order: 1 }, backoff_ms: [0, 0] });
    await h().control('POST', '/__sim/webhooks', { url: receiver.url, events: ['pre_order.created', 'pre_order.cancelled'] });
    const order = await place('ooo@example.com');
    expect((await h().control('POST', `/__sim/pre-orders/${order.id}/cancel`, { reason: 'test' })).status).toBe(200);
    await h().sim.webhooks.idle();
    expect(receiver.received.map((r) => r.body.event)).toEqual(['pre_order.cancelled', 'pre_order.created']);
  });

  it('holds a webhook back until the store clock passes delay_ms when the delay fault is on', async () => {
    receiver = await startReceiver();
    await h().control('PUT', '/__sim/webhooks/settings', { faults: { delay: 1, delay_ms: 60_000 } });
    await h().control('POST', '/__sim/webhooks', { url: receiver.url, events: ['pre_order.created'] });
    await place('late@example.com');
    let idle = false;
    const settled = h().sim.webhooks.idle().then(() => (idle = true));
    // Nothing was sent while the delay runs (a control round trip lets the delivery start if it were going to).
    await h().control('GET', '/__sim/webhooks');
    expect(idle).toBe(false);
    expect(receiver.received).toHaveLength(0);
    await h().control('POST', '/__sim/clock/advance', { seconds: 60 });
    await settled;
    expect(receiver.received).toHaveLength(1);
    expect(h().sim.webhooks.deliveries().at(-1)!.fault).toBe('delay');
  });

  it('draws the same faults from the same seed', async () => {
    const runs: (string | null)[][] = [];
    for (let run = 0; run < 2; run += 1) {
      receiver = await startReceiver();
      await h().control('PUT', '/__sim/webhooks/settings', { faults: { tampered_signature: 0.5, seed: 42 } });
      const sub = (await h().control('POST', '/__sim/webhooks', { url: receiver.url, events: ['pre_order.created'] })).body.data;
      for (let i = 0; i < 8; i += 1) await place(`seed${i}@example.com`);
      await h().sim.webhooks.idle();
      runs.push(h().sim.webhooks.deliveries().filter((d) => d.subscription_id === sub.id).map((d) => d.fault));
      await h().control('DELETE', `/__sim/webhooks/${sub.id}`);
      await receiver.close();
    }
    receiver = undefined;
    expect(runs[0]).toEqual(runs[1]);
    expect(new Set(runs[0])).toEqual(new Set([null, 'tampered_signature']));
  });
});

describe('in-process subscribers', () => {
  it('hear every webhook with its body and signed headers, without any receiver', async () => {
    const heard: { event: string; rawBody: string; signature: string }[] = [];
    const off = h().sim.webhooks.on('*', (n) => heard.push({ event: n.event, rawBody: n.rawBody, signature: n.headers['X-PD-Hmac-Sha256']! }));
    const order = await place('inproc@example.com');
    await h().sim.webhooks.idle();
    off();
    expect(heard.map((n) => n.event)).toEqual(['pre_order.created', 'waitlist.pre_orders_changed']);
    expect(JSON.parse(heard[0]!.rawBody).data.id).toBe(order.id);
    expect(heard.every((n) => verifyWebhookSignature(n.rawBody, n.signature, credentials.shared_secret))).toBe(true);
  });

  it('are not sent over the network by a bare engine, which logs the delivery as not sent', async () => {
    const engine = createEngine();
    expect(engine.dispatch('addWebhook', { body: { url: 'http://127.0.0.1:9/x' } }).status).toBe(201);
    const variant = engine.defaultStore().state.data.waitlists.filter((w) => w.state === 'LIVE').flatMap((w) => w.allocations)[0]!.variant_id;
    expect(engine.dispatch('placePreOrder', { body: { email: 'bare@example.com', lines: [{ variant_id: variant, quantity: 1 }] } }).status).toBe(201);
    await engine.webhooks.idle();
    const log = engine.webhooks.deliveries();
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((d) => d.attempt === 1 && d.status === null && d.error!.startsWith('not sent'))).toBe(true);
    engine.close();
  });
});

describe('verifyWebhookSignature', () => {
  const body = Buffer.from('{"event":"pre_order.created","data":{"id":"x"}}');
  const signature = signWebhookBody(body, credentials.shared_secret);

  it('accepts the signature of the exact body and rejects a tampered body, a wrong secret or a missing header', () => {
    expect(verifyWebhookSignature(body, signature, credentials.shared_secret)).toBe(true);
    expect(verifyWebhookSignature(body.toString('utf8'), signature, credentials.shared_secret)).toBe(true);
    expect(verifyWebhookSignature(Buffer.from(body.toString().replace('"x"', '"y"')), signature, credentials.shared_secret)).toBe(false);
    // Re-serialised JSON has other bytes: it does not verify.
    expect(verifyWebhookSignature(JSON.stringify(JSON.parse(body.toString()), null, 1), signature, credentials.shared_secret)).toBe(false);
    expect(verifyWebhookSignature(body, signature, 'another-secret')).toBe(false);
    expect(verifyWebhookSignature(body, undefined, credentials.shared_secret)).toBe(false);
    expect(verifyWebhookSignature(body, [signature, signature], credentials.shared_secret)).toBe(false);
    expect(verifyWebhookSignature(body, signature.slice(0, -2), credentials.shared_secret)).toBe(false);
  });
});
