/**
 * Memory and time per store: 1,000 stores in one engine, empty and on the default scenario.
 * Run: npx tsx --expose-gc bench/stores.ts [count]
 */
import { createEngine, defineScenario, type Engine } from '../src/index.ts';

const count = Number(process.argv[2] ?? 1000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc so the heap can be measured after collection');

const empty = defineScenario({ name: 'empty', summary: 'No products, no waitlists, no pre-orders.', build() {} });

function heapAfterGc(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

function measure(scenario: string): { perStoreKiB: number; perStoreMs: number; engine: Engine } {
  const engine = createEngine({ scenarios: [empty] });
  const before = heapAfterGc();
  const started = performance.now();
  for (let i = 0; i < count; i += 1) engine.createStore({ scenario });
  const elapsed = performance.now() - started;
  const after = heapAfterGc();
  return { perStoreKiB: (after - before) / count / 1024, perStoreMs: elapsed / count, engine };
}

console.log(`${count} stores in one engine (heap after GC, divided by the count)`);
for (const scenario of ['empty', 'on-preorder']) {
  const { perStoreKiB, perStoreMs, engine } = measure(scenario);
  console.log(`${scenario.padEnd(12)} ${perStoreKiB.toFixed(1).padStart(8)} KiB per store   ${perStoreMs.toFixed(2).padStart(6)} ms to create one   (${engine.stores.list().length} stores)`);
}
console.log(`RSS at the end: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB`);
