/**
 * Shared state on Redis (issue 17, point 5): what several instances on one log give and cost. Prints figures;
 * asserts no time (it fails only when a server answers a non-2xx or an instance does not come up).
 * Run: npm run bench:shared [-- options]   (npx tsx bench/shared-state.ts)
 *
 * Every server is `node bin/purple-dot-sim.js serve …` (dist/, rebuilt first when stale), a process of its own,
 * with its request log at the default level (info) into /dev/null as bench/compare.ts runs it; Redis is a
 * redis-server of this benchmark's own (Debian's redis-server 7) on a free loopback port, append-only.
 *
 * reads    GET /api/v1/availability (public, the route of bench/compare.ts) on one large-catalogue store,
 *          through 1, 2 and 3 (--instances) instances of one log in each consistency (`--consistency
 *          read-your-writes`, `eventual`), and through one instance without --state. The same total of
 *          connections (12) is spread over the instances: one autocannon per instance, all in this process,
 *          run together and summed. CPU of the instances and of Redis from /proc around each run, per
 *          request answered.
 * writes   POST /admin/api/v1/inventory (0 units of a SKU with no export budget: the store changes only its
 *          inventory level's time, but every POST is a change and goes to the log) on on-preorder, through one
 *          instance each of: no persistence; --state-file; --state redis:// with appendfsync always (what the
 *          state file promises: every acknowledged change on disk); --state redis:// with appendfsync everysec.
 *          autocannon with 10 connections, and the latency of one connection's requests one after another.
 * catch-up a new instance joining a large-catalogue store (100,000 pre-orders): the first instance begins the
 *          log (its base names the scenario and seed, not the data), takes 300 writes, then new instances are
 *          spawned one at a time and timed to their first 200 on GET /admin/api/v1/pre-orders/count (which
 *          must match the first's). Then 10,000 writes (the compaction threshold of src/replica/replica.ts)
 *          and a pause, so the lease holder writes a compacted base (the stores' data) in pieces; the same
 *          joins again. Last, writes that do not stop until the next base is stored (in one go, at four
 *          times the threshold). During both compactions a probe reads the clock through the compacting
 *          instance every 50 ms: its slowest answer is the stall clients see.
 *
 * Options: --parts reads,writes,catchup (all) · --runs N (3) · --duration S (2) · --warmup S (1) ·
 * --connections N (12, total for the reads) · --instances N (3, the most instances the reads go through) ·
 * --joins N (3 new instances timed each time) · --quick (runs 2, duration 1, joins 2).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { buildIfStale, fixture, freePort, load, median, ROOT, routes, rssMiB, sleep, stopChild, track, type Route, type Sample } from './compare-lib.ts';

const { values: args } = parseArgs({
  options: {
    parts: { type: 'string' }, runs: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' },
    connections: { type: 'string' }, instances: { type: 'string' }, joins: { type: 'string' }, quick: { type: 'boolean' },
  },
});
const quick = args.quick ?? false;
const PARTS = new Set((args.parts ?? 'reads,writes,catchup').split(','));
const RUNS = Number(args.runs ?? (quick ? 2 : 3));
const DURATION = Number(args.duration ?? (quick ? 1 : 2));
const WARMUP = Number(args.warmup ?? 1);
const CONNECTIONS = Number(args.connections ?? 12);
const JOINS = Number(args.joins ?? (quick ? 2 : 3));
const INSTANCES = Math.max(1, Number(args.instances ?? 3));
const READY_TIMEOUT_MS = 180_000;
const TICKS = 100; // USER_HZ of /proc/<pid>/stat
const temporary: string[] = [];
// Redis's folders and the state file go whatever happens (compare-lib.ts stops the children on exit).
process.on('exit', () => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const load1 = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

/** User + system CPU seconds of a process so far (its threads included). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

interface RedisServer {
  url(namespace: string): string;
  pid: number;
  client: Redis;
  stop(): Promise<void>;
}

/** A redis-server of this benchmark's own: append-only with the given fsync policy, no RDB snapshots. */
async function startRedis(fsync: 'always' | 'everysec'): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pds-bench-redis-'));
  temporary.push(dir);
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', fsync, '--save', ''], {
    detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  const started = Date.now();
  while (!/Ready to accept connections/.test(output)) {
    if (child.exitCode !== null || Date.now() - started > 10_000) throw new Error(`redis-server did not start: ${output}`);
    await sleep(20);
  }
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  await client.connect();
  return {
    url: (namespace) => `redis://127.0.0.1:${port}?namespace=${namespace}`,
    pid: child.pid!,
    client,
    async stop() {
      client.disconnect();
      await stopChild(child);
    },
  };
}

