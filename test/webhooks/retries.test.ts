/**
 * Delivery as the docs say: up to 3 attempts per webhook, again after a status outside 2xx, a timeout or a
 * connection error, with a backoff that a manual clock can skip.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DROPPED, startDownReceiver } from '../support/receiver.ts';
import { useHarness } from '../support/simulator.ts';
import { startReceiver, type Receiver } from './receiver.ts';

const h = useHarness({ scenario: 'on-preorder' });
let receiver: Receiver | undefined;
afterEach(async () => {
  for (const { id } of (await h().control('GET', '/__sim/webhooks')).body.data) await h().control('DELETE', `/__sim/webhooks/${id}`);
  await h().control('PUT', '/__sim/webhooks/settings', {});
  await receiver?.close();
  receiver = undefined;
});

/** Places one pre-order on a live waitlist of the default store; answers it. */
async function placeOrder(): Promise<{ id: string }> {
  const data = h().sim.engine.defaultStore().state.data;
  const allocation = data.waitlists.filter((w) => w.state === 'LIVE').flatMap((w) => w.allocations).find((a) => (a.buy_size ?? 0) > a.committed)!;
  const res = await h().control('POST', '/__sim/pre-orders', { email: 'retry@example.com', lines: [{ variant_id: allocation.variant_id, quantity: 1 }] });
  expect(res.status).toBe(201);
  return res.body.data;
}

const subscribe = async (url: string) => expect((await h().control('POST', '/__sim/webhooks', { url, events: ['pre_order.created'] })).status).toBe(201);

describe('webhook retries', () => {
  it('delivers on the third attempt to a receiver that fails twice, and never tries a fourth time', async () => {
    receiver = await startReceiver((n) => (n <= 2 ? 503 : 204));
    await subscribe(receiver.url);
    const order = await placeOrder();
    await h().sim.webhooks.idle();
    expect(receiver.received.map((r) => r.status)).toEqual([503, 503, 204]);
    // Every attempt is the same webhook, byte for byte.
    expect(new Set(receiver.received.map((r) => r.rawBody.toString('utf8'))).size).toBe(1);
    expect(receiver.received[0]!.body.data.id).toBe(order.id);
    const log = h().sim.webhooks.deliveries().filter((d) => d.url === receiver!.url);
    expect(log.map((d) => [d.attempt, d.status, d.error === null])).toEqual([[1, 503, false], [2, 503, false], [3, 204, true]]);
  });

  it('gives up after exactly 3 attempts to a receiver that always fails', async () => {
    receiver = await startReceiver(() => 500);
    await subscribe(receiver.url);
    await placeOrder();
    await h().sim.webhooks.idle();
    expect(receiver.received).toHaveLength(3);
    const log = h().sim.webhooks.deliveries().filter((d) => d.url === receiver!.url);
    expect(log.map((d) => d.attempt)).toEqual([1, 2, 3]);
    expect(log.every((d) => d.status === 500 && d.error === 'the receiver answered 500')).toBe(true);
  });

  it('retries after a connection error, 3 attempts in all, logged with no status', async () => {
    // Dropped connections, not a closed port: a closed port can be taken by another process's listen(0).
    const dropping = await startDownReceiver();
    try {
      await subscribe(dropping.url);
      await placeOrder();
      await h().sim.webhooks.idle();
      const log = h().sim.webhooks.deliveries().filter((d) => d.url === dropping.url);
      expect(log.map((d) => [d.attempt, d.status])).toEqual([[1, null], [2, null], [3, null]]);
      for (const attempt of log) expect(attempt.error).toMatch(DROPPED);
    } finally {
      await dropping.close();
    }
  });

  it('retries after a timeout: a receiver that never answers within timeout_ms fails the attempt', async () => {
    receiver = await startReceiver();
    const silent = (await import('node:http')).createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}/`;
    try {
      expect((await h().control('PUT', '/__sim/webhooks/settings', { timeout_ms: 50, backoff_ms: [0, 0] })).status).toBe(200);
      await subscribe(url);
      await placeOrder();
      await h().sim.webhooks.idle();
      const log = h().sim.webhooks.deliveries().filter((d) => d.url === url);
      expect(log.map((d) => [d.attempt, d.status, d.error])).toEqual([1, 2, 3].map((n) => [n, null, 'no answer within 50 ms']));
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('lets a test skip the backoff under the manual clock by advancing the store clock', async () => {
    receiver = await startReceiver((n) => (n === 1 ? 500 : 200));
    // A backoff of a minute: only the store's clock moving can bring the retry within this test.
    expect((await h().control('PUT', '/__sim/webhooks/settings', { backoff_ms: [60_000, 60_000] })).status).toBe(200);
    await subscribe(receiver.url);
    await placeOrder();
    await receiver.waitFor(1);
    expect((await h().control('POST', '/__sim/clock/advance', { seconds: 60 })).status).toBe(200);
    await h().sim.webhooks.idle();
    expect(receiver.received.map((r) => r.status)).toEqual([500, 200]);
  });
});
