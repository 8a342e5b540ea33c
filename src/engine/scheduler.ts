import { nextDueTransition } from '../domain/waitlists.ts';
import type { Store } from './store.ts';

/** setTimeout's longest delay; a later due time is reached in several hops. */
const LONGEST_DELAY_MS = 2_147_483_647;

export interface Scheduler {
  /** (Re)arms the store's timer for its next scheduled launch or pause, if its clock runs by itself. */
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
  const timers = new Map<Store, { due: number; timer: NodeJS.Timeout }>();
  const cancel = (store: Store): void => {
    const planned = timers.get(store);
    if (planned) clearTimeout(planned.timer);
    timers.delete(store);
  };
  return {
    plan(store) {
      const due = store.clock.mode === 'system' ? nextDueTransition(store.state) : undefined;
      const planned = timers.get(store);
      if (planned?.due === due) return;
      cancel(store);
      if (due === undefined) return;
      const delay = Math.min(LONGEST_DELAY_MS, Math.max(0, due - store.clock.nowMs()));
      const timer = setTimeout(() => {
        timers.delete(store);
        onDue(store);
      }, delay);
      timer.unref();
      timers.set(store, { due, timer });
    },
    cancel,
    close() {
      for (const { timer } of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
