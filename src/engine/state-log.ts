import type { ClockMode } from '../domain/clock.ts';
import type { Credentials, Snapshot } from './store.ts';

/**
 * The engine's state as an ordered log: a base (the stores as they stood) and the operations that changed
 * them since, each replayed through the same handlers. The domain is deterministic (seeded IDs, explicit
 * time), so a log written by one instance rebuilds the same stores in another: today a file, later a
 * shared stream. Journal, faults and coverage are the test session's, not state, and are not logged.
 */

/** One store of a base: how it was made, and its data when the base was taken after changes. */
export interface BaseStore {
  id: string;
  credentials: Credentials;
  scenario: string;
  seed: number;
  clock: ClockMode;
  /** Absent when the store is exactly its scenario as built: the scenario rebuilds it. */
  snapshot?: Snapshot;
}

export interface StateBase {
  t: 'base';
  /** The machine time when the base was taken: a system clock's offset is kept relative to it. */
  wall: number;
  /** Stores made so far, so the next one gets the same ID it would have got. */
  storeCount: number;
  stores: BaseStore[];
}

/** One acknowledged change: an operation as it was dispatched, and the status it answered. */
export interface StateOperation {
  t: 'op';
  /** The machine time the operation ran at: system clocks read it again on replay. */
  wall: number;
  store: string;
  op: string;
  query?: Record<string, unknown>;
  path?: Record<string, string>;
  body?: unknown;
  status: number;
}

export type StateRecord = StateBase | StateOperation;

/** Where the engine writes each change; the promise settles once the change is durable there. */
export interface StateLog {
  append(record: StateOperation): Promise<void>;
}

/** What an engine starts from instead of its options' scenario: a base and the operations after it. */
export interface StateRestore {
  base: StateBase;
  operations: Iterable<StateOperation>;
}

/**
 * Operations that change no store state: the session's steering (faults, journal) is not state, and reads
 * change nothing but a tick, which replays by itself (scheduled transitions carry their own due time).
 */
const NOT_STATE = new Set([
  'addFault', 'addFaultInStore', 'clearFaults', 'clearFaultsInStore', 'removeFault', 'removeFaultInStore',
  'applyFaultProfile', 'applyFaultProfileInStore', 'clearJournal', 'clearJournalInStore',
  // The SDK's analytics events are the session's record, like the journal (see tracked-events.ts).
  'trackEvent',
]);

export const changesState = (operationId: string, method: string): boolean => method !== 'get' && !NOT_STATE.has(operationId);
