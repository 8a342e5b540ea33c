/**
 * Property-based invariants: random short sequences of control and API operations on one simulator, reset
 * between sequences, with every invariant checked after every step against a model of what the sequence did.
 * The seed is fixed so that a run of `npm test` (and so CI) is reproducible: a red run is a regression, not
 * the luck of the draw. Set FAST_CHECK_SEED to another number to explore, or to `random` for a fresh seed
 * each run (fast-check prints the seed of any failure, which FAST_CHECK_SEED then replays).
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

const DEFAULT_SEED = 20260115;
const envSeed = process.env.FAST_CHECK_SEED;
const baseSeed = envSeed === 'random' ? undefined : envSeed !== undefined && envSeed !== '' ? Number(envSeed) : DEFAULT_SEED;

/**
 * Sequences that once failed, replayed before the random ones whatever the seed.
 * Shipping refunded on the second export of a pre-order (only the first carries shipping).
 */
const KNOWN_COUNTEREXAMPLES: Op[][] = [
  [
    { kind: 'place', email: 0, lines: [{ variant: 0, quantity: 1 }, { variant: 24, quantity: 1 }] },
    { kind: 'inventory', sku: 0, units: 5 },
    { kind: 'inventory', sku: 892, units: 6 },
    { kind: 'place', email: 0, lines: [{ variant: 0, quantity: 1 }] },
    { kind: 'cancel', order: 0, line: null },
    { kind: 'advanceClock', seconds: 0 },
    { kind: 'refund', line: 935, shipping: true, key: 0 },
    { kind: 'moveWaitlist', waitlist: 0, state: 'LIVE' },
  ],
];

const parameters = (offset: number): fc.Parameters<[Op[]]> => ({
  numRuns: SEQUENCES_PER_SCENARIO,
  examples: KNOWN_COUNTEREXAMPLES.map((ops) => [ops]),
  ...(baseSeed !== undefined ? { seed: baseSeed + offset } : {}),
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