interface Instance {
  name: string;
  url: string;
  pid: number;
  child: ChildProcess;
  /** Spawn to the first 200 on the probe, ms. */
  readyMs: number;
  stop(): Promise<void>;
}

/** `purple-dot-sim serve` with these options on a free port; resolves at its first 200 on `probe`. */
async function startInstance(name: string, options: string[], probe = '/__sim/status'): Promise<Instance> {
  const port = await freePort();
  const spawned = performance.now();
  const child = spawn(process.execPath, ['bin/purple-dot-sim.js', 'serve', '--port', String(port), ...options], {
    cwd: ROOT, detached: true, stdio: ['ignore', 'ignore', 'pipe'],
  });
  track(child);
  let output = '';
  child.stderr!.on('data', (d) => (output = (output + d).slice(-4_000)));
  const url = `http://127.0.0.1:${port}`;
  const headers = probe.startsWith('/admin') ? { 'X-Purple-Dot-Access-Token': 'pd_sim_private_access_token' } : undefined;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    if (performance.now() - spawned > READY_TIMEOUT_MS) throw new Error(`${name} did not answer within ${READY_TIMEOUT_MS / 1000} s:\n${output}`);
    const status = await fetch(`${url}${probe}`, { headers }).then(async (res) => {
      await res.arrayBuffer();
      return res.status;
    }, () => 0);
    if (status === 200) break;
    if (status !== 0) throw new Error(`${name} answered ${probe} with ${status}:\n${output}`);
    await sleep(10);
  }
  return { name, url, pid: child.pid!, child, readyMs: performance.now() - spawned, stop: () => stopChild(child) };
}

const bad = (s: Sample): number => s.errors + s.timeouts + s.non2xx;
let failures = 0;
const check = (what: string, samples: Sample[]): void => {
  const wrong = samples.reduce((n, s) => n + bad(s), 0);
  if (wrong > 0) {
    failures += 1;
    console.log(`  FAILED: ${what}: ${wrong} non-2xx answers, errors or timeouts (${JSON.stringify(samples.map((s) => s.statuses))})`);
  }
};

interface Measured {
  rps: number;
  /** The highest p99 of the instances' autocannons, ms. */
  p99: number;
  /** CPU µs per request answered: the instances together, and Redis. */
  instanceCpu: number;
  redisCpu: number;
}

/** One run of `seconds` through every instance at once, `connections` spread over them; summed. */
async function spread(instances: Instance[], route: Route, seconds: number, connections: number, redisPid?: number): Promise<Measured> {
  const pids = instances.map((i) => i.pid);
  const before = pids.map(cpuSeconds);
  const redisBefore = redisPid ? cpuSeconds(redisPid) : 0;
  const share = (i: number): number => Math.floor(connections / instances.length) + (i < connections % instances.length ? 1 : 0);
  const samples = await Promise.all(instances.map((instance, i) => load(instance.url, route, seconds, share(i))));
  check(`${route.label} through ${instances.map((i) => i.name).join(', ')}`, samples);
  const requests = samples.reduce((n, s) => n + s.rps, 0) * Math.max(1, Math.ceil(seconds));
  const instanceCpu = pids.reduce((n, pid, i) => n + cpuSeconds(pid) - before[i]!, 0);
  const redisCpu = redisPid ? cpuSeconds(redisPid) - redisBefore : 0;
  return {
    rps: samples.reduce((n, s) => n + s.rps, 0),
    p99: Math.max(...samples.map((s) => s.p99)),
    instanceCpu: (instanceCpu / requests) * 1e6,
    redisCpu: (redisCpu / requests) * 1e6,
  };
}

