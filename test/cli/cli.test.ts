import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { scenarios } from '../../scenarios/index.ts';
import { createSimulator } from '../../src/http/app.ts';
import { signShopperToken } from '../../src/client/shopper-token.ts';
import { stopChild } from '../support/processes.ts';
import { credentials } from '../support/simulator.ts';

const BIN = new URL('../../bin/purple-dot-sim.js', import.meta.url).pathname;
const children: ChildProcess[] = [];

function run(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

async function output(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  // 'close', not 'exit': only then have both pipes delivered their last bytes.
  const [code] = await once(child, 'close');
  return { code, stdout, stderr };
}

/** Starts `serve` on a free port and resolves with the URL from its banner. */
async function serve(args: string[]): Promise<string> {
  const child = run(['serve', '--port', '0', ...args]);
  child.stderr!.resume();
  let banner = '';
  for await (const chunk of child.stdout!) {
    banner += chunk;
    const match = /listening on (http:\/\/\S+)/.exec(banner);
    if (match && banner.includes('control API')) return match[1]!;
  }
  throw new Error(`serve exited without a banner: ${banner}`);
}

afterEach(async () => {
  await Promise.all(children.splice(0).map(stopChild));
});

describe('purple-dot-sim', () => {
  it('prints the version of the package with --version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const { code, stdout, stderr } = await output(run(['--version']));
    expect(stderr).toBe('');
    expect(stdout).toBe(`${version}\n`);
    expect(code).toBe(0);
  });
});

