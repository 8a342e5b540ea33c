import { nextDueTransition } from '../domain/waitlists.ts';
import type { HostedStore as Store } from './store.ts';

/** setTimeout's longest delay; a later due time is reached in several hops. */
const LONGEST_DELAY_MS = 2_147_483_647;

export interface Scheduler {
  /**
   * (Re)arms the store's timer for its next scheduled launch or pause, if its clock runs by itself. Always
   * re-armed: a clock set or advanced moves the wall time at which the same due time arrives.
   */
  plan(store: Store): void;
  cancel(store: Store): void;
  close(): void;
}

/**
 * Fires scheduled launches and pauses at their time under a system clock, so their events happen then and
 * not on the next request. A manual clock only moves through set / advance, which tick the store themselves.
 * Timers are unref'd: a waiting launch never keeps a process alive.
 */
export function createScheduler(onDue: (store: Store) => void): Scheduler {
  const timers = new Map<Store, NodeJS.Timeout>();
  let closed = false;
  const cancel = (store: Store): void => {
    clearTimeout(timers.get(store));
    timers.delete(store);
  };
  return {
    plan(store) {
      cancel(store);
      const due = !closed && store.clock.mode === 'system' ? nextDueTransition(store.state) : undefined;
      if (due === undefined) return;
      const delay = Math.min(LONGEST_DELAY_MS, Math.max(0, due - store.clock.nowMs()));
      const timer = setTimeout(() => {
        timers.delete(store);
        onDue(store);
      }, delay);
      timer.unref();
      timers.set(store, timer);
    },
    cancel,
    close() {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
