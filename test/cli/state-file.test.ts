import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulator } from '../../src/http/app.ts';
import { stopChild } from '../support/processes.ts';
import { serveCli, type Served } from '../support/serve.ts';
import { credentials } from '../support/simulator.ts';

const BIN = new URL('../../bin/purple-dot-sim.js', import.meta.url).pathname;
const children: ChildProcess[] = [];
const folders: string[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map(stopChild));
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

const folder = (): string => {
  const made = mkdtempSync(join(tmpdir(), 'pds-state-'));
  folders.push(made);
  return made;
};

/** Starts `serve` on a free port with these options and waits for its banner. */
const serve = (args: string[]): Promise<Served> => serveCli(args, children);

async function exitOf(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--log-level', 'silent', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  const [code] = await once(child, 'close');
  return { code, stderr };
}

const json = { 'content-type': 'application/json' };
const privateHeaders = { 'X-Purple-Dot-Access-Token': credentials.private_access_token };

async function get(url: string, path: string, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(`${url}${path}`, { headers });
  expect(res.status, path).toBe(200);
  return ((await res.json()) as { data: unknown }).data;
}

/** Every pre-order of the default store, by ID. */
async function preOrders(url: string): Promise<Map<string, any>> {
  const found = new Map<string, any>();
  let after: string | null = null;
  do {
    const data = await get(url, `/admin/api/v1/pre-orders?limit=100${after ? `&starting_after=${after}` : ''}`, privateHeaders);
    for (const order of data.orders) found.set(order.id, order);
    after = data.starting_after;
  } while (after);
  return found;
}

