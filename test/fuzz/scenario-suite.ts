/**
 * One fuzzing suite per scenario, the same in every file: what differs is the scenario, the share of
 * mutated requests and which operations are drawn more often. Seeded: FAST_CHECK_SEED replays a run,
 * `random` explores; the seed is in the summary line and in any failure. What every answer must be, and
 * what is checked after each sequence: see fuzz.ts.
 */
import { describe, expect, it } from 'vitest';
import { neverSent, neverSucceeded, runFuzz, shareOf, summary, type FuzzOptions } from './fuzz.ts';
import { hitsKnownBug } from './known-bugs.ts';
import { operationModels } from './requests.ts';

const MIN_REQUESTS = 20_000;

export function fuzzSuite(name: string, title: string, options: Pick<FuzzOptions, 'scenario' | 'mutatedShare' | 'weights'>): void {
  describe(`spec-driven fuzzing on ${title}`, () => {
    it('answers every generated request of both specs, valid or mutated, as the spec declares, with no 5xx, and leaves every store whole', () => {
      const report = runFuzz({ runs: 150, length: { max: 300 }, minRequests: MIN_REQUESTS, skip: hitsKnownBug, ...options });
      console.log(summary(name, report));
      expect(report.requests).toBeGreaterThanOrEqual(MIN_REQUESTS);
      // Meaningful, not just green: every operation was sent, reached success at least once, and the run
      // was neither all refusals nor all successes.
      expect(neverSent(report, operationModels())).toEqual([]);
      expect(neverSucceeded(report, operationModels())).toEqual([]);
      expect(shareOf(report, 2)).toBeGreaterThan(0.3);
      expect(shareOf(report, 4)).toBeGreaterThan(0.3);
    }, 180_000);
  });
}
