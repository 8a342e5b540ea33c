/**
 * How long each scenario takes to build, and how long a simulator takes to come up with it.
 * Run: npx tsx bench/scenario-load.ts [runs]
 */
import { scenarios } from '../scenarios/index.ts';
import { DEFAULT_CREDENTIALS } from '../src/engine/engine.ts';
import { buildScenario } from '../src/engine/scenario.ts';
import { createSimulator } from '../src/http/app.ts';

const runs = Number(process.argv[2] ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log('scenario              build ms (median)   simulator up ms (median)   pre-orders');
for (const scenario of scenarios) {
  const build: number[] = [];
  const up: number[] = [];
  let orders = 0;
  for (let i = 0; i < runs; i += 1) {
    let t = performance.now();
    orders = buildScenario(scenario, 1, { id: 'bench', ...DEFAULT_CREDENTIALS }).state.data.pre_orders.length;
    build.push(performance.now() - t);
    t = performance.now();
    const running = await createSimulator({ scenario: scenario.name }).listen(0);
    up.push(performance.now() - t);
    await running.close();
  }
  console.log(`${scenario.name.padEnd(22)}${median(build).toFixed(0).padStart(17)}${median(up).toFixed(0).padStart(27)}${String(orders).padStart(13)}`);
}