const summary = (runs: Measured[]): Measured => ({
  rps: median(runs.map((r) => r.rps)),
  p99: median(runs.map((r) => r.p99)),
  instanceCpu: median(runs.map((r) => r.instanceCpu)),
  redisCpu: median(runs.map((r) => r.redisCpu)),
});

function table(header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 2)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of cells.slice(1)) console.log(line(r));
}

const began = performance.now();
buildIfStale();
console.log(`bench/shared-state.ts: parts ${[...PARTS].join(', ')}; ${RUNS} runs × ${DURATION} s after ${WARMUP} s of warm-up`);
console.log(`machine: ${availableParallelism()} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}; load average at start ${load1()}`);
console.log(`With ${availableParallelism()} cores, more instances cannot add throughput beyond what the cores leave: each instance runs its requests on one`
  + ' core and shares the cores with Redis and with autocannon (in this process), so here a second instance gets only what the client and Redis'
  + ' leave of the second core, and a third nothing. To scale from: CPU per request, of the instances (÷ cores) and of Redis (one thread).\n');

// ---------------------------------------------------------------------------------------------------------
if (PARTS.has('reads')) {
  const redis = await startRedis('always');
  const log = redis.url('bench-reads');
  const common = ['--scenario', 'large-catalogue'];
  // One log; INSTANCES instances in each consistency (each started the same way: the first to store a base begins it).
  const counts = Array.from({ length: INSTANCES }, (_, i) => i + 1);
  const ryw = [await startInstance('ryw-1', [...common, '--state', log])];
  ryw.push(...await Promise.all(counts.slice(1).map((n) => startInstance(`ryw-${n}`, [...common, '--state', log]))));
  const eventual = await Promise.all(counts.map((n) => startInstance(`ev-${n}`, [...common, '--state', log, '--consistency', 'eventual'])));
  const alone = await startInstance('no-state', common);
  const route = routes(await fixture(ryw[0]!.url)).find((r) => r.key === 'availability')!;
  const configs: { label: string; instances: Instance[]; redis: boolean }[] = [
    { label: 'no --state (one process, in memory)', instances: [alone], redis: false },
    ...counts.map((n) => ({ label: `--state, read-your-writes, ${n} instance${n > 1 ? 's' : ''}`, instances: ryw.slice(0, n), redis: true })),
    ...counts.map((n) => ({ label: `--state, eventual, ${n} instance${n > 1 ? 's' : ''}`, instances: eventual.slice(0, n), redis: true })),
  ];
  console.log(`reads: ${route.label} on large-catalogue, ${CONNECTIONS} connections in all; instances up (ready in ${[...ryw, ...eventual, alone].map((i) => `${fmt(i.readyMs)}`).join(', ')} ms)`);
  if (WARMUP > 0) for (const config of configs) await spread(config.instances, route, WARMUP, CONNECTIONS);
  const runs = new Map<string, Measured[]>();
  for (let round = 0; round < RUNS; round += 1) {
    // Rotated from round to round, so no configuration always runs first or last.
    for (let k = 0; k < configs.length; k += 1) {
      const config = configs[(k + round) % configs.length]!;
      const measured = await spread(config.instances, route, DURATION, CONNECTIONS, config.redis ? redis.pid : undefined);
      runs.set(config.label, [...(runs.get(config.label) ?? []), measured]);
    }
  }
  const rss = [...ryw, ...eventual, alone].map((i) => `${i.name} ${fmt(rssMiB(i.pid))}`).join(', ');
  await Promise.all([...ryw, ...eventual, alone].map((i) => i.stop()));
  await redis.stop();
  const baseline = summary(runs.get(configs[0]!.label)!).rps;
  console.log(`\nreads, median of ${RUNS} runs (load average now ${load1()}); RSS after, MiB: ${rss}`);
  table(['through', 'req/s', '÷ no --state', 'p99 ms (worst instance)', 'CPU µs/request, instances', 'CPU µs/request, Redis'], configs.map((config) => {
    const m = summary(runs.get(config.label)!);
    return [config.label, fmt(m.rps), (m.rps / baseline).toFixed(2), fmt(m.p99), fmt(m.instanceCpu), config.redis ? fmt(m.redisCpu, 1) : '–'];
  }));
  console.log();
}

