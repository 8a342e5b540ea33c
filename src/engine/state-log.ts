import type { ClockMode } from '../domain/clock.ts';
import type { WebhookEventName } from '../domain/types.ts';
import type { WebhookFault } from '../webhooks/delivery-log.ts';
import type { WebhookKind } from '../webhooks/messages.ts';
import type { Credentials, Snapshot } from './store.ts';

/**
 * The engine's state as an ordered log: a base (the stores as they stood) and the operations that changed
 * them since, each replayed through the same handlers. The domain is deterministic (seeded IDs, explicit
 * time), so a log written by one instance rebuilds the same stores in another: today a file, later a
 * shared stream. Journal, faults and coverage are the test session's, not state, and are not logged.
 *
 * Webhooks owed to subscribed URLs are logged too, though they are not store state: a replay rebuilds the
 * stores but deliberately sends nothing, so a webhook that was due and not yet delivered when the process
 * stopped is known only from its own records. One is written when a webhook is queued (after the operation
 * that caused it, with its exact bytes and headers) and one after each attempt that ended; a webhook queued
 * and not yet settled is pending, and a base carries the pending ones (with the attempts they used) in place
 * of the records it folds.
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
  /** Webhooks queued and not settled when the base was taken; absent when there were none. */
  webhooks?: PendingWebhooks;
}

/** One webhook owed to one subscription, exactly as it goes on the wire, as the hub queued it. */
export interface StateWebhook {
  t: 'webhook';
  /** Unique within the log (counted across restarts by `PendingWebhooks.seq`). */
  id: number;
  store: string;
  subscription: { id: string; url: string };
  event: WebhookEventName;
  webhook: WebhookKind;
  /** When the event happened on the store's clock (`X-PD-Timestamp`). */
  at: string;
  /** Webhooks with the same store, subscription and key go out in the order they were queued (one pre-order's). */
  key: string;
  /** The exact body bytes, signed. */
  body: string;
  /** The exact request headers, signature included. */
  headers: Record<string, string>;
  /** The receiver faults drawn for it (a tampered signature is already in `headers`). */
  faults: WebhookFault[];
}

/** One attempt of a queued webhook ended (delivered or failed): `done` once it will not be tried again. */
export interface StateWebhookAttempt {
  t: 'webhook.attempt';
  id: number;
  /** 1-based: the attempts it has used, this one included. */
  attempt: number;
  done: boolean;
}

/** A queued webhook that is not settled, and the attempts it has used. */
export interface PendingWebhook extends Omit<StateWebhook, 't'> {
  attempts: number;
}

export interface PendingWebhooks {
  /** The last webhook ID handed out: the next start goes on from it. */
  seq: number;
  /** Oldest first: the order they were queued in, which a restart keeps. */
  pending: PendingWebhook[];
}

export type StateWebhookRecord = StateWebhook | StateWebhookAttempt;

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
  /** What it answered; 0 in a shared log, which orders a change before it runs (src/replica/). */
  status: number;
}

/**
 * A change as a replicated engine proposes it to a shared log, before it has run: an operation on a store, as
 * `StateOperation` without what only running it tells (the status) or what the log decides (its time).
 */
export type OrderedChange = Omit<StateOperation, 't' | 'wall' | 'status'>;

/** What follows a base in the log, in the order it happened. */
export type StateEntry = StateOperation | StateWebhookRecord;

export type StateRecord = StateBase | StateEntry;

/** Where the engine writes each change; the promise settles once the change is durable there. */
export interface StateLog {
  append(record: StateEntry): Promise<void>;
}

/**
 * What an engine starts from instead of its options' scenario: a base and the entries after it (operations,
 * replayed; webhook records, folded into the webhooks still to send).
 */
export interface StateRestore {
  base: StateBase;
  operations: Iterable<StateEntry>;
}

/** The webhooks a base and the entries after it leave unsettled, in the order they were queued. */
export function pendingWebhooks(base: StateBase, entries: Iterable<StateEntry>): PendingWebhooks {
  let seq = base.webhooks?.seq ?? 0;
  const pending = new Map<number, PendingWebhook>();
  for (const webhook of base.webhooks?.pending ?? []) pending.set(webhook.id, { ...webhook });
  for (const entry of entries) {
    if (entry.t === 'webhook') {
      const { t: _t, ...webhook } = entry;
      pending.set(entry.id, { ...webhook, attempts: 0 });
      seq = Math.max(seq, entry.id);
    } else if (entry.t === 'webhook.attempt') {
      const webhook = pending.get(entry.id);
      if (!webhook) continue;
      if (entry.done) pending.delete(entry.id);
      else webhook.attempts = Math.max(webhook.attempts, entry.attempt);
    }
  }
  return { seq, pending: [...pending.values()].sort((a, b) => a.id - b.id) };
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
