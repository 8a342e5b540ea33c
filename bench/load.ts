/**
 * Mixed load, as a benchmark (never a test): public reads, private pages of 200, inventory posts and
 * placements at 100 connections, while a prober opens a fresh connection every 250 ms and times its first
 * answer. Reports throughput, errors, latency, the slowest new connection, event-loop delay and memory.
 * Run: npx tsx bench/load.ts [seconds=60] [connections=100]
 * LOAD_NODE_FLAGS='--max-semi-space-size=64' gives the server process V8 flags (to compare garbage-collector settings).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import autocannon from 'autocannon';
import { DEFAULT_CREDENTIALS } from '../src/index.ts';

const seconds = Number(process.argv[2] ?? 60);
const connections = Number(process.argv[3] ?? 100);
const server = fork(new URL('./load-server.ts', import.meta.url).pathname, ['on-preorder', '10000'], { execArgv: ['--import', 'tsx', '--expose-gc', ...(process.env.LOAD_NODE_FLAGS ?? '').split(' ').filter(Boolean), ...(process.env.LOAD_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.LOAD_PROFILE] : [])] });
const [ready] = (await once(server, 'message')) as [{ url: string }];
const url = ready.url;
const stats = async (): Promise<{ rss: number; heapUsed: number; heapTotal: number; external: number; maxDelayMs: number; p99DelayMs: number }> => {
  server.send({ type: 'stats' });
  const [message] = (await once(server, 'message')) as [{ rss: number; heapUsed: number; heapTotal: number; external: number; maxDelayMs: number; p99DelayMs: number }];
  return message;
};

const headers = { 'X-Purple-Dot-Access-Token': DEFAULT_CREDENTIALS.private_access_token, 'Content-Type': 'application/json' };
const status = await (await fetch(`${url}/admin/api/v1/waitlists`, { headers })).json() as { data: { waitlists: { availability: { variants: { variant_id: string; sku: string }[] } }[] } };
const variants = status.data.waitlists.flatMap((w) => w.availability.variants);
let n = 0;
const requests: autocannon.Request[] = [
  { method: 'GET', path: `/api/v1/waitlists?api_key=${DEFAULT_CREDENTIALS.public_api_key}` },
  { method: 'GET', path: `/api/v1/variants/preorder-state?variant_id=${variants[0]!.variant_id}&api_key=${DEFAULT_CREDENTIALS.public_api_key}` },
  { method: 'GET', path: '/admin/api/v1/pre-orders?limit=200', headers },
  {
    method: 'POST', path: '/admin/api/v1/inventory', headers,
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ sku: variants[(n += 1) % variants.length]!.sku, available_units: n % 5 }) }),
  },
  {
    // A placement may be refused once a waitlist sells out (409): a business answer, not an error.
    method: 'POST', path: '/__sim/pre-orders', headers: { 'Content-Type': 'application/json' },
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `load${n}@example.com`, lines: [{ variant_id: variants[n % variants.length]!.variant_id, quantity: 1 }] }) }),
  },
];

/** Time from opening a new connection to the first byte of its answer. */
const probe = (): Promise<number> => new Promise((resolve) => {
  const started = performance.now();
  const req = request(`${url}/api/v1/waitlists?api_key=${DEFAULT_CREDENTIALS.public_api_key}`, { agent: false }, (res) => {
    res.once('data', () => resolve(performance.now() - started));
    res.resume();
  });
  req.on('error', () => resolve(Number.POSITIVE_INFINITY));
  req.end();
});

// Warm up until the journal (10,000 entries) is full: from then on it holds steady, so the memory measured
// after the run is what the run itself left behind, not the journal reaching its bound. Then 10 s at the run's
// own concurrency: V8 keeps the heap it grew for the most requests under way at once (100 pages of 200 in
// flight need far more than 10), and that high-water mark is the working size, not a leak.
await autocannon({ url, requests, connections: 10, amount: 12_000 });
await autocannon({ url, requests, connections, duration: 10 });
// Memory is read at rest: 10 s idle, then a full GC, after the warm-up and after the run alike (V8 hands pages
// back to the system some seconds after a burst, not at once).
const rest = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10_000));
await rest();
const warm = await stats();
server.send({ type: 'reset-delay' });
const waits: number[] = [];
let probing = true;
const prober = (async () => {
  while (probing) {
    waits.push(await probe());
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
})();
const result = await autocannon({ url, requests, connections, duration: seconds });
probing = false;
await prober;
await rest();
const after = await stats();
const storeCount = await (await fetch(`${url}/admin/api/v1/pre-orders/count`, { headers })).json() as { data: { count: number } };
server.send({ type: 'stop' });

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const sorted = [...waits].sort((a, b) => a - b);
console.log(`mixed load: ${seconds} s, ${connections} connections, 5 kinds of request (public reads, private pages of 200, inventory posts, placements)`);
console.log(`  requests ${result.requests.total}, ${Math.round(result.requests.average)} req/s; non-2xx ${result.non2xx} (409s from sold-out placements included), errors ${result.errors}, timeouts ${result.timeouts}`);
console.log(`  latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`);
console.log(`  a new connection's first answer: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms (${sorted.length} probes)`);
console.log(`  event-loop delay during the run: p99 ${after.p99DelayMs.toFixed(1)} ms, max ${after.maxDelayMs.toFixed(1)} ms`);
console.log(`  RSS after warm-up ${mib(warm.rss)} MiB, after the run ${mib(after.rss)} MiB; the store now holds ${storeCount.data.count} pre-orders`);
// What the new state accounts for: the live heap's growth after a full GC (the pre-orders placed, the exports).
const stateGrowth = Math.max(0, after.heapUsed - warm.heapUsed);
const allowed = warm.rss * 1.1 + stateGrowth;
console.log(`  live heap after a full GC: ${mib(warm.heapUsed)} MiB after warm-up, ${mib(after.heapUsed)} MiB after the run (+${mib(stateGrowth)} MiB of new state); heap reserved ${mib(warm.heapTotal)} → ${mib(after.heapTotal)} MiB, outside the heap (buffers) ${mib(warm.external)} → ${mib(after.external)} MiB`);
console.log(`  RSS after the run ${after.rss <= allowed ? 'is within' : 'is over'} 10% of RSS after warm-up plus the new state (${mib(after.rss)} MiB against ${mib(allowed)} MiB)`);
