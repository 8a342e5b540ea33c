/**
 * Property-based invariants: random short sequences of control and API operations on one simulator, reset
 * between sequences, with every invariant checked after every step against a model of what the sequence did.
 * Set FAST_CHECK_SEED to replay a run.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startHarness, type Harness } from '../support/simulator.ts';
import {
  apply, changedSkus, checkInvariants, loadFixture, observe, opArbitrary, Run, type Fixture, type Model, type Op,
} from './model.ts';

/** Sequences per scenario; two scenarios, so 1,000 sequences per run of this file. */
const SEQUENCES_PER_SCENARIO = 500;
const sequences = fc.array(opArbitrary, { minLength: 5, maxLength: 15 });

const envSeed = process.env.FAST_CHECK_SEED;
const parameters = (offset: number): fc.Parameters<[Op[]]> => ({
  numRuns: SEQUENCES_PER_SCENARIO,
  ...(envSeed !== undefined && envSeed !== '' ? { seed: Number(envSeed) + offset } : {}),
});

async function runSequence(h: Harness, fixture: Fixture, ops: Op[]): Promise<void> {
  const run = new Run(h);
  const reset = await run.send('POST', '/__sim/reset');
  run.check(reset.status === 200 && reset.body.data.scenario === fixture.scenario, () => `reset answered ${reset.status} for ${reset.body?.data?.scenario}`);
  run.trace.push(`reset ${fixture.scenario}`);
  const model: Model = { orders: [...fixture.orders], bought: new Map(fixture.bought) };
  const touched = new Set<string>();

  let view = await observe(run);
  await checkInvariants(run, model, view, touched);
  for (const op of ops) {
    for (const sku of await apply(run, fixture, model, view, op)) touched.add(sku);
    const next = await observe(run);
    for (const sku of changedSkus(view, next)) touched.add(sku);
    view = next;
    await checkInvariants(run, model, view, touched);
  }
  // Once per sequence, every SKU of the catalogue, touched or not.
  await checkInvariants(run, model, view, fixture.skus);
}

describe('random sequences of control and API operations', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('keep every invariant after every step on the on-preorder scenario', async () => {
    const fixture = await loadFixture(h, 'on-preorder');
    await fc.assert(fc.asyncProperty(sequences, (ops) => runSequence(h, fixture, ops)), parameters(0));
  }, 600_000);

  it('keep every invariant after every step on the mixed-catalogue scenario', async () => {
    const fixture = await loadFixture(h, 'mixed-catalogue');
    await fc.assert(fc.asyncProperty(sequences, (ops) => runSequence(h, fixture, ops)), parameters(1));
  }, 600_000);
});
