/**
 * `serve --state-file` keeps the webhooks it owes: killed (SIGKILL) or stopped (SIGTERM) while a receiver is
 * down, the next `serve` on the same file delivers them, once, byte for byte, still signed.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/webhooks/signature.ts';
import { stopChild } from '../support/processes.ts';
import { DROPPED, startDownReceiver, type DownReceiver } from '../support/receiver.ts';
import { serveCli, type Served } from '../support/serve.ts';
import { credentials, privateHeaders } from '../support/simulator.ts';
import type { Receiver } from '../webhooks/receiver.ts';

const children: ChildProcess[] = [];
const cleanup: (() => unknown)[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map(stopChild));
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** Starts `serve` on a free port with these options and waits for its banner. */
const serve = (args: string[]): Promise<Served> => serveCli(args, children);

async function call(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await res.json()) as { data: unknown };
  expect(res.status, `${method} ${path}: ${JSON.stringify(answer)}`).toBeLessThan(300);
  return answer.data;
}

/** A receiver that drops every connection until `up()`, on the URL it keeps throughout. */
async function downReceiver(): Promise<DownReceiver> {
  const receiver = await startDownReceiver();
  cleanup.push(() => receiver.close());
  return receiver;
}

/**
 * Subscribes the down receiver, places a pre-order and waits for the first attempt to fail; then makes one
 * more change and waits for its answer, which comes only once the log is on disk up to it (the attempt's
 * record included). Answers the failed attempt as the delivery log shows it.
 */
async function owe(url: string, receiverUrl: string): Promise<any> {
  await call(url, 'PUT', '/__sim/webhooks/settings', { backoff_ms: [60_000, 60_000] });
  await call(url, 'POST', '/__sim/webhooks', { url: receiverUrl, events: ['pre_order.created'] });
  const { waitlists } = await call(url, 'GET', '/admin/api/v1/waitlists?limit=100', undefined, privateHeaders);
  const variant = waitlists.find((w: any) => w.state === 'LIVE').availability.variants[0];
  const order = await call(url, 'POST', '/__sim/pre-orders', { email: 'owed@example.com', lines: [{ variant_id: variant.variant_id, quantity: 1 }] });
  for (let tries = 0; tries < 200; tries += 1) {
    const [failed] = await call(url, 'GET', '/__sim/webhooks/deliveries');
    if (failed) {
      expect(failed).toMatchObject({ attempt: 1, status: null, error: expect.stringMatching(DROPPED) });
      expect(JSON.parse(failed.body).data.id).toBe(order.id);
      await call(url, 'PUT', '/__sim/webhooks/settings', { backoff_ms: [60_000, 60_000] });
      return failed;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the first attempt was never logged');
}

/** The receiver got exactly the owed webhook, once: same bytes, same timestamp, a signature that verifies. */
async function expectDeliveredOnce(receiver: Receiver, failed: any): Promise<void> {
  await receiver.waitFor(1);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(receiver.received).toHaveLength(1);
  const [got] = receiver.received;
  expect(got!.rawBody.toString('utf8')).toBe(failed.body);
  expect(got!.headers['x-pd-timestamp']).toBe(failed.headers['X-PD-Timestamp']);
  expect(got!.headers['x-pd-hmac-sha256']).toBe(failed.headers['X-PD-Hmac-Sha256']);
  expect(verifyWebhookSignature(got!.rawBody, got!.headers['x-pd-hmac-sha256'], credentials.shared_secret)).toBe(true);
}

describe('purple-dot-sim serve --state-file and webhooks it owes', () => {
  it('delivers, after a restart, a webhook owed to a receiver that was down when the process was killed with SIGKILL, exactly once', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pds-webhooks-'));
    cleanup.push(() => rmSync(folder, { recursive: true, force: true }));
    const path = join(folder, 'state.jsonl');
    const down = await downReceiver();
    const first = await serve(['--state-file', path]);
    const failed = await owe(first.url, down.url);
    const killed = once(first.child, 'exit');
    first.child.kill('SIGKILL');
    await killed;

    const receiver = down.up();
    const second = await serve(['--state-file', path]);
    expect(second.banner).toMatch(/1 webhook\(s\) still to deliver/);
    await expectDeliveredOnce(receiver, failed);
    expect((await call(second.url, 'GET', '/__sim/webhooks/deliveries')).map((d: any) => [d.attempt, d.status])).toEqual([[2, 200]]);
  }, 30_000);

  it('exits 0 on SIGTERM without waiting out a webhook\'s backoff, and delivers that webhook after the restart', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pds-webhooks-'));
    cleanup.push(() => rmSync(folder, { recursive: true, force: true }));
    const path = join(folder, 'state.jsonl');
    const down = await downReceiver();
    const first = await serve(['--state-file', path]);
    const failed = await owe(first.url, down.url);
    const exited = once(first.child, 'exit');
    const stoppedAt = Date.now();
    first.child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    // The backoff is a minute and serve's grace 10 s: under 9 s, serve waited out neither, however loaded the machine.
    expect(Date.now() - stoppedAt).toBeLessThan(9_000);

    const receiver = down.up();
    await serve(['--state-file', path]);
    await expectDeliveredOnce(receiver, failed);
  }, 30_000);

  it('lets a webhook attempt under way at SIGTERM finish, and does not send that webhook again after the restart', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pds-webhooks-'));
    cleanup.push(() => rmSync(folder, { recursive: true, force: true }));
    const path = join(folder, 'state.jsonl');
    // A receiver that takes a second to answer 200.
    const bodies: string[] = [];
    let arrived: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (arrived = resolve));
    const slow = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        bodies.push(body);
        arrived();
        setTimeout(() => res.writeHead(200).end(), 1_000);
      });
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', () => resolve()));
    cleanup.push(() => new Promise((resolve) => slow.close(resolve)));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/hooks`;

    const running = await serve(['--state-file', path]);
    await call(running.url, 'POST', '/__sim/webhooks', { url: slowUrl, events: ['pre_order.created'] });
    const { waitlists } = await call(running.url, 'GET', '/admin/api/v1/waitlists?limit=100', undefined, privateHeaders);
    const variant = waitlists.find((w: any) => w.state === 'LIVE').availability.variants[0];
    await call(running.url, 'POST', '/__sim/pre-orders', { email: 'slow@example.com', lines: [{ variant_id: variant.variant_id, quantity: 1 }] });
    await first;
    const exited = once(running.child, 'exit');
    running.child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);

    const restarted = await serve(['--state-file', path]);
    expect(restarted.banner).not.toMatch(/still to deliver/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(bodies).toHaveLength(1);
  }, 30_000);
});
