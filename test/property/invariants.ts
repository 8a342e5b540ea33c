/**
 * The property suite, one scenario per test file (invariants-<scenario>.test.ts) so the two run on both
 * workers at once. Property-based invariants: random short sequences of control and API operations on one simulator, reset
 * between sequences, with every invariant checked after every step against a model of what the sequence did.
 * The seed is fixed so that a run of `npm test` (and so CI) is reproducible: a red run is a regression, not
 * the luck of the draw. Set FAST_CHECK_SEED to another number to explore, or to `random` for a fresh seed
 * each run (fast-check prints the seed of any failure, which FAST_CHECK_SEED then replays).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/simulator.ts';
import {
  apply, changedSkus, checkInvariants, exportedLineCount, loadFixture, observe, opArbitrary, Run, type Fixture, type Model, type Op, type Tally,
} from './model.ts';

/** Sequences per scenario; two scenarios, so 1,000 sequences per run of the suite. */
const SEQUENCES_PER_SCENARIO = 500;
const sequences = fc.array(opArbitrary, { minLength: 5, maxLength: 15 });

const DEFAULT_SEED = 20260115;
const envSeed = process.env.FAST_CHECK_SEED;
const baseSeed = envSeed === 'random' ? undefined : envSeed !== undefined && envSeed !== '' ? Number(envSeed) : DEFAULT_SEED;

/**
 * Sequences that once failed, by the scenario they failed on (indices resolve against its catalogue),
 * replayed before the random ones whatever the seed.
 */
const KNOWN_COUNTEREXAMPLES: Record<string, Op[][]> = {
  'on-preorder': [
    // Shipping refunded on the second export of a pre-order (only the first carries shipping).
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
  ],
};

// One seed for both scenarios, so the seed fast-check prints on a failure replays it as it is.
const parameters = (scenario: string): fc.Parameters<[Op[]]> => ({
  numRuns: SEQUENCES_PER_SCENARIO,
  examples: (KNOWN_COUNTEREXAMPLES[scenario] ?? []).map((ops) => [ops]),
  ...(baseSeed !== undefined ? { seed: baseSeed } : {}),
});

async function runSequence(h: Harness, fixture: Fixture, ops: Op[], tally: Tally): Promise<void> {
  const run = new Run(h, tally);
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
    const exported = exportedLineCount(next) - exportedLineCount(view);
    if (exported > 0) tally.set('lines exported', (tally.get('lines exported') ?? 0) + exported);
    view = next;
    await checkInvariants(run, model, view, touched);
  }
  // Once per sequence, every SKU of the catalogue, touched or not.
  await checkInvariants(run, model, view, fixture.skus);
}

/**
 * Every state-changing path must be taken many times, or a simulator that refused everything would keep
 * every invariant. The floors are far below what 500 sequences reach (see the tally in a failure message).
 */
const FLOORS: Record<string, number> = {
  'place 201': 100,
  'cancel 200': 20,
  'inventory 201': 100,
  'lines exported': 50,
  'fulfil 201': 10,
  'refund 201': 10,
  'move waitlist 200': 20,
};

function expectPathsTaken(tally: Tally): void {
  const short = Object.entries(FLOORS).filter(([key, floor]) => (tally.get(key) ?? 0) < floor);
  expect(short, `outcomes seen: ${JSON.stringify(Object.fromEntries([...tally].sort()))}`).toEqual([]);
}

/** The suite on one scenario: SEQUENCES_PER_SCENARIO random sequences, each from a reset, on one simulator. */
export function invariantSuite(scenario: string): void {
  describe('random sequences of control and API operations', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness();
    });
    afterAll(async () => {
      await h?.close();
    });

    it(`keep every invariant after every step on the ${scenario} scenario`, async () => {
      const fixture = await loadFixture(h, scenario);
      const tally: Tally = new Map();
      // A line every 100 sequences, so a long run shows it is moving (vitest prints a test's output as it comes).
      let done = 0;
      await fc.assert(fc.asyncProperty(sequences, async (ops) => {
        await runSequence(h, fixture, ops, tally);
        done += 1;
        if (done % 100 === 0) console.log(`property suite on ${scenario}: ${done} sequences kept every invariant`);
      }), parameters(scenario));
      expectPathsTaken(tally);
    }, 600_000);
  });
}