// ---------------------------------------------------------------------------------------------------------
if (PARTS.has('writes')) {
  const [always, everysec] = await Promise.all([startRedis('always'), startRedis('everysec')]);
  const dir = mkdtempSync(join(tmpdir(), 'pds-bench-state-'));
  temporary.push(dir);
  const common = ['--scenario', 'on-preorder'];
  const configs = [
    { label: 'no persistence', instance: await startInstance('memory', common), redis: undefined },
    { label: '--state-file PATH (fsync per change)', instance: await startInstance('state-file', [...common, '--state-file', join(dir, 'state.jsonl')]), redis: undefined },
    { label: '--state redis://, appendfsync always', instance: await startInstance('redis-always', [...common, '--state', always.url('bench-writes')]), redis: always },
    { label: '--state redis://, appendfsync everysec', instance: await startInstance('redis-everysec', [...common, '--state', everysec.url('bench-writes')]), redis: everysec },
  ];
  const route = routes(await fixture(configs[0]!.instance.url)).find((r) => r.key === 'inventory')!;
  console.log(`writes: ${route.label} (${route.body}) on on-preorder, one instance each; 10 connections, then 1 connection`);
  if (WARMUP > 0) for (const config of configs) await spread([config.instance], route, WARMUP, 10);
  const runs = new Map<string, Measured[]>();
  const serial = new Map<string, number[]>();
  for (let round = 0; round < RUNS; round += 1) {
    for (let k = 0; k < configs.length; k += 1) {
      const config = configs[(k + round) % configs.length]!;
      runs.set(config.label, [...(runs.get(config.label) ?? []), await spread([config.instance], route, DURATION, 10, config.redis?.pid)]);
      // One connection, one request after another: the round trip each write pays, without queueing.
      const times = serial.get(config.label) ?? [];
      for (let i = 0; i < 200; i += 1) {
        const t = performance.now();
        const res = await fetch(`${config.instance.url}${route.path as string}`, { method: 'POST', headers: route.headers, body: route.body });
        await res.arrayBuffer();
        if (res.status !== 201) {
          failures += 1;
          console.log(`  FAILED: ${config.label}: ${res.status}`);
        }
        times.push(performance.now() - t);
      }
      serial.set(config.label, times);
    }
  }
  const lengths = await Promise.all([always, everysec].map((r) => r.client.xlen('bench-writes:store:default')));
  await Promise.all(configs.map((c) => c.instance.stop()));
  await Promise.all([always.stop(), everysec.stop()]);
  const percentile = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
  console.log(`\nwrites, median of ${RUNS} runs; 1 connection: ${RUNS} × 200 requests (load average now ${load1()}); entries in the two streams at the end: ${lengths.join(', ')} (compactions trim them)`);
  table(['persistence', 'req/s (10 conn.)', 'p99 ms (10 conn.)', 'p50 ms (1 conn.)', 'p99 ms (1 conn.)', 'CPU µs/write, instance', 'CPU µs/write, Redis'], configs.map((config) => {
    const m = summary(runs.get(config.label)!);
    const times = serial.get(config.label)!;
    return [config.label, fmt(m.rps), fmt(m.p99), percentile(times, 0.5).toFixed(2), percentile(times, 0.99).toFixed(2), fmt(m.instanceCpu), config.redis ? fmt(m.redisCpu, 1) : '–'];
  }));
  console.log();
}