describe('purple-dot-sim scenarios', () => {
  it('lists every scenario by name with its summary', async () => {
    const { code, stdout } = await output(run(['scenarios']));
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.map((line) => line.split(/\s+/, 1)[0])).toEqual(scenarios.map((s) => s.name));
    scenarios.forEach((s, i) => expect(lines[i]!.slice(lines[i]!.indexOf(' ')).trim()).toBe(s.summary));
  });

  it('stops quietly with exit code 0 when the reader of its output goes away', async () => {
    const child = run(['scenarios']);
    child.stdout!.destroy();
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const [code] = await once(child, 'close');
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('purple-dot-sim serve', () => {
  it('prints the URL, scenario, credentials and shop domain, and answers the public API by either', async () => {
    const child = run(['serve', '--port', '0', '--scenario', 'sold-out', '--seed', '3']);
    let banner = '';
    for await (const chunk of child.stdout!) {
      banner += chunk;
      if (banner.includes('control API')) break;
    }
    expect(banner).toContain('sold-out');
    expect(banner).toContain(credentials.public_api_key);
    expect(banner).toContain(credentials.private_access_token);
    expect(banner).toContain(credentials.shared_secret);
    expect(banner).toContain('purple-dot-sim-default.myshopify.com');
    const url = /listening on (http:\/\/\S+)/.exec(banner)![1]!;
    const res = await fetch(`${url}/api/v1/waitlists?api_key=${credentials.public_api_key}`);
    expect(res.status).toBe(200);
    expect((await fetch(`${url}/api/v1/waitlists?shop=purple-dot-sim-default.myshopify.com`)).status).toBe(200);
  });

  it('serves the same bytes as an in-process simulator with the same scenario, seed and manual clock', async () => {
    const url = await serve(['--scenario', 'partially-exported', '--seed', '9', '--clock', 'manual']);
    const local = await createSimulator({ scenario: 'partially-exported', seed: 9 }).listen(0);
    try {
      const path = '/admin/api/v1/pre-orders?limit=200';
      const headers = { 'X-Purple-Dot-Access-Token': credentials.private_access_token };
      const [a, b] = await Promise.all([fetch(`${url}${path}`, { headers }), fetch(`${local.url}${path}`, { headers })]);
      expect(await a.text()).toBe(await b.text());
    } finally {
      await local.close();
    }
  });

  it('accepts a shopper token signed with the wall clock under the default system clock', async () => {
    const url = await serve([]);
    const orders = await (await fetch(`${url}/admin/api/v1/pre-orders?limit=1`, { headers: { 'X-Purple-Dot-Access-Token': credentials.private_access_token } })).json();
    const email: string = orders.data.orders[0].customer.email;
    const timestamp = Math.floor(Date.now() / 1000);
    const token = signShopperToken(email, timestamp, credentials.shared_secret);
    const res = await fetch(`${url}/api/v1/pre-orders?${new URLSearchParams({ api_key: credentials.public_api_key, email, timestamp: String(timestamp), token })}`);
    expect(res.status).toBe(200);
  });

  it('refuses an unknown scenario with the message, then serve\'s own options, and exit code 1', async () => {
    const { code, stdout, stderr } = await output(run(['serve', '--scenario', 'no-such-thing']));
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe('error: unknown scenario "no-such-thing". Run "purple-dot-sim scenarios" to list them.');
    expect(stderr).toContain('Usage: purple-dot-sim serve [options]');
    expect(stderr).toContain('--scenario-file <path>');
    expect(code).toBe(1);
  });

  it('refuses an unknown --clock mode with the message, then serve\'s own options, and exit code 1', async () => {
    const { code, stdout, stderr } = await output(run(['serve', '--clock', 'sometimes']));
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe("error: option '--clock <mode>' argument 'sometimes' is invalid. Allowed choices are system, manual.");
    expect(stderr).toContain('Usage: purple-dot-sim serve [options]');
    expect(code).toBe(1);
  });

  it('refuses a port already in use with one line on stderr, no stack trace, and exit code 1', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const { code, stdout, stderr } = await output(run(['serve', '--port', String(port)]));
      expect(stdout).toBe('');
      expect(stderr).toBe(`purple-dot-sim: port ${port} on 127.0.0.1 is already in use: stop what uses it, or pick another port with --port (--port 0 takes any free port).\n`);
      expect(code).toBe(1);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('refuses a --host that does not resolve with one line on stderr, no stack trace, and exit code 1', async () => {
    // Beyond loopback a control token is required first; with one, the host's own failure is what is left.
    const { code, stdout, stderr } = await output(run(['serve', '--port', '0', '--host', 'no-such-host.invalid', '--control-token', 'a-control-token-of-twenty-chars']));
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^purple-dot-sim: --host no-such-host\.invalid does not resolve to an address \((ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL)\): give a name or IP address of this machine, e\.g\. 127\.0\.0\.1 or 0\.0\.0\.0\.\n$/);
    expect(code).toBe(1);
  });

  it('refuses a port that is not a number', async () => {
    const { code, stderr } = await output(run(['serve', '--port', 'eighty']));
    expect(code).not.toBe(0);
    expect(stderr).toContain('--port');
  });
});

describe('purple-dot-sim serve --scenario-file', () => {
  const folder = mkdtempSync(join(tmpdir(), 'pds-scenario-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  /** A scenario module as an integrator writes it: plain JavaScript, no import of ours needed. */
  const module = (name: string, body: string): string => {
    const path = join(folder, name);
    writeFileSync(path, body);
    return path;
  };
  const boots = module('boots.mjs', `
    export default {
      name: 'my-boots',
      summary: 'One pair of boots on pre-order.',
      build(b) {
        const item = b.product({ id: 'BOOT-1', handle: 'boots', variants: [{ id: 'BOOT-1-42', sku: 'BOOT-42', title: '42' }] });
        b.waitlist(item, 7);
      },
    };
  `);

  it('serves the first scenario of the module by default, with the IDs it gives', async () => {
    const url = await serve(['--scenario-file', boots]);
    const res = await fetch(`${url}/api/v1/variants/preorder-state?variant_id=BOOT-1-42&api_key=${credentials.public_api_key}`);
    expect(res.status).toBe(200);
    expect((await res.json()).data).toMatchObject({ state: 'ON_PREORDER', waitlist: { units_left: 7 } });
    const listed = await (await fetch(`${url}/__sim/scenarios`)).json();
    expect(listed.data.map((s: { name: string }) => s.name)).toEqual([...scenarios.map((s) => s.name), 'my-boots']);
  });

  it('lists the module\'s scenarios after the built-in ones', async () => {
    const { code, stdout } = await output(run(['scenarios', '--scenario-file', boots]));
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/^my-boots\s+One pair of boots on pre-order\.$/);
  });

  it('refuses a module that exports no scenario, saying how to write one', async () => {
    const empty = module('empty.mjs', 'export const answer = 42;\n');
    const { code, stderr } = await output(run(['serve', '--port', '0', '--scenario-file', empty]));
    expect(code).not.toBe(0);
    expect(stderr).toContain('exports no scenario');
  });
});

describe('purple-dot-sim serve, as a tool to run and watch', () => {
  /** Starts `serve` and collects everything it prints after the banner. */
  async function serveWithOutput(args: string[]): Promise<{ url: string; printed: () => string }> {
    const child = run(['serve', '--port', '0', ...args]);
    child.stderr!.resume();
    let text = '';
    child.stdout!.on('data', (d) => (text += d));
    while (!text.includes('control API')) await once(child.stdout!, 'data');
    const url = /listening on (http:\/\/\S+)/.exec(text)![1]!;
    return { url, printed: () => text.slice(text.indexOf('control API')) };
  }
  /** Until the condition holds; a line that never comes is the test's timeout, not assertions run too early. */
  const waitFor = async (condition: () => boolean): Promise<void> => {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
  };

  it('answers the control API URL its banner prints', async () => {
    const { url } = await serveWithOutput([]);
    const index = await fetch(`${url}/__sim`);
    expect(index.status).toBe(200);
    expect((await index.json()).data).toMatchObject({ name: 'purple-dot-sim', links: { journal: '/__sim/journal' } });
  });

  it('logs one line per request, marking the one that broke the contract', async () => {
    const { url, printed } = await serveWithOutput([]);
    await fetch(`${url}/admin/api/v1/pre-orders?limit=2`, { headers: { 'X-Purple-Dot-Access-Token': credentials.private_access_token } });
    await fetch(`${url}/admin/api/v1/pre-orders?limit=0`, { headers: { 'X-Purple-Dot-Access-Token': credentials.private_access_token } });
    await waitFor(() => printed().includes('limit: must be'));
    const lines = printed().split('\n').filter((line) => line.startsWith('GET /admin'));
    expect(lines[0]).toMatch(/^GET \/admin\/api\/v1\/pre-orders 200 \d+\.\dms listPreOrders$/);
    expect(lines[1]).toMatch(/^GET \/admin\/api\/v1\/pre-orders 400 \d+\.\dms listPreOrders {2}✗ limit: must be >= 1$/);
  });

  it('logs only what deserves a look with --log-level warn, and nothing with silent', async () => {
    const warn = await serveWithOutput(['--log-level', 'warn']);
    const quiet = await serveWithOutput(['--log-level', 'silent']);
    for (const { url } of [warn, quiet]) {
      await fetch(`${url}/api/v1/waitlists?api_key=${credentials.public_api_key}`);
      await fetch(`${url}/api/v1/waitlists`);
    }
    await waitFor(() => warn.printed().includes('401'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(warn.printed()).not.toMatch(/waitlists 200/);
    expect(warn.printed()).toMatch(/GET \/api\/v1\/waitlists 401 .*✗ api_key: is required/);
    expect(quiet.printed()).not.toMatch(/GET /);
  });

  it('starts with the faults of a named profile, or of a JSON file of rules', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pds-faults-'));
    try {
      const file = join(folder, 'faults.json');
      writeFileSync(file, JSON.stringify([{ operationId: 'listOpenWaitlists', status: 503, times: 1 }]));
      const fromFile = await serveWithOutput(['--faults', file]);
      const waitlists = `/api/v1/waitlists?api_key=${credentials.public_api_key}`;
      expect((await fetch(`${fromFile.url}${waitlists}`)).status).toBe(503);
      expect((await fetch(`${fromFile.url}${waitlists}`)).status).toBe(200);
      const profile = await serveWithOutput(['--faults', 'launch-day']);
      const rules = (await (await fetch(`${profile.url}/__sim/faults`)).json()).data;
      expect(rules.map((r: { status?: number; kind?: string }) => r.status ?? r.kind ?? 'latency')).toEqual(['latency', 503, 429]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('refuses a --faults rule the control API would refuse, naming the rule and the field', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pds-faults-'));
    try {
      const file = join(folder, 'faults.json');
      writeFileSync(file, JSON.stringify([{ status: 503 }, { operationId: 'listEverything', status: 500 }]));
      const { code, stderr } = await output(run(['serve', '--port', '0', '--faults', file]));
      expect(code).toBe(1);
      expect(stderr).toContain('rule 1: operationId: no Purple Dot operation listEverything');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('purple-dot-sim serve, stopping and under too many connections', () => {
  it('finishes the requests under way on SIGTERM, refuses new ones, and exits 0', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pds-grace-'));
    try {
      const file = join(folder, 'slow.json');
      // Answered after 3 s (within the 10 s grace): still under way when SIGTERM comes, however slow the machine.
      writeFileSync(file, JSON.stringify([{ operationId: 'countPreOrders', latencyMs: 3_000 }]));
      const child = run(['serve', '--port', '0', '--faults', file, '--log-level', 'silent']);
      child.stderr!.resume();
      let banner = '';
      while (!banner.includes('control API')) banner += String((await once(child.stdout!, 'data'))[0]);
      const url = /listening on (http:\/\/\S+)/.exec(banner)![1]!;
      const count = `${url}/admin/api/v1/pre-orders/count`;
      const headers = { 'X-Purple-Dot-Access-Token': credentials.private_access_token };
      const underWay = Array.from({ length: 30 }, () => fetch(count, { headers }).then((res) => res.status, (error: Error) => error.message));
      // The journal has a request once it is read and run, before its latency: then all 30 are under way.
      const journal = `${url}/__sim/journal?operationId=countPreOrders`;
      while (((await (await fetch(journal)).json()) as { data: unknown[] }).data.length < 30) await new Promise((resolve) => setTimeout(resolve, 20));
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      // Stopped listening once a connection is refused, or reset: one still in the listening socket's queue when
      // it closed is reset, not refused.
      const { port } = new URL(url);
      for (;;) {
        const socket = connect(Number(port), '127.0.0.1');
        const refused = await new Promise<boolean>((resolve, reject) => {
          socket.once('connect', () => resolve(false));
          socket.once('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET' ? resolve(true) : reject(error)));
        });
        socket.destroy();
        if (refused) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const late = await fetch(count, { headers }).then((res) => res.status, () => 'refused');
      expect(await Promise.all(underWay)).toEqual(Array.from({ length: 30 }, () => 200));
      expect(late).toBe('refused');
      expect((await exited)[0]).toBe(0);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('answers a connection over --max-connections 503 in the envelope instead of dropping it', async () => {
    const url = await serve(['--max-connections', '2', '--log-level', 'silent']);
    const { port } = new URL(url);
    const open = async (): Promise<Socket> => {
      const socket = connect(Number(port), '127.0.0.1');
      await once(socket, 'connect');
      return socket;
    };
    const held = [await open(), await open()];
    const third = await open();
    third.write('GET /__sim/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    let text = '';
    third.on('data', (d) => (text += d));
    await once(third, 'close');
    expect(text).toMatch(/^HTTP\/1\.1 503 /);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ meta: { result: 'error' }, error: { code: 'TOO_MANY_CONNECTIONS' } });
    for (const socket of held) socket.destroy();
  });
});

describe('purple-dot-sim serve beyond loopback', () => {
  it('refuses --host 0.0.0.0 without a control token, saying why', async () => {
    const { code, stderr } = await output(run(['serve', '--port', '0', '--host', '0.0.0.0']));
    expect(code).toBe(1);
    expect(stderr).toContain('give --control-token (or PURPLE_DOT_SIM_CONTROL_TOKEN)');
  });

  it('serves 0.0.0.0 with a control token from the environment, masking the secrets in its banner', async () => {
    const token = 'a-control-token-of-twenty-chars';
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '0.0.0.0', '--log-level', 'silent'], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PURPLE_DOT_SIM_CONTROL_TOKEN: token },
    });
    children.push(child);
    child.stderr!.resume();
    let banner = '';
    while (!banner.includes('control API')) banner += String((await once(child.stdout!, 'data'))[0]);
    expect(banner).not.toContain(credentials.private_access_token);
    expect(banner).not.toContain(credentials.shared_secret);
    expect(banner).toContain('masked');
    const port = /listening on http:\/\/\S+:(\d+)/.exec(banner)![1]!;
    expect((await fetch(`http://127.0.0.1:${port}/__sim/status`)).status).toBe(401);
    const status = await fetch(`http://127.0.0.1:${port}/__sim/status`, { headers: { Authorization: `Bearer ${token}` } });
    expect((await status.json()).data.credentials.private_access_token).toBe(credentials.private_access_token);
  });
});
