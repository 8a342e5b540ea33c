/**
 * What the integrator harness costs: time to a first answer, the journal's memory at its bound, and the
 * throughput of one route with the journal and the request log on and off.
 * Run: npx tsx --expose-gc bench/harness.ts
 */
import autocannon from 'autocannon';
import { createSimulator, startSimulator } from '../src/index.ts';
import { createRequestLog } from '../src/http/request-log.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc so the heap can be measured after collection');
const heap = (): number => {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
};

async function firstAnswers(): Promise<void> {
  const started: number[] = [];
  const stored: number[] = [];
  // One warm-up: the first start in a process pays for loading the modules, the specs and the first validators.
  await (await startSimulator()).close();
  const shared = await startSimulator();
  for (let i = 0; i < 20; i += 1) {
    let t = performance.now();
    const sim = await startSimulator();
    await sim.client.GET('/admin/api/v1/pre-orders/count');
    started.push(performance.now() - t);
    await sim.close();
    t = performance.now();
    const store = await shared.createStore();
    await store.client.GET('/admin/api/v1/pre-orders/count');
    stored.push(performance.now() - t);
    await store.close();
  }
  await shared.close();
  console.log(`startSimulator() to the first answer: ${median(started).toFixed(1)} ms (median of 20)`);
  console.log(`createStore() to the first answer:    ${median(stored).toFixed(1)} ms (median of 20)`);
}

async function journalAtBound(): Promise<void> {
  const sim = await startSimulator({ journalSize: 10_000 });
  const before = heap();
  // A realistic mix: small reads, a page of 50 (kept as 20 items), and writes with bodies.
  const sku = sim.engine.defaultStore().state.data.variants[0]!.sku;
  for (let i = 0; i < 10_000; i += 1) {
    if (i % 3 === 0) sim.engine.dispatch('listPreOrders', { headers: { 'x-purple-dot-access-token': sim.credentials.private_access_token }, query: { limit: 50 } });
    else if (i % 3 === 1) sim.engine.dispatch('countPreOrders', { headers: { 'x-purple-dot-access-token': sim.credentials.private_access_token } });
    else sim.engine.dispatch('updateInventory', { headers: { 'x-purple-dot-access-token': sim.credentials.private_access_token }, body: { sku, available_units: i } });
  }
  const full = heap();
  console.log(`journal at its bound (10,000 entries, a third of them pages of 50): ${((full - before) / 1024 / 1024).toFixed(1)} MiB, ${((full - before) / 10_000 / 1024).toFixed(2)} KiB per entry`);
  await sim.close();
}

async function throughput(label: string, options: Parameters<typeof createSimulator>[0]): Promise<number> {
  const running = await createSimulator(options).listen(0);
  const url = `${running.url}/admin/api/v1/pre-orders/count`;
  const headers = { 'X-Purple-Dot-Access-Token': 'pd_sim_private_access_token' };
  await autocannon({ url, headers, connections: 10, duration: 2 });
  const result = await autocannon({ url, headers, connections: 10, duration: 6 });
  await running.close();
  console.log(`  ${label.padEnd(34)} ${Math.round(result.requests.average).toString().padStart(6)} req/s`);
  return result.requests.average;
}

await firstAnswers();
await journalAtBound();
console.log('GET /admin/api/v1/pre-orders/count, autocannon 10 connections, 6 s after a 2 s warm-up; the three set-ups alternate, twice:');
// The request log as serve writes it, into a sink: what is measured is formatting and batching, not a terminal.
let logged = 0;
const log = createRequestLog('info', (text) => (logged += text.length));
const runs: Record<'off' | 'on' | 'log', number[]> = { off: [], on: [], log: [] };
for (let round = 0; round < 2; round += 1) {
  runs.off.push(await throughput('journal off, no log', { journalSize: 0 }));
  runs.on.push(await throughput('journal on (10,000), no log', {}));
  runs.log.push(await throughput('journal on, request log on', { onRequest: log?.record }));
}
const best = (xs: number[]) => Math.max(...xs);
const [off, on, withLog] = [best(runs.off), best(runs.on), best(runs.log)];
console.log(`best of two: journal overhead ${((1 - on / off) * 100).toFixed(1)} %, log overhead on top of the journal ${((1 - withLog / on) * 100).toFixed(1)} % (${logged} bytes logged)`);
