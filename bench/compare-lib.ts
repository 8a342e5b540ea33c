/**
 * What bench/compare.ts and bench/smoke.ts share: the servers under comparison, each in a process of its own
 * (the simulator as `serve` runs it, Prism's mock of our spec, a bare Express route and a bare node:http
 * server answering the simulator's bytes), the routes with the credentials each needs, and one autocannon run.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { signShopperToken } from '../src/client/shopper-token.ts';

/** What bench/bare-server.mjs answers: the simulator's answer to one route. */
export interface CannedResponse {
  kind: 'express' | 'http';
  method: 'GET' | 'POST';
  path: string;
  status: number;
  headers: Record<string, string>;
  body: string; // base64
}

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const READY_TIMEOUT_MS = 90_000;
/** The documented public key of the default store: Prism checks only that one is present. */
const PUBLIC_API_KEY = '4b1d3f0e-8c2a-4f6b-9e7d-5a0c1b2d3e4f';

export const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Every child leads its own process group (detached), so nothing it starts outlives the benchmark.
const live = new Set<ChildProcess>();
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}
/** Stops a child's whole process group: SIGTERM, then SIGKILL after 12 s, then SIGKILL for anything left. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 12_000);
    await exited;
    clearTimeout(timer);
  }
  killGroup(child, 'SIGKILL');
  live.delete(child);
}
export const killAll = (): void => live.forEach((child) => killGroup(child, 'SIGKILL'));
/** A child started detached (its own process group), stopped with the benchmark whatever happens. */
export const track = (child: ChildProcess): void => void live.add(child);
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Resident memory of a process (VmRSS in /proc/<pid>/status), in MiB. */
export function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) / 1024;
}

/** dist/ must be fresh: the simulator is run as `purple-dot-sim serve` runs, from the compiled package. */
export function buildIfStale(): void {
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('scripts/build.mjs --if-stale failed');
}

export interface Server {
  name: string;
  url: string;
  /** The node process that serves (spawned directly, never through a shell). */
  pid: number;
  stop(): Promise<void>;
}

async function ready(name: string, child: ChildProcess, url: string, probe: string, output: () => string): Promise<void> {
  const started = performance.now();
  while (performance.now() - started < READY_TIMEOUT_MS) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output()}`);
    const status = await fetch(`${url}${probe}`).then(async (res) => {
      await res.arrayBuffer();
      return res.status;
    }, () => 0);
    if (status !== 0) return;
    await sleep(20);
  }
  throw new Error(`${name} did not answer within ${READY_TIMEOUT_MS / 1000} s:\n${output()}`);
}

async function spawnServer(name: string, args: string[], probe: string, execArgv: string[] = [], stdout: 'ignore' | number = 'ignore'): Promise<Server> {
  const port = await freePort();
  // stdout (the request logs of both at their default level) goes to /dev/null unless a file is given (a
  // garbage-collector trace): formatted, never read.
  const child = spawn(process.execPath, [...execArgv, ...args.map((a) => a.replace('{port}', String(port)))], {
    cwd: ROOT, detached: true, stdio: ['ignore', stdout, 'pipe'],
  });
  live.add(child);
  let output = '';
  child.stderr!.on('data', (d) => (output = (output + d).slice(-4_000)));
  const url = `http://127.0.0.1:${port}`;
  await ready(name, child, url, probe, () => output);
  return { name, url, pid: child.pid!, stop: () => stopChild(child) };
}

/** `purple-dot-sim serve` from dist/, at its default log level unless `logLevel` says otherwise. */
export function startSimulator(options: { scenario: string; logLevel?: string; cpuProfileDir?: string; nodeFlags?: string[]; stdout?: number }): Promise<Server> {
  return spawnServer(
    'simulator',
    ['bin/purple-dot-sim.js', 'serve', '--scenario', options.scenario, '--port', '{port}', ...(options.logLevel ? ['--log-level', options.logLevel] : [])],
    '/__sim/status',
    [...(options.nodeFlags ?? []), ...(options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [])],
    options.stdout,
  );
}

