/**
 * A benchmark smoke for CI (npm run bench:smoke, under 30 s): the simulator against Prism (`prism mock` on our
 * spec, at its default log level) on a few routes, short runs, ratios computed in this run. Fails only on a
 * large regression by ratio: the simulator falling below Prism on any route it measures (ratio below
 * SMOKE_MIN_RATIO, default 1.0), or any non-2xx or socket error from the simulator. Absolute figures are
 * never judged: CI machines differ. Why Prism at its default log level and not `-v error`: the simulator is
 * about 2-3x the former and about 1-1.4x the latter on these routes, and short runs on a shared 2-core
 * machine move a ratio by up to 30 %; against `-v error` a 1.0 cut would fail CI on noise, against the default
 * a fall below 1.0 is a real regression. `npm run bench` measures both.
 * Run: npm run bench:smoke   (npx tsx bench/smoke.ts)
 * Environment: SMOKE_ROUTES (route keys of compare-lib.ts, comma-separated), SMOKE_MIN_RATIO, SMOKE_DURATION (s).
 */
import { buildIfStale, fixture, killAll, load, median, once, routes, startPrism, startSimulator, warm, type Sample } from './compare-lib.ts';

const began = performance.now();
const ROUTES = (process.env.SMOKE_ROUTES ?? 'availability,inventory,count').split(',');
const MIN_RATIO = Number(process.env.SMOKE_MIN_RATIO ?? 1);
const DURATION = Number(process.env.SMOKE_DURATION ?? 1); // autocannon runs last whole seconds
const RUNS = 3;
const WARMUP = 300; // requests per target and route before the runs
// A hung server must not hang CI: give up well after the expected 20-odd seconds.
const watchdog = setTimeout(() => {
  console.log('bench:smoke: FAILED: still running after 120 s');
  killAll();
  process.exit(1);
}, 120_000);

buildIfStale();
const [sim, prism] = await Promise.all([startSimulator({ scenario: 'on-preorder' }), startPrism()]);
const selected = routes(await fixture(sim.url)).filter((r) => ROUTES.includes(r.key));
const problems: string[] = [];
console.log(`bench:smoke: both up after ${((performance.now() - began) / 1000).toFixed(1)} s; simulator (on-preorder) ÷ Prism, req/s, median of ${RUNS} × ${DURATION} s after ${WARMUP} requests of warm-up, 10 connections; fails below ${MIN_RATIO}`);
for (const route of selected) {
  const first = await once(sim.url, route);
  if (first.status < 200 || first.status > 299) problems.push(`${route.label}: the simulator answered ${first.status}`);
  const prismStatus = (await once(prism.url, route)).status;
  await warm(sim.url, route, WARMUP);
  await warm(prism.url, route, WARMUP);
  const runs: Record<'sim' | 'prism', Sample[]> = { sim: [], prism: [] };
  for (let round = 0; round < RUNS; round += 1) {
    for (const key of round % 2 ? (['prism', 'sim'] as const) : (['sim', 'prism'] as const)) {
      runs[key].push(await load(key === 'sim' ? sim.url : prism.url, route, DURATION));
    }
  }
  const bad = runs.sim.reduce((n, s) => n + s.errors + s.timeouts + s.non2xx, 0);
  if (bad) problems.push(`${route.label}: ${bad} non-2xx answers or errors from the simulator`);
  const simRps = median(runs.sim.map((s) => s.rps));
  const prismRps = median(runs.prism.map((s) => s.rps));
  const ratio = simRps / prismRps;
  if (!(ratio >= MIN_RATIO)) problems.push(`${route.label}: ${ratio.toFixed(2)}× Prism, below ${MIN_RATIO}`);
  else if (ratio < 1.5) console.log(`  warning: ${route.label} only ${ratio.toFixed(2)}× Prism in this run (usually 2-3×)`);
  console.log(`  ${route.label.padEnd(40)} ${Math.round(simRps).toString().padStart(6)} vs ${Math.round(prismRps).toString().padStart(6)}   ${ratio.toFixed(2)}×${prismStatus >= 300 ? `  (Prism answered ${prismStatus})` : ''}`);
}
await Promise.all([sim.stop(), prism.stop()]);
clearTimeout(watchdog);
console.log(`bench:smoke: ${problems.length ? `FAILED: ${problems.join('; ')}` : 'ok'} (${((performance.now() - began) / 1000).toFixed(1)} s)`);
process.exit(problems.length ? 1 : 0);
