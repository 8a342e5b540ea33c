/**
 * Webhooks owed to a receiver survive a restart from the state file: one that was due and not delivered is
 * sent after the restart, byte for byte, with only the attempts it had left; one delivered, or out of
 * attempts, is never sent again. Each "stop" here drops the process's memory as a crash would: the engine is
 * closed (nothing more is sent) and a new simulator is made from the same file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.ts';
import { pendingWebhooks, type StateEntry } from '../../src/engine/state-log.ts';
import { createSimulator, type RunningSimulator, type Simulator, type SimulatorOptions } from '../../src/http/app.ts';
import { verifyWebhookSignature } from '../../src/webhooks/signature.ts';
import { DROPPED, startDownReceiver, type DownReceiver } from '../support/receiver.ts';
import { credentials, privateHeaders } from '../support/simulator.ts';
import { startReceiver, type Receiver } from './receiver.ts';

interface Running {
  sim: Simulator;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** What a crash leaves: nothing more is sent, and the file holds what was acknowledged. */
  kill(): Promise<void>;
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const newStatePath = (): string => {
  const folder = mkdtempSync(join(tmpdir(), 'pd-webhook-restart-'));
  cleanup.push(() => rmSync(folder, { recursive: true, force: true }));
  return join(folder, 'state.jsonl');
};

async function start(stateFile: string, options: SimulatorOptions = {}): Promise<Running> {
  const sim = createSimulator({ journalSize: 0, onBug: (error) => console.error(error), stateFile, ...options });
  const server: RunningSimulator = await sim.listen(0);
  let stopped = false;
  const kill = async () => {
    if (stopped) return;
    stopped = true;
    sim.engine.close();
    await server.close();
    await sim.stateFile?.close();
  };
  cleanup.push(kill);
  return {
    sim,
    kill,
    async call(method, path, body, headers = {}) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    },
  };
}

/** A receiver that drops every connection until `up()`, on the URL it keeps throughout. */
async function downReceiver(): Promise<DownReceiver> {
  const receiver = await startDownReceiver();
  cleanup.push(() => receiver.close());
  return receiver;
}

async function upReceiver(answer?: (n: number) => number): Promise<Receiver> {
  const receiver = await startReceiver(answer);
  cleanup.push(() => receiver.close());
  return receiver;
}

async function ok(reply: Promise<{ status: number; body: any }>): Promise<any> {
  const { status, body } = await reply;
  expect(status, JSON.stringify(body)).toBeLessThan(300);
  return body.data;
}

async function subscribe(s: Running, url: string, events: string[] = ['pre_order.created'], backoff_ms = [60_000, 60_000]): Promise<void> {
  await ok(s.call('PUT', '/__sim/webhooks/settings', { backoff_ms, timeout_ms: 1000 }));
  await ok(s.call('POST', '/__sim/webhooks', { url, events }));
}

/** Places a pre-order of one unit on a live waitlist; answers it. */
async function place(s: Running, email = 'restart@example.com'): Promise<{ id: string }> {
  const { waitlists } = await ok(s.call('GET', '/admin/api/v1/waitlists?limit=100', undefined, privateHeaders));
  const live = waitlists.find((w: any) => w.state === 'LIVE');
  return ok(s.call('POST', '/__sim/pre-orders', { email, lines: [{ variant_id: live.availability.variants[0].variant_id, quantity: 1 }] }));
}

/** Waits until the store's delivery log holds `count` attempts to `url`; answers them. */
async function attemptsLogged(s: Running, url: string, count: number): Promise<any[]> {
  for (let tries = 0; tries < 200; tries += 1) {
    const found = s.sim.webhooks.deliveries().filter((d) => d.url === url);
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`fewer than ${count} attempts to ${url} were logged`);
}

/** Lets anything that would still come arrive, then waits for the deliveries to end. */
async function settled(s: Running): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  await s.sim.webhooks.idle();
}