/** `prism mock spec/purple-dot.openapi.yaml`, at its default log level (info) or `-v <level>`. */
export function startPrism(verbose?: string): Promise<Server> {
  return spawnServer(
    verbose ? `Prism -v ${verbose}` : 'Prism',
    ['node_modules/.bin/prism', 'mock', 'spec/purple-dot.openapi.yaml', '--port', '{port}', '--host', '127.0.0.1', ...(verbose ? ['-v', verbose] : [])],
    `/api/v1/waitlists?api_key=${PUBLIC_API_KEY}`,
  );
}

/** A bare Express route or node:http server answering `canned` (bench/bare-server.mjs, plain node). */
export async function startBare(kind: 'express' | 'http', canned: Omit<CannedResponse, 'kind'>, options: { nodeFlags?: string[]; stdout?: number } = {}): Promise<Server> {
  const child = fork(new URL('./bare-server.mjs', import.meta.url).pathname, [], {
    cwd: ROOT, detached: true, execArgv: options.nodeFlags ?? [], stdio: ['ignore', options.stdout ?? 'ignore', 'pipe', 'ipc'],
  });
  live.add(child);
  let output = '';
  child.stderr!.on('data', (d) => (output = (output + d).slice(-4_000)));
  const listening = new Promise<{ url: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { url: string }));
    child.once('exit', (code) => reject(new Error(`bare ${kind} server exited with ${code}:\n${output}`)));
  });
  child.send({ kind, ...canned } satisfies CannedResponse);
  const { url } = await listening;
  child.channel?.unref();
  return { name: kind === 'express' ? 'Express' : 'node:http', url, pid: child.pid!, stop: () => stopChild(child) };
}

/** What the routes need from the simulator's store: credentials, its clock, and IDs that exist in it. */
export interface Fixture {
  apiKey: string;
  accessToken: string;
  sharedSecret: string;
  /** The simulator's clock minus ours (a manual clock may stand anywhere): shopper tokens carry its time. */
  clockOffsetMs: number;
  productId: string;
  variantId: string;
  sku: string;
  email: string;
}

export async function fixture(simulator: string): Promise<Fixture> {
  const get = async <T>(path: string, headers: Record<string, string> = {}): Promise<T> => {
    const res = await fetch(`${simulator}${path}`, { headers });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { data: T }).data;
  };
  const status = await get<{ clock: { now: string }; credentials: { public_api_key: string; private_access_token: string; shared_secret: string } }>('/__sim/status');
  const clockOffsetMs = Date.parse(status.clock.now) - Date.now();
  const { public_api_key: apiKey, private_access_token: accessToken, shared_secret: sharedSecret } = status.credentials;
  const waitlists = await get<{ product: { id: string } }[]>(`/api/v1/waitlists?api_key=${apiKey}`);
  const productId = waitlists[0]!.product.id;
  const availability = await get<{ variants: { id: string; sku: string }[] }>(`/api/v1/availability?product_id=${productId}&api_key=${apiKey}`);
  const page = await get<{ orders: { customer: { email: string } }[] }>('/admin/api/v1/pre-orders?limit=1', { 'X-Purple-Dot-Access-Token': accessToken });
  return {
    apiKey, accessToken, sharedSecret, clockOffsetMs, productId,
    variantId: availability.variants[0]!.id,
    // Not a SKU a scenario gave stock to: posting 0 units leaves its budget at 0, so the store does not change.
    sku: (availability.variants[1] ?? availability.variants[0]!).sku,
    email: page.orders[0]!.customer.email,
  };
}

export interface Route {
  key: string;
  label: string;
  method: 'GET' | 'POST';
  /** Path and query; a function when it changes with time (a shopper token). */
  path: string | (() => string);
  headers: Record<string, string>;
  body?: string;
  /** A page the issue holds to 0.8× bare Express. */
  page?: boolean;
}

