/**
 * Scale (issue 15, point 2), as a benchmark (never a test): a store of 1,000,000 pre-orders against the same
 * store at 1,000. For each size: build time and memory; the median latency of the first, a middle and the
 * last page of 200 by creation order and by update order, with and without filters; counts (A3 with filters,
 * A4 at a past time); and at the largest size a `POST /inventory` that exports 10,000 line items (twice), and how long
 * a snapshot export holds up another store (the export is streamed; an import of a store this size is over
 * the 256 MB body limit).
 * Run: npm run bench:scale   (node --max-old-space-size=16384 --import tsx bench/scale.ts [--sizes 1000,1000000])
 */
import { execFile } from 'node:child_process';
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { createSimulator, DEFAULT_CREDENTIALS, defineScenario } from '../src/index.ts';
import { updateCursor } from '../src/domain/cursors.ts';

const { values: args } = parseArgs({ options: { sizes: { type: 'string' }, repeats: { type: 'string' } } });
const sizes = (args.sizes ?? '1000,1000000').split(',').map(Number);
const repeats = Number(args.repeats ?? 15);

/** Like large-catalogue, at any size: every tenth order is for the first SKU, so it has lines enough to export 10,000. */
const scaled = (orders: number) => defineScenario({
  name: `scale-${orders}`,
  summary: `${orders} pre-orders over 40 products (benchmark only)`,
  build(b) {
    b.daysBefore(59);
    const items = Array.from({ length: 40 }, () => b.product({ sizes: ['S', 'M', 'L', 'XL'] }));
    for (const item of items) b.waitlist(item, orders * 2);
    const variants = items.flatMap((i) => i.variants);
    const shoppers = Array.from({ length: 500 }, () => b.shopper());
    b.daysBefore(58);
    // Spread over 50 days whatever the size, so every order is in the past.
    const step = (50 * 24 * 60) / orders;
    for (let i = 0; i < orders; i += 1) {
      const variant = i % 10 === 0 ? variants[0]! : variants[(i * 7) % variants.length]!;
      const order = b.placeFor(shoppers[i % shoppers.length]!, [{ variant_id: variant.id, quantity: 1 + (i % 2) }]);
      if (i % 50 === 0) b.cancel(order);
      b.minutes(step);
    }
  },
});

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

interface Row { what: string; ms: Record<number, number> }
const rows: Row[] = [];
const record = (what: string, size: number, ms: number): void => {
  let row = rows.find((r) => r.what === what);
  if (!row) rows.push((row = { what, ms: {} }));
  row.ms[size] = ms;
};

