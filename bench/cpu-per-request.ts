/**
 * Server CPU time per request: the simulator against a bare Express route sending the same bytes, on the same
 * routes as bench/compare.ts. req/s on a shared 2-core machine moves with whatever else runs (the client
 * included); the CPU a server spends per answer moves much less, so this is the figure to compare work by
 * when the machine is busy. Read from /proc/<pid>/stat (user + system time of the serving process, its GC
 * threads included) around each autocannon run, divided by the requests answered in it. Linux only.
 * Run: npx tsx bench/cpu-per-request.ts [--routes page-50,page-200] [--runs 3] [--duration 2] [--scenario large-catalogue]
 *        [--floor] [--baseline DIR]
 * --floor     also measures the bare node:http server (the floor of compare.ts) on the same bytes.
 * --baseline  also measures the simulator of another checkout, built (`git worktree add DIR <commit>`, or
 *             `git archive <commit> | tar -x -C DIR`, then `npm run build` there): before and after a change, in
 *             the same runs, since the machine's load moves every figure by tens of percent.
 * Every target gets one run per round, in the same order, so all see the same moments of a busy machine.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import {
  buildIfStale, canned, fixture, freePort, killAll, median, routes, sleep, startBare, startSimulator, stopChild, track, warm, type Route, type Server,
} from './compare-lib.ts';

const { values: args } = parseArgs({
  options: {
    routes: { type: 'string' }, runs: { type: 'string' }, duration: { type: 'string' }, scenario: { type: 'string' }, 'sim-log-level': { type: 'string' },
    floor: { type: 'boolean' }, baseline: { type: 'string' },
  },
});
const RUNS = Number(args.runs ?? 3);
const DURATION = Number(args.duration ?? 2);
const SCENARIO = args.scenario ?? 'large-catalogue';
const WANTED = (args.routes ?? 'page-50,page-200').split(',');
/** Clock ticks per second of /proc's times (USER_HZ); 100 on every Linux this runs on. */
const TICKS = 100;

/** User + system CPU seconds of a process so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces, so it is skipped by its closing parenthesis).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** One run: requests answered (2xx only counted as answered; anything else fails) and server CPU µs per request. */
async function run(server: Server, route: Route): Promise<number> {
  const before = cpuSeconds(server.pid);
  // A path that changes with time (P5's shopper token, valid 10 s) is made afresh for each request, as compare.ts does.
  const request: autocannon.Request = typeof route.path === 'function'
    ? { method: route.method, headers: route.headers, setupRequest: (req) => ({ ...req, path: (route.path as () => string)() }) }
    : { method: route.method, path: route.path, headers: route.headers, ...(route.body ? { body: route.body } : {}) };
  const result = await autocannon({ url: server.url, connections: 10, duration: DURATION, requests: [request] });
  const spent = cpuSeconds(server.pid) - before;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${server.name} answered ${route.label} with ${result.non2xx} non-2xx and ${result.errors} errors`);
  return (spent * 1e6) / result.requests.total;
}

/** `purple-dot-sim serve` of another checkout (its own dist/), as startSimulator runs this one's. */
async function startBaseline(dir: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['bin/purple-dot-sim.js', 'serve', '--scenario', SCENARIO, '--port', String(port), ...(args['sim-log-level'] ? ['--log-level', args['sim-log-level']] : [])], {
    cwd: dir, detached: true, stdio: ['ignore', 'ignore', 'inherit'],
  });
  track(child);
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the baseline in ${dir} exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/__sim/status`).then(async (res) => (await res.arrayBuffer(), true), () => false);
    if (ok) break;
    if (performance.now() - started > 90_000) throw new Error(`the baseline in ${dir} did not answer within 90 s`);
    await sleep(50);
  }
  return { name: 'baseline', url, pid: child.pid!, stop: () => stopChild(child) };
}

async function main(): Promise<void> {
  buildIfStale();
  const [sim, base] = await Promise.all([
    startSimulator({ scenario: SCENARIO, logLevel: args['sim-log-level'] }),
    args.baseline ? startBaseline(resolve(args.baseline)) : undefined,
  ]);
  try {
    const all = routes(await fixture(sim.url)).filter((r) => WANTED.includes(r.key));
    // The baseline's own credentials and IDs (the same scenario and seed give the same, but they are read, not assumed).
    const baseRoutes = base ? routes(await fixture(base.url)) : [];
    const floor = args.floor === true;
    console.log(`server CPU µs per request, median of ${RUNS} runs × ${DURATION} s, 10 connections; simulator scenario ${SCENARIO}${base ? `; baseline ${args.baseline}` : ''}`);
    const columns = ['route', 'bytes', ...(base ? ['baseline µs'] : []), 'simulator µs', 'Express µs', ...(base ? ['Express ÷ baseline'] : []), 'Express ÷ simulator', ...(floor ? ['node:http µs'] : [])];
    console.log(`| ${columns.join(' | ')} |`);
    console.log(`|---|${columns.slice(1).map(() => '---:').join('|')}|`);
    for (const route of all) {
      const answer = await canned(sim.url, route);
      const baseRoute = baseRoutes.find((r) => r.key === route.key);
      const express = await startBare('express', answer);
      const http = floor ? await startBare('http', answer) : undefined;
      try {
        if (base && baseRoute) await warm(base.url, baseRoute);
        await warm(sim.url, route);
        await warm(express.url, route);
        if (http) await warm(http.url, route);
        const baseline: number[] = [];
        const simulator: number[] = [];
        const bare: number[] = [];
        const bottom: number[] = [];
        for (let i = 0; i < RUNS; i += 1) {
          // Alternating, so all see the same moments of a busy machine.
          if (base && baseRoute) baseline.push(await run(base, baseRoute));
          simulator.push(await run(sim, route));
          bare.push(await run(express, route));
          if (http) bottom.push(await run(http, route));
        }
        const s = median(simulator);
        const e = median(bare);
        const b = base ? median(baseline) : undefined;
        const bytes = Buffer.from(answer.body, 'base64').length;
        const cells = [
          route.label, bytes.toLocaleString('en'), ...(b !== undefined ? [b.toFixed(0)] : []), s.toFixed(0), e.toFixed(0),
          ...(b !== undefined ? [(e / b).toFixed(2)] : []), (e / s).toFixed(2), ...(http ? [median(bottom).toFixed(0)] : []),
        ];
        console.log(`| ${cells.join(' | ')} |`);
      } finally {
        await express.stop();
        await http?.stop();
      }
    }
  } finally {
    await sim.stop();
    await base?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  killAll();
  process.exitCode = 1;
});
