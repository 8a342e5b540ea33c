import { journalCopy } from './journal.ts';

/** One analytics event `POST /api/v1/track` accepted, as `GET /__sim/tracked-events` shows it. */
export interface TrackedEvent {
  seq: number;
  /** The store's clock when it arrived. */
  received_at: string;
  store: string;
  event: Record<string, unknown>;
}

/**
 * The analytics events a store was sent, newest kept. Session data, like the journal, not store state: they
 * change no answer, their device ids and client times differ on every run, so they stay out of snapshots and
 * the state log, and a reset leaves them (the test's record of what the storefront sent).
 */
export interface TrackedEvents {
  readonly capacity: number;
  record(receivedAt: Date, event: Record<string, unknown>): TrackedEvent;
  list(filter?: { name?: string }): TrackedEvent[];
}

export const TRACKED_EVENTS_KEPT = 1_000;

export function createTrackedEvents(store: string, capacity = TRACKED_EVENTS_KEPT): TrackedEvents {
  const events: TrackedEvent[] = [];
  let seq = 0;
  return {
    capacity,
    record(receivedAt, event) {
      seq += 1;
      // Kept as the journal keeps a body: long lists and strings cut, so 1,000 events stay small.
      const entry: TrackedEvent = { seq, received_at: receivedAt.toISOString(), store, event: journalCopy(event) as Record<string, unknown> };
      events.push(entry);
      if (events.length > capacity) events.splice(0, events.length - capacity);
      return entry;
    },
    list: (filter = {}) => events.filter((e) => filter.name === undefined || e.event.name === filter.name),
  };
}