for (const size of sizes) {
  globalThis.gc?.();
  const before = process.memoryUsage();
  const built = performance.now();
  const scenario = scaled(size);
  const sim = createSimulator({ scenario: scenario.name, scenarios: [scenario], journalSize: 100 });
  const buildMs = performance.now() - built;
  globalThis.gc?.();
  const after = process.memoryUsage();
  console.log(`${size.toLocaleString('en')} pre-orders: built in ${(buildMs / 1000).toFixed(1)} s; heap +${mib(after.heapUsed - before.heapUsed)}, RSS ${mib(after.rss)}`);
  const running = await sim.listen(0);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const headers = { 'X-Purple-Dot-Access-Token': DEFAULT_CREDENTIALS.private_access_token };
  /** One request's time to its last byte; fails the run on anything but the expected status. */
  const time = (method: string, path: string, body?: unknown, expect = 200): Promise<{ ms: number; text: string }> => new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(`${running.url}${path}`, { agent, method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== expect) reject(new Error(`${method} ${path} answered ${res.statusCode}: ${text.slice(0, 300)}`));
        else resolve({ ms: performance.now() - started, text });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
  const measure = async (what: string, path: string): Promise<void> => {
    for (let i = 0; i < 3; i += 1) await time('GET', path);
    const samples: number[] = [];
    for (let i = 0; i < repeats; i += 1) samples.push((await time('GET', path)).ms);
    record(what, size, median(samples));
  };

  const state = sim.engine.defaultStore().state;
  const orders = state.data.pre_orders;
  const sku = state.data.variants[0]!.sku;
  const email = orders[1]!.email;
  const middle = orders[Math.floor(orders.length / 2)]!;
  const lastPageAfter = orders[orders.length - 201]!;
  const pages = '/admin/api/v1/pre-orders?limit=200';
  await measure('page of 200, creation order: first', pages);
  await measure('page of 200, creation order: middle', `${pages}&starting_after=${middle.id}`);
  await measure('page of 200, creation order: last', `${pages}&starting_after=${lastPageAfter.id}`);
  await measure(`page of 200, creation order, one SKU: first`, `${pages}&skus=${encodeURIComponent(sku)}`);
  await measure(`page of 200, creation order, one SKU: middle`, `${pages}&skus=${encodeURIComponent(sku)}&starting_after=${orders[Math.floor(orders.length / 2 / 10) * 10]!.id}`);
  await measure('page of 200, creation order, one email: first', `${pages}&email=${encodeURIComponent(email)}`);
  // Update order over a fixed range, so a cursor into its middle and end can be made as the server makes them.
  const fromMs = Date.parse(orders[0]!.created_at) - 1000;
  const toMs = sim.engine.defaultStore().clock.nowMs();
  const range = `&updated_at_min=${new Date(fromMs).toISOString()}&updated_at_max=${new Date(toMs).toISOString()}`;
  const bySeq = [...orders].sort((a, b) => a.update_seq - b.update_seq);
  const cursorAt = (position: number): string => updateCursor(state, bySeq[position]!.update_seq, fromMs, toMs);
  await measure('page of 200, update order: first', `${pages}${range}`);
  await measure('page of 200, update order: middle', `${pages}${range}&starting_after=${cursorAt(Math.floor(bySeq.length / 2))}`);
  await measure('page of 200, update order: last', `${pages}${range}&starting_after=${cursorAt(bySeq.length - 201)}`);
  await measure('page of 200, update order, one SKU: first', `${pages}${range}&skus=${encodeURIComponent(sku)}`);
  await measure('count (A3), no filter', '/admin/api/v1/pre-orders/count');
  await measure('count (A3), one SKU', `/admin/api/v1/pre-orders/count?skus=${encodeURIComponent(sku)}`);
  await measure('count (A3), one email', `/admin/api/v1/pre-orders/count?email=${encodeURIComponent(email)}`);
  await measure('count (A3), created since the middle', `/admin/api/v1/pre-orders/count?created_at_min=${encodeURIComponent(middle.created_at)}`);
  await measure('SKU units (A4) at a past time', `/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent(sku)}?at_time=${encodeURIComponent(middle.created_at)}`);

  if (size === Math.max(...sizes)) {
    // The route warmed up as every other is (its validator is compiled on its first request), by posting 0 units
    // of another SKU, which exports nothing; the export's own code runs for the first time in the measured request.
    for (let i = 0; i < 3; i += 1) await time('POST', '/admin/api/v1/inventory', { sku: state.data.variants[1]!.sku, available_units: 0 }, 201);
    const exportedLines = (): number => state.data.fulfillment_orders.reduce((n, fo) => n + fo.lines.length, 0);
    const exportOnce = async (what: string, units: number): Promise<void> => {
      const before = exportedLines();
      const exported = await time('POST', '/admin/api/v1/inventory', { sku, available_units: units }, 201);
      console.log(`POST /inventory exporting ${(exportedLines() - before).toLocaleString('en')} line items (${what}): ${exported.ms.toFixed(0)} ms`);
    };
    await exportOnce('first', 10_000);
    await exportOnce('second', 10_001);
    // The lookup of fulfillment orders by ID takes the new ones in on this read (each lookup of exports catches up on its own).
    const newest = state.data.fulfillment_orders[state.data.fulfillment_orders.length - 1]!;
    const read = await time('GET', `/admin/api/v1/fulfillment-orders/${newest.id}`);
    console.log(`GET a fulfillment order after the exports (brings the lookup by ID of 20,001 exports up to date): ${read.ms.toFixed(0)} ms; again: ${(await time('GET', `/admin/api/v1/fulfillment-orders/${newest.id}`)).ms.toFixed(1)} ms`);
    // The export streamed to curl (a process of its own) while this process asks another store every 10 ms.
    const store = (JSON.parse((await time('POST', '/__sim/stores', { scenario: 'on-preorder' }, 201)).text) as { data: { credentials: { public_api_key: string } } }).data;
    const probe = `/api/v1/waitlists?api_key=${store.credentials.public_api_key}`;
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    let probing = true;
    let slowest = 0;
    const prober = (async () => {
      const own = new Agent({ keepAlive: true, maxSockets: 1 });
      while (probing) {
        const started = performance.now();
        await new Promise<void>((resolve) => request(`${running.url}${probe}`, { agent: own }, (res) => res.resume().on('end', resolve)).end());
        slowest = Math.max(slowest, performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      own.destroy();
    })();
    const started = performance.now();
    const { stdout } = await promisify(execFile)('curl', ['-sS', '-o', '/dev/null', '-w', '%{size_download}', `${running.url}/__sim/snapshot`], { maxBuffer: 1 << 20 });
    const took = performance.now() - started;
    probing = false;
    await prober;
    delay.disable();
    console.log(`snapshot export: ${mib(Number(stdout))} in ${(took / 1000).toFixed(1)} s; another store's slowest answer meanwhile ${slowest.toFixed(0)} ms, longest event-loop stall ${(delay.max / 1e6).toFixed(0)} ms`);
  }
  agent.destroy();
  await running.close();
  sim.engine.close();
}

const [small, large] = [Math.min(...sizes), Math.max(...sizes)];
console.log(`\n| what | ${small.toLocaleString('en')} | ${large.toLocaleString('en')} | ratio |\n|---|---|---|---|`);
for (const row of rows) {
  const a = row.ms[small]!;
  const b = row.ms[large]!;
  console.log(`| ${row.what} | ${a.toFixed(2)} ms | ${b.toFixed(2)} ms | ${(b / a).toFixed(2)}× |`);
}