export function routes(f: Fixture): Route[] {
  const admin = { 'X-Purple-Dot-Access-Token': f.accessToken };
  // A shopper token is valid 10 s either side of its timestamp: signed afresh each second of the run.
  let second = 0;
  let shopperPath = '';
  const shopper = (): string => {
    const now = Math.floor((Date.now() + f.clockOffsetMs) / 1000);
    if (now !== second) {
      second = now;
      const email = encodeURIComponent(f.email);
      shopperPath = `/api/v1/pre-orders?api_key=${f.apiKey}&email=${email}&timestamp=${now}&token=${signShopperToken(f.email, now, f.sharedSecret)}`;
    }
    return shopperPath;
  };
  return [
    { key: 'availability', label: 'GET /api/v1/availability', method: 'GET', path: `/api/v1/availability?product_id=${f.productId}&api_key=${f.apiKey}`, headers: {} },
    { key: 'variant-state', label: 'GET /api/v1/variants/preorder-state', method: 'GET', path: `/api/v1/variants/preorder-state?variant_id=${f.variantId}&api_key=${f.apiKey}`, headers: {} },
    { key: 'page-50', label: 'GET /admin/api/v1/pre-orders?limit=50', method: 'GET', path: '/admin/api/v1/pre-orders?limit=50', headers: admin, page: true },
    {
      key: 'inventory', label: 'POST /admin/api/v1/inventory', method: 'POST', path: '/admin/api/v1/inventory',
      headers: { ...admin, 'Content-Type': 'application/json' }, body: JSON.stringify({ sku: f.sku, available_units: 0 }),
    },
    { key: 'shopper', label: 'GET /api/v1/pre-orders (P5, shopper token)', method: 'GET', path: shopper, headers: {} },
    { key: 'count', label: 'GET /admin/api/v1/pre-orders/count (A3)', method: 'GET', path: '/admin/api/v1/pre-orders/count', headers: admin },
    { key: 'fulfillment', label: 'GET /admin/api/v1/fulfillment-orders (A6)', method: 'GET', path: '/admin/api/v1/fulfillment-orders', headers: admin },
    { key: 'page-200', label: 'GET /admin/api/v1/pre-orders?limit=200', method: 'GET', path: '/admin/api/v1/pre-orders?limit=200', headers: admin, page: true },
  ];
}

const pathOf = (route: Route): string => (typeof route.path === 'function' ? route.path() : route.path);

/** One request of the route, as fetch sends it: status, headers and body. */
export async function once(url: string, route: Route): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const res = await fetch(`${url}${pathOf(route)}`, { method: route.method, headers: route.headers, body: route.body });
  const body = Buffer.from(await res.arrayBuffer());
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (!['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(name)) headers[name] = value;
  });
  return { status: res.status, headers, body };
}

/** The simulator's answer to the route, as the bare servers will repeat it. */
export async function canned(simulator: string, route: Route): Promise<Omit<CannedResponse, 'kind'>> {
  const answer = await once(simulator, route);
  if (answer.status < 200 || answer.status > 299) throw new Error(`the simulator answered ${route.label} with ${answer.status}: ${answer.body.toString().slice(0, 500)}`);
  return { method: route.method, path: pathOf(route).split('?')[0]!, status: answer.status, headers: answer.headers, body: answer.body.toString('base64') };
}

/** A short warm-up without autocannon (whose runs last whole seconds): `count` requests over 10 connections. */
export async function warm(url: string, route: Route, count = 300): Promise<void> {
  let left = count;
  await Promise.all(Array.from({ length: 10 }, async () => {
    while (left-- > 0) await once(url, route);
  }));
}

export interface Sample {
  rps: number;
  /** Requests answered in the run. */
  requests: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** One autocannon run of `seconds` against `url`, 10 connections by default. autocannon stops on its 1-s
 * tick, so a run lasts whole seconds: `seconds` is rounded up. */
export async function load(url: string, route: Route, seconds: number, connections = 10): Promise<Sample> {
  const request: autocannon.Request = typeof route.path === 'function'
    ? { method: route.method, headers: route.headers, setupRequest: (req) => ({ ...req, path: pathOf(route) }) }
    : { method: route.method, path: route.path, headers: route.headers, ...(route.body ? { body: route.body } : {}) };
  const result = await autocannon({ url, connections, duration: Math.max(1, Math.ceil(seconds)), requests: [request] });
  const statuses: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = stat.count ?? 0;
  return {
    rps: result.requests.average, requests: result.requests.total, p50: result.latency.p50, p99: result.latency.p99,
    statuses, errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx,
  };
}