describe('purple-dot-sim serve --state-file', () => {
  it('keeps every write that got a 2xx when killed with SIGKILL under load from several clients, and nothing half-written', async () => {
    const path = join(folder(), 'state.jsonl');
    const first = await serve(['--state-file', path, '--scenario', 'on-preorder', '--clock', 'manual']);
    const waitlists = await get(first.url, '/admin/api/v1/waitlists?limit=100', privateHeaders);
    const variants = waitlists.waitlists.filter((w: any) => w.state === 'LIVE').flatMap((w: any) => w.availability.variants).filter((v: any) => v.available > 0);
    expect(variants.length).toBeGreaterThan(4);
    const startedAt = Date.parse((await get(first.url, '/__sim/clock')).now);

    const placed: string[] = [];
    const cancelled: string[] = [];
    const stores: string[] = [];
    let advanced = 0;
    let stop = false;
    const post = (path: string, body: unknown) => fetch(`${first.url}${path}`, { method: 'POST', headers: json, body: JSON.stringify(body) });
    // Four clients, each writing as fast as it is answered: placements, cancellations, clock moves, new stores.
    const client = async (n: number): Promise<void> => {
      for (let i = 0; !stop; i += 1) {
        try {
          const variant = variants[(n + i) % variants.length];
          if (i % 7 === 3) {
            const res = await post('/__sim/stores', { scenario: 'sold-out' });
            if (res.status === 201) stores.push(((await res.json()) as any).data.id);
          } else if (i % 5 === 4 && placed.length > 0) {
            const id = placed[(n * 31 + i) % placed.length]!;
            const res = await post(`/__sim/pre-orders/${id}/cancel`, { reason: 'CUSTOMER' });
            if (res.status === 200) cancelled.push(id);
          } else if (i % 3 === 2) {
            const res = await post('/__sim/clock/advance', { seconds: 1 });
            if (res.status === 200) advanced += 1;
          } else {
            const res = await post('/__sim/pre-orders', { email: `crash-${n}-${i}@example.com`, lines: [{ variant_id: variant.variant_id, quantity: 1 }] });
            if (res.status === 201) placed.push(((await res.json()) as any).data.id);
          }
        } catch {
          // The process is gone: this request got no answer, so nothing was promised for it.
          return;
        }
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    // Killed once enough writes were acknowledged (not after a fixed time: a busy machine answers fewer), and at
    // least 1.5 s in, so the kill lands among writes under way.
    const started = Date.now();
    while ((placed.length <= 20 || advanced <= 10 || Date.now() - started < 1_500) && Date.now() - started < 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const killed = once(first.child, 'exit');
    first.child.kill('SIGKILL');
    await killed;
    stop = true;
    await Promise.all(clients);
    expect(placed.length).toBeGreaterThan(20);
    expect(advanced).toBeGreaterThan(10);

    const second = await serve(['--state-file', path]);
    expect(second.banner).toMatch(/state file +\S+ \(restored \d+ store\(s\) and \d+ change\(s\)/);
    const orders = await preOrders(second.url);
    expect(placed.filter((id) => !orders.has(id))).toEqual([]);
    expect(cancelled.filter((id) => orders.get(id)?.cancelled_at === null)).toEqual([]);
    const known = new Set((await get(second.url, '/__sim/stores')).map((s: { id: string }) => s.id));
    expect(stores.filter((id) => !known.has(id))).toEqual([]);
    expect(Date.parse((await get(second.url, '/__sim/clock')).now) - startedAt).toBeGreaterThanOrEqual(advanced * 1000);
    // Whole and consistent: the store passes the checks a snapshot import makes.
    const snapshot = await get(second.url, '/__sim/snapshot');
    const check = createSimulator({ journalSize: 0 }).engine.dispatchRaw('importSnapshot', { body: snapshot });
    expect(check.status, JSON.stringify(check.body)).toBe(200);
  }, 30_000);

  it('flushes on SIGTERM and comes back with the same state', async () => {
    const path = join(folder(), 'state.jsonl');
    const first = await serve(['--state-file', path, '--clock', 'manual']);
    expect(first.banner).toContain(`state file    ${path} (new)`);
    const advance = await fetch(`${first.url}/__sim/clock/advance`, { method: 'POST', headers: json, body: JSON.stringify({ seconds: 3600 }) });
    const now = ((await advance.json()) as any).data.now;
    const exited = once(first.child, 'exit');
    first.child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
    const second = await serve(['--state-file', path]);
    expect((await get(second.url, '/__sim/clock')).now).toBe(now);
  });

  it('refuses to start from a damaged file with one line saying where, and exit code 1', async () => {
    const path = join(folder(), 'state.jsonl');
    writeFileSync(path, 'not a state file\n');
    const { code, stderr } = await exitOf(['--state-file', path]);
    expect(code).toBe(1);
    expect(stderr.split('\n')[0]).toBe(`error: cannot start: ${path} is not a purple-dot-sim state file (line 1: it is not a checksummed line); give another path, or move the file aside.`);
  });
});

describe('purple-dot-sim serve --snapshot', () => {
  it('starts with the snapshot in the default store', async () => {
    const source = await serve(['--scenario', 'sold-out', '--seed', '5', '--clock', 'manual']);
    const snapshot = await get(source.url, '/__sim/snapshot');
    const file = join(folder(), 'snapshot.json');
    writeFileSync(file, JSON.stringify(snapshot));
    const loaded = await serve(['--snapshot', file, '--clock', 'manual']);
    expect(await get(loaded.url, '/__sim/snapshot')).toEqual(snapshot);
    expect(loaded.banner).toContain('scenario      sold-out (seed 5, manual clock)');
  });

  it('refuses a snapshot the control API would refuse, saying why, and exit code 1', async () => {
    const file = join(folder(), 'snapshot.json');
    writeFileSync(file, JSON.stringify({ version: 1, scenario: 'sold-out' }));
    const { code, stderr } = await exitOf(['--snapshot', file]);
    expect(code).toBe(1);
    expect(stderr.split('\n')[0]).toMatch(/^error: --snapshot .*snapshot\.json: .*(seed|clock|stores)/);
  });
});
