/**
 * Spec-driven fuzzing, in-process through `dispatchRaw`, on the scheduled-launch scenario, weighted to stores, snapshots and the clock.
 * Every operation of both specs, with the control calls that replace or add state drawn far more often than elsewhere: snapshot imports (real snapshots tampered with deep inside their store: values nested thousands deep, long strings, prototype keys, other types, repeated entries), store creation and deletion, scenario loads, resets and clock moves over a scheduled launch.
 * What every answer must be, and what is checked after each sequence: see fuzz.ts. Seeded: FAST_CHECK_SEED
 * replays a run, `random` explores; the seed is in the summary line and in any failure.
 */
import { describe, expect, it } from 'vitest';
import { neverSent, neverSucceeded, runFuzz, shareOf, summary } from './fuzz.ts';
import { hitsKnownBug } from './known-bugs.ts';
import { operationModels } from './requests.ts';

describe('spec-driven fuzzing on the scheduled-launch scenario, weighted to stores, snapshots and the clock', () => {
  it('answers every generated request of both specs, valid or mutated, as the spec declares, with no 5xx, and leaves every store whole', () => {
    const report = runFuzz({
      scenario: 'scheduled-launch',
      runs: 150,
      length: { max: 300 },
      mutatedShare: 0.6,
      weights: { importSnapshot: 25, importSnapshotInStore: 10, exportSnapshot: 6, exportSnapshotInStore: 4, createStore: 8, deleteStore: 8, loadScenario: 4, loadScenarioInStore: 3, reset: 3, resetInStore: 3, setClock: 10, setClockInStore: 5, advanceClock: 15, advanceClockInStore: 6, updateWaitlist: 15, createWaitlist: 12 },
      minRequests: 20_000,
      skip: hitsKnownBug,
    });
    console.log(summary('stores-and-snapshots', report));
    expect(report.requests).toBeGreaterThanOrEqual(20_000);
    // Meaningful, not just green: every operation was sent, reached success at least once, and the run
    // was neither all refusals nor all successes.
    expect(neverSent(report, operationModels())).toEqual([]);
    expect(neverSucceeded(report, operationModels())).toEqual([]);
    expect(shareOf(report, 2)).toBeGreaterThan(0.3);
    expect(shareOf(report, 4)).toBeGreaterThan(0.3);
  }, 180_000);
});
