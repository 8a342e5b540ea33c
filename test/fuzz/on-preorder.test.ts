/**
 * Spec-driven fuzzing, in-process through `dispatchRaw`, on the on-preorder scenario.
 * Every operation of both specs at its default weight (see DEFAULT_WEIGHTS), half the requests mutated.
 * What every answer must be, and what is checked after each sequence: see fuzz.ts. Seeded: FAST_CHECK_SEED
 * replays a run, `random` explores; the seed is in the summary line and in any failure.
 */
import { describe, expect, it } from 'vitest';
import { neverSent, neverSucceeded, runFuzz, shareOf, summary } from './fuzz.ts';
import { hitsKnownBug } from './known-bugs.ts';
import { operationModels } from './requests.ts';

describe('spec-driven fuzzing on the on-preorder scenario', () => {
  it('answers every generated request of both specs, valid or mutated, as the spec declares, with no 5xx, and leaves every store whole', () => {
    const report = runFuzz({
      scenario: 'on-preorder',
      runs: 150,
      length: { max: 300 },
      mutatedShare: 0.5,
      minRequests: 20_000,
      skip: hitsKnownBug,
    });
    console.log(summary('on-preorder', report));
    expect(report.requests).toBeGreaterThanOrEqual(20_000);
    // Meaningful, not just green: every operation was sent, reached success at least once, and the run
    // was neither all refusals nor all successes.
    expect(neverSent(report, operationModels())).toEqual([]);
    expect(neverSucceeded(report, operationModels())).toEqual([]);
    expect(shareOf(report, 2)).toBeGreaterThan(0.3);
    expect(shareOf(report, 4)).toBeGreaterThan(0.3);
  }, 180_000);
});