describe('pending webhooks across a restart from the state file', () => {
  it('sends a webhook whose receiver was down at the stop after the restart, exactly once, with the original body, timestamp and a valid signature', async () => {
    const path = newStatePath();
    const down = await downReceiver();
    const first = await start(path);
    await subscribe(first, down.url);
    const order = await place(first);
    const [failed] = await attemptsLogged(first, down.url, 1);
    expect(failed).toMatchObject({ attempt: 1, status: null, error: expect.stringMatching(DROPPED) });
    await first.kill();

    const receiver = down.up();
    const second = await start(path);
    await receiver.waitFor(1);
    await settled(second);
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got!.rawBody.toString('utf8')).toBe(failed.body);
    expect(got!.body).toMatchObject({ event: 'pre_order.created', data: { id: order.id } });
    expect(got!.headers['x-pd-timestamp']).toBe(failed.headers['X-PD-Timestamp']);
    expect(verifyWebhookSignature(got!.rawBody, got!.headers['x-pd-hmac-sha256'], credentials.shared_secret)).toBe(true);
    // The attempt after the restart is the webhook's second, not a new webhook's first.
    expect(second.sim.webhooks.deliveries().map((d) => [d.attempt, d.status])).toEqual([[2, 200]]);
  });

  it('does not send again after a restart a webhook that was delivered before the stop', async () => {
    const path = newStatePath();
    const receiver = await upReceiver();
    const first = await start(path);
    await subscribe(first, receiver.url);
    const before = await place(first, 'before@example.com');
    await receiver.waitFor(1);
    await first.sim.webhooks.idle();
    await first.kill();

    const second = await start(path);
    await settled(second);
    expect(receiver.received).toHaveLength(1);
    // The restarted simulator does send: the next order's webhook, and only it.
    const after = await place(second, 'after@example.com');
    await receiver.waitFor(2);
    await settled(second);
    expect(receiver.received.map((r) => r.body.data.id)).toEqual([before.id, after.id]);
  });

  it('does not send again after a restart a webhook whose 3 attempts all failed before the stop', async () => {
    const path = newStatePath();
    const receiver = await upReceiver((n) => (n <= 3 ? 500 : 200));
    const first = await start(path);
    await subscribe(first, receiver.url, ['pre_order.created'], [0, 0]);
    const failing = await place(first, 'failing@example.com');
    await receiver.waitFor(3);
    await first.sim.webhooks.idle();
    await first.kill();

    const second = await start(path);
    await settled(second);
    expect(receiver.received).toHaveLength(3);
    const next = await place(second, 'next@example.com');
    await receiver.waitFor(4);
    await settled(second);
    expect(receiver.received.map((r) => [r.body.data.id, r.status])).toEqual([[failing.id, 500], [failing.id, 500], [failing.id, 500], [next.id, 200]]);
  });

  it('gives a webhook that used 2 of its 3 attempts before the stop only 1 more after the restart', async () => {
    const path = newStatePath();
    const down = await downReceiver();
    const first = await start(path);
    await subscribe(first, down.url, ['pre_order.created'], [0, 60_000]);
    await place(first);
    await attemptsLogged(first, down.url, 2);
    await first.kill();

    const receiver = down.up(() => 503);
    const second = await start(path);
    await receiver.waitFor(1);
    await settled(second);
    expect(receiver.received).toHaveLength(1);
    expect(second.sim.webhooks.deliveries().map((d) => [d.attempt, d.status])).toEqual([[3, 503]]);
  });

  it('keeps one pre-order\'s webhooks in order across a restart: created, then cancelled', async () => {
    const path = newStatePath();
    const down = await downReceiver();
    const first = await start(path);
    await subscribe(first, down.url, ['pre_order.created', 'pre_order.cancelled']);
    const order = await place(first);
    await ok(first.call('POST', `/__sim/pre-orders/${order.id}/cancel`, { reason: 'CUSTOMER' }));
    await attemptsLogged(first, down.url, 1);
    await first.kill();

    const receiver = down.up();
    const second = await start(path);
    await receiver.waitFor(2);
    await settled(second);
    expect(receiver.received.map((r) => [r.body.event, r.body.data.id])).toEqual([['pre_order.created', order.id], ['pre_order.cancelled', order.id]]);
  });

  it('keeps a pending webhook, and the attempts it used, through a compaction of the state file', async () => {
    const path = newStatePath();
    const down = await downReceiver();
    const compacting = { stateFileOptions: { compactOperations: 3 } };
    const first = await start(path, compacting);
    await subscribe(first, down.url, ['pre_order.created'], [0, 60_000]);
    const order = await place(first);
    await attemptsLogged(first, down.url, 2);
    // Enough changes after the attempts for the file to be compacted into a base more than once (not moves of
    // the clock: under the manual clock they would skip the backoff).
    for (let i = 0; i < 7; i += 1) await ok(first.call('PUT', '/__sim/webhooks/settings', { backoff_ms: [0, 60_000], timeout_ms: 1000 + i }));
    await first.kill();

    const receiver = down.up(() => 500);
    const second = await start(path, compacting);
    expect(second.sim.stateFile?.restore?.base.webhooks?.pending.map((w) => [w.event, w.attempts])).toEqual([['pre_order.created', 2]]);
    await receiver.waitFor(1);
    await settled(second);
    expect(receiver.received.map((r) => r.body.data.id)).toEqual([order.id]);
  });

  it('logs, and sends after the restart, a webhook caused by a change acknowledged after the engine stopped sending', async () => {
    const path = newStatePath();
    const down = await downReceiver();
    const first = await start(path);
    await subscribe(first, down.url);
    // Shutting down: the server may still finish requests under way after the webhooks stop.
    await first.sim.engine.shutdown();
    const order = await place(first);
    await first.kill();
    expect(first.sim.webhooks.deliveries()).toEqual([]);

    const receiver = down.up();
    const second = await start(path);
    await receiver.waitFor(1);
    await settled(second);
    expect(receiver.received.map((r) => r.body.data.id)).toEqual([order.id]);
  });

  it('logs a webhook after the change that caused it, and a replay of that log gives the same stores and owes the same webhooks', async () => {
    const entries: StateEntry[] = [];
    // A receiver that is never reached: attempts stay under way, so the webhook stays owed.
    const engine = createEngine({ stateLog: { append: async (entry) => void entries.push(structuredClone(entry)) }, webhookTransport: () => new Promise(() => undefined) });
    const base = engine.checkpoint({ data: false });
    expect(engine.dispatch('addWebhook', { body: { url: 'http://127.0.0.1:9/x', events: ['pre_order.created'] } }).status).toBe(201);
    const variant = engine.defaultStore().state.data.waitlists.filter((w) => w.state === 'LIVE').flatMap((w) => w.allocations)[0]!.variant_id;
    const placed = engine.dispatch('placePreOrder', { body: { email: 'log@example.com', lines: [{ variant_id: variant, quantity: 1 }] } });
    expect(placed.status).toBe(201);
    expect(entries.map((e) => (e.t === 'op' ? e.op : e.t))).toEqual(['addWebhook', 'placePreOrder', 'webhook']);
    const owed = pendingWebhooks(base, entries);
    expect(owed.pending.map((w) => [w.event, JSON.parse(w.body).data.id, w.attempts])).toEqual([['pre_order.created', (placed.body as any).data.id, 0]]);

    const replayed = createEngine({ restore: { base, operations: entries }, webhookTransport: () => new Promise(() => undefined) });
    try {
      expect(replayed.checkpoint().stores).toEqual(engine.checkpoint().stores);
      expect(replayed.checkpoint().webhooks).toEqual(engine.checkpoint().webhooks);
    } finally {
      engine.close();
      replayed.close();
    }
  });
});
