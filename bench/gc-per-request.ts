/**
 * What a request leaves to the garbage collector, per route: bytes allocated and bytes promoted to the old
 * generation per request, and the scavenges' pauses, for the simulator and for a bare Express route and a bare
 * node:http server answering its bytes. Promotion is what the latency tail is made of: a scavenge costs in
 * proportion to what survives it, and what is promoted survives until a full collection.
 * Run: npx tsx bench/gc-per-request.ts [--seconds S] [--routes a,b] [--scenario NAME] [--sim-node-flags F]
 *
 * Each server runs under `node --trace-gc-nvp`, its stdout (the trace; the simulator at --log-level silent) to a
 * file; per route, a warm-up, then one autocannon run of S seconds (10 connections), and the trace lines written
 * during it are summed. Allocation and promotion per request are counts of bytes, not times: they hardly move
 * with the machine's load, unlike p99. A busy machine still keeps requests in flight longer, and what is in
 * flight at a scavenge survives it, so measure on an idle one.
 */
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildIfStale, canned, fixture, killAll, load, routes, startBare, startSimulator, warm, type Route, type Server } from './compare-lib.ts';

const { values: args } = parseArgs({
  options: { seconds: { type: 'string' }, routes: { type: 'string' }, scenario: { type: 'string' }, 'sim-node-flags': { type: 'string' } },
});
const SECONDS = Number(args.seconds ?? 5);
const SCENARIO = args.scenario ?? 'large-catalogue';
const SIM_FLAGS = (args['sim-node-flags'] ?? '').split(' ').filter(Boolean);

interface Traced {
  server: Server;
  trace: string;
}

/** The scavenges ('gc=s') in the trace since `from` (a byte offset), summed. */
function scavengesSince(trace: string, from: number): { count: number; allocated: number; promoted: number; pauses: number[] } {
  const text = readFileSync(trace, 'utf8').slice(from);
  const field = (line: string, name: string): number => Number(new RegExp(`\\b${name}=([\\d.]+)`).exec(line)?.[1] ?? 0);
  const lines = text.split('\n').filter((line) => line.includes(' gc=s '));
  return {
    count: lines.length,
    allocated: lines.reduce((sum, line) => sum + field(line, 'allocated'), 0),
    promoted: lines.reduce((sum, line) => sum + field(line, 'promoted'), 0),
    pauses: lines.map((line) => field(line, 'pause')),
  };
}

async function measure(target: Traced, route: Route): Promise<string> {
  await warm(target.server.url, route, 2_000);
  const from = readFileSync(target.trace).length;
  const sample = await load(target.server.url, route, SECONDS);
  if (sample.non2xx > 0 || sample.errors > 0) throw new Error(`${target.server.name} answered ${route.label} with ${JSON.stringify(sample.statuses)}, ${sample.errors} errors`);
  const gc = scavengesSince(target.trace, from);
  const perRequest = (bytes: number): string => String(Math.round(bytes / sample.requests)).padStart(7);
  const meanPause = gc.pauses.length ? gc.pauses.reduce((a, b) => a + b, 0) / gc.pauses.length : 0;
  return `${target.server.name.padEnd(10)} ${String(Math.round(sample.rps)).padStart(7)} ${perRequest(gc.allocated)} ${perRequest(gc.promoted)} ${String(gc.count).padStart(6)} ${meanPause.toFixed(1).padStart(6)} ${Math.max(0, ...gc.pauses).toFixed(1).padStart(6)} ${String(sample.p99).padStart(5)}`;
}

buildIfStale();
const dir = mkdtempSync(join(tmpdir(), 'pd-gc-'));
const started: Server[] = [];
try {
  const simTrace = join(dir, 'simulator.log');
  const sim: Traced = {
    server: await startSimulator({ scenario: SCENARIO, logLevel: 'silent', nodeFlags: ['--trace-gc-nvp', ...SIM_FLAGS], stdout: openSync(simTrace, 'w') }),
    trace: simTrace,
  };
  started.push(sim.server);
  const all = routes(await fixture(sim.server.url));
  const wanted = args.routes ? all.filter((r) => args.routes!.split(',').includes(r.key)) : all;
  console.log(`gc-per-request: ${SECONDS} s per route and server, 10 connections; scenario ${SCENARIO}${SIM_FLAGS.length ? `; simulator flags ${SIM_FLAGS.join(' ')}` : ''}`);
  console.log('bytes per request allocated in / promoted out of the young generation; scavenges in the run, mean and longest pause (ms); p99 (ms)');
  for (const route of wanted) {
    console.log(`\n${route.label}`);
    console.log(`${'server'.padEnd(10)} ${'req/s'.padStart(7)} ${'alloc'.padStart(7)} ${'promo'.padStart(7)} ${'scav'.padStart(6)} ${'mean'.padStart(6)} ${'max'.padStart(6)} ${'p99'.padStart(5)}`);
    console.log(await measure(sim, route));
    const bytes = await canned(sim.server.url, route);
    for (const kind of ['express', 'http'] as const) {
      const trace = join(dir, `${kind}.log`);
      const server = await startBare(kind, bytes, { nodeFlags: ['--trace-gc-nvp'], stdout: openSync(trace, 'w') });
      try {
        console.log(await measure({ server, trace }, route));
      } finally {
        await server.stop();
      }
    }
  }
} finally {
  for (const server of started) await server.stop();
  killAll();
  rmSync(dir, { recursive: true, force: true });
}
