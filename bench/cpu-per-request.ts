/**
 * Server CPU time per request: the simulator against a bare Express route sending the same bytes, on the same
 * routes as bench/compare.ts. req/s on a shared 2-core machine moves with whatever else runs (the client
 * included); the CPU a server spends per answer moves much less, so this is the figure to compare work by
 * when the machine is busy. Read from /proc/<pid>/stat (user + system time of the serving process, its GC
 * threads included) around each autocannon run, divided by the requests answered in it. Linux only.
 * Run: npx tsx bench/cpu-per-request.ts [--routes page-50,page-200] [--runs 3] [--duration 2] [--scenario large-catalogue] [--floor]
 * --floor also measures the bare node:http server (the floor of compare.ts) on the same bytes.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import {
  buildIfStale, canned, fixture, killAll, median, routes, startBare, startSimulator, warm, type Route, type Server,
} from './compare-lib.ts';

const { values: args } = parseArgs({
  options: { routes: { type: 'string' }, runs: { type: 'string' }, duration: { type: 'string' }, scenario: { type: 'string' }, 'sim-log-level': { type: 'string' }, floor: { type: 'boolean' } },
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

async function main(): Promise<void> {
  buildIfStale();
  const sim = await startSimulator({ scenario: SCENARIO, logLevel: args['sim-log-level'] });
  try {
    const all = routes(await fixture(sim.url)).filter((r) => WANTED.includes(r.key));
    console.log(`server CPU µs per request, median of ${RUNS} runs × ${DURATION} s, 10 connections; simulator scenario ${SCENARIO}`);
    const floor = args.floor === true;
    console.log(`| route | bytes | simulator µs | Express µs | Express ÷ simulator |${floor ? ' node:http µs |' : ''}`);
    console.log(`|---|---:|---:|---:|---:|${floor ? '---:|' : ''}`);
    for (const route of all) {
      const answer = await canned(sim.url, route);
      const express = await startBare('express', answer);
      const http = floor ? await startBare('http', answer) : undefined;
      try {
        await warm(sim.url, route);
        await warm(express.url, route);
        if (http) await warm(http.url, route);
        const simulator: number[] = [];
        const bare: number[] = [];
        const bottom: number[] = [];
        for (let i = 0; i < RUNS; i += 1) {
          // Alternating, so both see the same moments of a busy machine.
          simulator.push(await run(sim, route));
          bare.push(await run(express, route));
          if (http) bottom.push(await run(http, route));
        }
        const s = median(simulator);
        const e = median(bare);
        const bytes = Buffer.from(answer.body, 'base64').length;
        console.log(`| ${route.label} | ${bytes.toLocaleString('en')} | ${s.toFixed(0)} | ${e.toFixed(0)} | ${(e / s).toFixed(2)} |${http ? ` ${median(bottom).toFixed(0)} |` : ''}`);
      } finally {
        await express.stop();
        await http?.stop();
      }
    }
  } finally {
    await sim.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  killAll();
  process.exitCode = 1;
});
