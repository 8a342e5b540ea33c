/**
 * Start-up time and memory, against Prism's mock of the same spec.
 * Run: npm run bench:startup [runs]   (npx tsx bench/startup.ts [runs]; 5 fresh processes each by default)
 *
 * - `npm start -- --port N`, `node bin/purple-dot-sim.js serve --port N` and
 *   `node node_modules/.bin/prism mock spec/purple-dot.openapi.yaml --port N`: time from spawn to the first
 *   200 (on GET /__sim/status, and for Prism on the documented GET /api/v1/waitlists), median of fresh processes.
 * - idle RSS (VmRSS in /proc/<pid>/status) of the node process that serves, not of a wrapper (npm, sh),
 *   read IDLE_MS after its first 200; median of the same runs.
 * - createSimulator().listen(0) in an already-loaded process: median of 20 after one warm-up.
 *
 * Needs a built dist/ (built here when stale, before any timing) and Linux's /proc.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createSimulator } from '../src/index.ts';
import { freePort, median, sleep, stopChild, track } from './compare-lib.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.argv[2] ?? 5);
const LISTEN_RUNS = 20;
const IDLE_MS = 2_000;
const READY_TIMEOUT_MS = 60_000;
const PUBLIC_API_KEY = '4b1d3f0e-8c2a-4f6b-9e7d-5a0c1b2d3e4f';

/** Children of each process, from /proc/<pid>/stat. */
function childrenOf(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited while we looked
    }
  }
  return children;
}

/** The node process, among `root` and its descendants, whose command line contains `marker` (not npm's sh). */
function findProcess(root: number, marker: string): number | undefined {
  const children = childrenOf();
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    try {
      if (readlinkSync(`/proc/${pid}/exe`) === process.execPath && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) return pid;
    } catch {
      // exited
    }
    queue.push(...(children.get(pid) ?? []));
  }
  return undefined;
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) / 1024;
}

interface Target {
  name: string;
  command(port: number): [string, string[]];
  /** Path and query of the GET that must answer 200. */
  probe: string;
  /** Part of the serving node process's command line. */
  marker: string;
}

const targets: Target[] = [
  {
    name: 'npm start',
    command: (port) => ['npm', ['start', '--silent', '--', '--port', String(port)]],
    probe: '/__sim/status',
    marker: 'bin/purple-dot-sim.js',
  },
  {
    name: 'node bin/purple-dot-sim.js serve',
    command: (port) => [process.execPath, ['bin/purple-dot-sim.js', 'serve', '--port', String(port)]],
    probe: '/__sim/status',
    marker: 'bin/purple-dot-sim.js',
  },
  {
    name: 'prism mock',
    command: (port) => [process.execPath, ['node_modules/.bin/prism', 'mock', 'spec/purple-dot.openapi.yaml', '--port', String(port), '--host', '127.0.0.1']],
    probe: `/api/v1/waitlists?api_key=${PUBLIC_API_KEY}`,
    marker: 'prism',
  },
];

async function startOnce(target: Target): Promise<{ ms: number; rss: number }> {
  const port = await freePort();
  const [command, args] = target.command(port);
  const started = performance.now();
  const child = spawn(command, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  try {
    let status = 0;
    while (performance.now() - started < READY_TIMEOUT_MS) {
      if (child.exitCode !== null) throw new Error(`${target.name} exited with ${child.exitCode}:\n${output}`);
      status = await fetch(`http://127.0.0.1:${port}${target.probe}`).then(
        async (res) => {
          await res.arrayBuffer();
          return res.status;
        },
        () => 0,
      );
      if (status !== 0) break;
      await sleep(10);
    }
    const ms = performance.now() - started;
    if (status !== 200) throw new Error(`${target.name}: GET ${target.probe} answered ${status || 'nothing'}\n${output}`);
    await sleep(IDLE_MS);
    const pid = findProcess(child.pid!, target.marker);
    if (pid === undefined) throw new Error(`${target.name}: no process with "${target.marker}" in its command line`);
    return { ms, rss: rssMiB(pid) };
  } finally {
    await stopChild(child);
  }
}

// dist/ must be fresh before timing `npm start`, or the first run would include a build.
const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) throw new Error('scripts/build.mjs --if-stale failed');

const rows: { name: string; ms: number; rss: number; all: number[] }[] = [];
for (const target of targets) {
  const times: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const run = await startOnce(target);
    times.push(run.ms);
    rss.push(run.rss);
  }
  rows.push({ name: target.name, ms: median(times), rss: median(rss), all: times });
}

// In this (already loaded) process: one warm-up, then LISTEN_RUNS timed.
await (await createSimulator().listen(0)).close();
const listens: number[] = [];
for (let i = 0; i < LISTEN_RUNS; i += 1) {
  const t = performance.now();
  const running = await createSimulator().listen(0);
  listens.push(performance.now() - t);
  await running.close();
}
const listenMs = median(listens);

const prism = rows.find((r) => r.name === 'prism mock')!;
const direct = rows.find((r) => r.name.startsWith('node bin'))!;
const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED');

console.log(`\nstart-up to first 200 and idle RSS (${IDLE_MS / 1000} s after it), median of ${RUNS} fresh processes\n`);
console.log(`${'process'.padEnd(36)}${'start ms'.padStart(10)}${'× prism'.padStart(9)}${'RSS MiB'.padStart(10)}${'× prism'.padStart(9)}   runs (ms)`);
for (const row of rows) {
  console.log(
    `${row.name.padEnd(36)}${row.ms.toFixed(0).padStart(10)}${(row.ms / prism.ms).toFixed(2).padStart(9)}` +
      `${row.rss.toFixed(1).padStart(10)}${(row.rss / prism.rss).toFixed(2).padStart(9)}   ${row.all.map((ms) => ms.toFixed(0)).join(' ')}`,
  );
}
console.log(`\ncreateSimulator().listen(0) in a loaded process: ${listenMs.toFixed(1)} ms (median of ${LISTEN_RUNS}; min ${Math.min(...listens).toFixed(1)}, max ${Math.max(...listens).toFixed(1)})`);
console.log('\ntargets');
console.log(`  direct start ≤ 0.3× Prism's      ${(direct.ms / prism.ms).toFixed(2)}×   ${mark(direct.ms <= 0.3 * prism.ms)}`);
console.log(`  idle RSS ≤ 0.6× Prism's          ${(direct.rss / prism.rss).toFixed(2)}×   ${mark(direct.rss <= 0.6 * prism.rss)}`);
console.log(`  listen(0) in a loaded process ≤ 50 ms   ${listenMs.toFixed(1)} ms   ${mark(listenMs <= 50)}`);