// ---------------------------------------------------------------------------------------------------------
if (PARTS.has('catchup')) {
  const redis = await startRedis('always');
  const namespace = 'bench-catchup';
  const log = redis.url(namespace);
  const options = ['--scenario', 'large-catalogue', '--state', log];
  const countPath = '/admin/api/v1/pre-orders/count';
  const admin = { 'X-Purple-Dot-Access-Token': 'pd_sim_private_access_token' };
  const count = async (url: string): Promise<number> => ((await (await fetch(`${url}${countPath}`, { headers: admin })).json()) as { data: { count: number } }).data.count;
  const first = await startInstance('first', options, countPath);
  console.log(`catch-up: the first instance began the log with large-catalogue: ${fmt(first.readyMs)} ms from spawn to its first 200 on ${countPath}`);
  const f = await fixture(first.url);
  const inventory = routes(f).find((r) => r.key === 'inventory')!;
  // A few hundred writes of every kind: placements, inventory, clock moves.
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<void> => {
    const res = await fetch(`${first.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`POST ${path}: ${res.status}`);
  };
  const fewWrites = async (n: number, tag: string): Promise<void> => {
    for (let i = 0; i < n; i += 1) {
      if (i % 3 === 0) await post('/__sim/pre-orders', { email: `join-${tag}-${i}@example.com`, lines: [{ variant_id: f.variantId, quantity: 1 }] }).catch(() => post('/__sim/clock/advance', { seconds: 1 }));
      else if (i % 3 === 1) await post('/admin/api/v1/inventory', { sku: `BENCH-${i % 7}`, available_units: i }, admin);
      else await post('/__sim/clock/advance', { seconds: 1 });
    }
  };
  await fewWrites(300, 'a');
  const stream = `${namespace}:store:default`;
  const baseBytes = async (): Promise<number> => redis.client.strlen(`${namespace}:base`);
  /** Entries appended to the default store's stream so far (the number the append script gives the last one). */
  const appended = async (): Promise<number> => Number((await redis.client.get(`${stream}:n`)) ?? 0);
  /** How far into that stream the base stands: its last bytes name the position (0 for the first base, which names none). */
  const basePosition = async (): Promise<number> => {
    const tail = await redis.client.getrange(`${namespace}:base`, -300, -1);
    const match = /"default":\{"id":"[^"]*","n":(\d+)\}/.exec(tail);
    return match ? Number(match[1]) : 0;
  };
  /** Reads the clock every 50 ms through the first instance: the slowest answer shows a stall; no answer is counted. */
  const probe = (): { stop(): Promise<{ slowest: number; errors: string[] }> } => {
    let probing = true;
    let slowest = 0;
    const errors: string[] = [];
    const running = (async () => {
      while (probing) {
        const t = performance.now();
        await fetch(`${first.url}/__sim/clock`).then((res) => res.arrayBuffer(), (error: Error) => {
          errors.push(`${(error.cause as Error | undefined)?.message ?? error.message} after ${fmt(performance.now() - t)} ms`);
        });
        slowest = Math.max(slowest, performance.now() - t);
        await sleep(50);
      }
    })();
    return {
      async stop() {
        probing = false;
        await running;
        return { slowest, errors };
      },
    };
  };
  /** autocannon's writes in 1-s runs until `done`; errors and timeouts counted, not fatal (the figures say what happened). */
  const writeUntil = async (done: () => Promise<boolean>, what: string): Promise<{ writes: number; seconds: number; unanswered: number }> => {
    const t = performance.now();
    let writes = 0;
    let unanswered = 0;
    while (!(await done())) {
      if (performance.now() - t > 300_000) throw new Error(`${what}: not done after 5 minutes of writes`);
      const sample = await load(first.url, inventory, 1, 10);
      unanswered += sample.errors + sample.timeouts;
      if (sample.non2xx > 0) check(what, [sample]);
      writes += sample.rps;
    }
    return { writes, seconds: (performance.now() - t) / 1000, unanswered };
  };

  const joins = async (label: string): Promise<{ label: string; ms: number[]; base: number; entries: number; rss: number[] }> => {
    const ms: number[] = [];
    const rss: number[] = [];
    const expected = await count(first.url);
    const base = await baseBytes();
    const entries = (await appended()) - (await basePosition());
    for (let i = 0; i < JOINS; i += 1) {
      const joiner = await startInstance(`joiner ${i + 1}`, options, countPath);
      ms.push(joiner.readyMs);
      rss.push(rssMiB(joiner.pid));
      const seen = await count(joiner.url);
      if (seen !== expected) {
        failures += 1;
        console.log(`  FAILED: ${label}: the new instance counts ${seen} pre-orders, the first ${expected}`);
      }
      await joiner.stop();
    }
    console.log(`  ${label}: ${ms.map((x) => fmt(x)).join(', ')} ms`);
    return { label, ms, base, entries, rss };
  };
  const rows = [await joins('base from the seed, 300 entries after it')];

  // A compaction as designed: the lease holder writes the base in pieces once 10,000 entries were applied since
  // the last one, and gives up when the large store changes before it is read to its end; so the writes stop here.
  const from = await appended();
  const towards = await writeUntil(async () => (await appended()) >= from + 10_100, 'writes towards a compaction');
  const quiet = probe();
  const waited = performance.now();
  while ((await basePosition()) === 0) {
    if (performance.now() - waited > 90_000) throw new Error('no compaction 90 s after 10,000 entries');
    await sleep(100);
  }
  const stepped = { ...(await quiet.stop()), ms: performance.now() - waited, bytes: await baseBytes() };
  console.log(`  compaction with the writes paused: ${fmt(towards.writes)} writes in ${fmt(towards.seconds, 1)} s, then the base (${fmt(stepped.bytes / 1024 ** 2, 1)} MiB, in pieces) `
    + `stored ${fmt(stepped.ms)} ms after the writes stopped; slowest read of the clock through that instance meanwhile ${fmt(stepped.slowest)} ms${stepped.errors.length ? `; unanswered: ${stepped.errors.join('; ')}` : ''}`);
  await sleep(2_500);
  await fewWrites(30, 'b');
  rows.push(await joins('compacted base (the stores\' data), 30 entries after it'));

  // A compaction under writes that do not stop: each try in pieces gives up as the store changes, until the
  // streams reach four times the threshold and the base is written in one go.
  const sustainedFrom = await basePosition();
  const busy = probe();
  const sustained = await writeUntil(async () => (await basePosition()) !== sustainedFrom, 'writes through a compaction');
  const stall = await busy.stop();
  console.log(`  compaction under sustained writes: the next base after ${fmt(sustained.writes)} writes in ${fmt(sustained.seconds, 1)} s (at entry ${fmt(await basePosition())}); `
    + `slowest read of the clock through that instance meanwhile ${fmt(stall.slowest)} ms; unanswered: ${sustained.unanswered} of autocannon's writes, `
    + `${stall.errors.length ? stall.errors.join('; ') : 'none'} of the probe's reads`);

  const firstRss = rssMiB(first.pid);
  await first.stop();
  await redis.stop();
  console.log(`\ncatch-up of a new instance on large-catalogue (100,000 pre-orders), spawn to its first 200 on ${countPath}; ${JOINS} joins each (load average now ${load1()}); the first instance's RSS ${fmt(firstRss)} MiB`);
  table(['joining from', 'median ms', 'runs ms', 'base in Redis', 'entries after the base', 'RSS MiB'], rows.map((r) => [
    r.label, fmt(median(r.ms)), r.ms.map((x) => fmt(x)).join(', '), r.base < 1024 ** 2 ? `${fmt(r.base)} bytes` : `${fmt(r.base / 1024 ** 2, 1)} MiB`, fmt(r.entries), fmt(median(r.rss)),
  ]));
  console.log();
}

console.log(`bench/shared-state.ts: ${failures ? `${failures} FAILED` : 'done'} in ${fmt((performance.now() - began) / 1000)} s; load average at the end ${load1()}`);
process.exit(failures ? 1 : 0);
