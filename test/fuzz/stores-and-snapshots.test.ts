/**
 * Spec-driven fuzzing, in-process through `dispatchRaw`, on the scheduled-launch scenario, weighted to stores, snapshots and the clock.
 * Every operation of both specs, with the control calls that replace or add state drawn far more often than elsewhere: snapshot imports (real snapshots tampered with deep inside their store: values nested thousands deep, long strings, prototype keys, other types, repeated entries), store creation and deletion, scenario loads, resets and clock moves over a scheduled launch.
 * The suite itself: scenario-suite.ts.
 */
import { fuzzSuite } from './scenario-suite.ts';

fuzzSuite('stores-and-snapshots', 'the scheduled-launch scenario, weighted to stores, snapshots and the clock', {
  scenario: 'scheduled-launch',
  mutatedShare: 0.6,
  weights: { importSnapshot: 25, importSnapshotInStore: 10, exportSnapshot: 6, exportSnapshotInStore: 4, createStore: 8, deleteStore: 8, loadScenario: 4, loadScenarioInStore: 3, reset: 3, resetInStore: 3, setClock: 10, setClockInStore: 5, advanceClock: 15, advanceClockInStore: 6, updateWaitlist: 15, createWaitlist: 12 },
});
