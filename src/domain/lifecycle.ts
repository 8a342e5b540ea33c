import { touchWaitlist } from './events.ts';
import { cancelLines } from './pre-orders.ts';
import type { StoreState } from './store.ts';
import type { Waitlist, WaitlistState } from './types.ts';
import {
  applyDueTransitions, checkAllocations, getWaitlist, isoTime, setBuySizes, settleLaunchDate, transitionWaitlist, type BuySizeInput,
} from './waitlists.ts';

export interface WaitlistChange {
  state?: WaitlistState;
  launch_date?: string;
  scheduled_pause_date?: string | null;
  /** The product-level buy size of a per-product waitlist. */
  buy_size?: number;
  variants?: BuySizeInput[];
}

/**
 * Applies a control-API change to a waitlist, all or nothing. Closing cancels every open line on it
 * (documented in Purple Dot's help centre), which returns units and may cancel whole orders.
 */
export function changeWaitlist(state: StoreState, now: Date, id: string, change: WaitlistChange): Waitlist {
  const waitlist = getWaitlist(state, id);
  if (change.variants) checkAllocations(state, waitlist.product_id, change.variants);
  const before = structuredClone(waitlist);
  try {
    if (change.launch_date !== undefined) waitlist.launch_date = isoTime(change.launch_date);
    if (change.scheduled_pause_date !== undefined) waitlist.scheduled_pause_date = change.scheduled_pause_date === null ? null : isoTime(change.scheduled_pause_date);
    if (change.variants || change.buy_size !== undefined) setBuySizes(waitlist, change.variants, change.buy_size);
    if (change.state) transitionWaitlist(state, now, waitlist, change.state);
    settleLaunchDate(waitlist, now);
  } catch (error) {
    Object.assign(waitlist, before);
    throw error;
  }
  if (before.state !== 'CLOSED' && waitlist.state === 'CLOSED') closeLines(state, now, waitlist);
  // A change of state alone was recorded by the transition; anything else (or nothing) is a change.
  const fieldsChanged = change.launch_date !== undefined || change.scheduled_pause_date !== undefined || change.variants !== undefined || change.buy_size !== undefined;
  if (fieldsChanged || before.state === waitlist.state) touchWaitlist(state, waitlist, now, { type: 'waitlist.changed' });
  applyDueTransitions(state, now);
  return waitlist;
}

function closeLines(state: StoreState, now: Date, waitlist: Waitlist): void {
  for (const order of state.data.pre_orders) {
    const lines = order.line_items.filter((l) => l.waitlist_id === waitlist.id && l.status === 'open');
    if (lines.length > 0) cancelLines(state, now, order, lines, 'WAITLIST_CLOSED');
  }
}
