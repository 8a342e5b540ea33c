import { getProduct, getVariant } from './catalogue.ts';
import { conflict, invalid, notFound } from './errors.ts';
import { touchWaitlist } from './events.ts';
import { indexWaitlist, nextId, type StoreState } from './store.ts';
import type { Waitlist, WaitlistAllocation, WaitlistState } from './types.ts';

/** States in which a waitlist holds its product: at most one such waitlist per product. */
const HOLDING: ReadonlySet<WaitlistState> = new Set(['SCHEDULED', 'LIVE', 'PAUSED']);
/** "Open" in the public API's sense: live, or scheduled to go live. */
const OPEN: ReadonlySet<WaitlistState> = new Set(['SCHEDULED', 'LIVE']);

export const isOpen = (waitlist: Waitlist): boolean => OPEN.has(waitlist.state);
export const allocationFor = (waitlist: Waitlist, variantId: string): WaitlistAllocation | undefined =>
  waitlist.allocations.find((a) => a.variant_id === variantId);

/** A per-product waitlist: its units are shared by the product's variants (variant `buy_size: null`; documented). */
export const isPerProduct = (waitlist: Waitlist): boolean => waitlist.product_buy_size !== null;
/** Units sold and not cancelled, over every variant of the waitlist. */
export const committedUnits = (waitlist: Waitlist): number => waitlist.allocations.reduce((sum, a) => sum + a.committed, 0);

/** A variant's own units left; null on a per-product waitlist, where the variant has no units of its own. */
export const unitsLeft = (allocation: WaitlistAllocation): number | null =>
  allocation.buy_size === null ? null : Math.max(0, allocation.buy_size - allocation.committed);

/** Units left on the waitlist as a whole: the shared units of a per-product waitlist, else the sum over its variants. */
export function productUnitsLeft(waitlist: Waitlist): number {
  if (waitlist.product_buy_size !== null) return Math.max(0, waitlist.product_buy_size - committedUnits(waitlist));
  return waitlist.allocations.reduce((sum, a) => sum + (unitsLeft(a) ?? 0), 0);
}

/**
 * Units a shopper may still buy of the variant: the product's shared units on a per-product waitlist (any
 * variant may take them all; inferred), the variant's own otherwise, 0 when the waitlist does not cover it.
 */
export function variantUnitsLeft(waitlist: Waitlist, variantId: string): number {
  const allocation = allocationFor(waitlist, variantId);
  if (!allocation) return 0;
  return isPerProduct(waitlist) ? productUnitsLeft(waitlist) : unitsLeft(allocation) ?? 0;
}

export function getWaitlist(state: StoreState, id: string, field = 'id'): Waitlist {
  const waitlist = state.index.waitlistsById.get(id);
  if (!waitlist) throw notFound('UNKNOWN_WAITLIST', field, `no waitlist with ID ${id}`);
  return waitlist;
}

export function holdingWaitlist(state: StoreState, productId: string): Waitlist | undefined {
  return state.index.waitlistsByProduct.get(productId)?.find((w) => HOLDING.has(w.state));
}

/** The LIVE or SCHEDULED waitlist of the product, if any. */
export function openWaitlistForProduct(state: StoreState, productId: string): Waitlist | undefined {
  const waitlist = holdingWaitlist(state, productId);
  return waitlist && isOpen(waitlist) ? waitlist : undefined;
}

/** The LIVE or SCHEDULED waitlist that allocates units to the variant, if any. */
export function openWaitlistForVariant(state: StoreState, productId: string, variantId: string): Waitlist | undefined {
  const waitlist = openWaitlistForProduct(state, productId);
  return waitlist && allocationFor(waitlist, variantId) ? waitlist : undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Shopper text for a ship window in the docs' style, e.g. "Shipping 10–15 Jun". */
export function dispatchText(earliest: string, latest: string): string {
  const from = new Date(earliest);
  const to = new Date(latest);
  const sameMonth = from.getUTCMonth() === to.getUTCMonth() && from.getUTCFullYear() === to.getUTCFullYear();
  const left = sameMonth ? `${from.getUTCDate()}` : `${from.getUTCDate()} ${MONTHS[from.getUTCMonth()]}`;
  return `Shipping ${left}–${to.getUTCDate()} ${MONTHS[to.getUTCMonth()]}`;
}

export interface WaitlistInput {
  product_id: string;
  state?: 'DRAFT' | 'SCHEDULED' | 'LIVE';
  launch_date?: string;
  scheduled_pause_date?: string;
  earliest_ship_date: string;
  latest_ship_date: string;
  display_dispatch_date?: string;
  labels?: string[];
  /** Units shared by the product's variants: a per-product waitlist, whose variants then give no buy size of their own. */
  buy_size?: number;
  variants: BuySizeInput[];
}

export interface BuySizeInput {
  variant_id: string;
  /** Left out, or null, on a per-product waitlist; required otherwise. */
  buy_size?: number | null;
}

/**
 * A waitlist allocates per variant or per product, never both (inferred: the documented shapes show either
 * numbers on every variant, or `null` on every variant beside a product-level figure). `refuse` makes the
 * error: 400 for a request that contradicts itself, 409 for a change that contradicts the waitlist.
 */
export function checkBuySizeKind(perProduct: boolean, variants: readonly BuySizeInput[], refuse: (field: string, problem: string) => Error): void {
  variants.forEach((entry, i) => {
    const own = entry.buy_size !== undefined && entry.buy_size !== null;
    if (perProduct && own) throw refuse(`variants[${i}].buy_size`, 'must be left out or null: the waitlist\'s units are shared by the product (product-level buy_size)');
    if (!perProduct && !own) throw refuse(`variants[${i}].buy_size`, 'is required: the waitlist allocates units per variant (no product-level buy_size)');
  });
}

const refuseRequest = (field: string, problem: string): Error => invalid('INVALID_REQUEST', field, problem);
const refuseChange = (field: string, problem: string): Error => conflict('BUY_SIZE_MISMATCH', field, problem);

/** Every variant exists, belongs to the product and is listed once. */
export function checkAllocations(state: StoreState, productId: string, variants: readonly BuySizeInput[]): void {
  const seen = new Set<string>();
  variants.forEach((entry, i) => {
    const variant = getVariant(state, entry.variant_id, `variants[${i}].variant_id`);
    if (variant.product_id !== productId) {
      throw invalid('VARIANT_NOT_ON_PRODUCT', `variants[${i}].variant_id`, `variant ${variant.id} belongs to product ${variant.product_id}`);
    }
    if (seen.has(variant.id)) throw invalid('INVALID_REQUEST', `variants[${i}].variant_id`, 'listed twice');
    seen.add(variant.id);
  });
}

/** Times are kept in one form, UTC with milliseconds, whatever offset or precision they arrived in. */
export const isoTime = (time: string): string => new Date(time).toISOString();
const isoOrNull = (time: string | null | undefined): string | null => (time ? isoTime(time) : null);

export function createWaitlist(state: StoreState, now: Date, input: WaitlistInput): Waitlist {
  const product = getProduct(state, input.product_id);
  checkAllocations(state, product.id, input.variants);
  checkBuySizeKind(input.buy_size !== undefined, input.variants, refuseRequest);
  if (Date.parse(input.latest_ship_date) < Date.parse(input.earliest_ship_date)) {
    throw invalid('INVALID_REQUEST', 'latest_ship_date', 'must not be before earliest_ship_date');
  }
  const target = input.state ?? 'DRAFT';
  if (target === 'SCHEDULED' && !input.launch_date) throw invalid('INVALID_REQUEST', 'launch_date', 'is required for a SCHEDULED waitlist');
  const holder = holdingWaitlist(state, product.id);
  if (target !== 'DRAFT' && holder) {
    throw conflict('WAITLIST_CONFLICT', 'product_id', `product ${product.id} already has waitlist ${holder.id} in state ${holder.state}`);
  }
  const at = now.toISOString();
  const waitlist: Waitlist = {
    id: nextId(state),
    product_id: product.id,
    state: target,
    created_at: at,
    updated_at: at,
    launch_date: isoOrNull(input.launch_date),
    scheduled_pause_date: isoOrNull(input.scheduled_pause_date),
    earliest_ship_date: isoTime(input.earliest_ship_date),
    latest_ship_date: isoTime(input.latest_ship_date),
    display_dispatch_date: input.display_dispatch_date ?? dispatchText(input.earliest_ship_date, input.latest_ship_date),
    labels: input.labels ?? [],
    product_buy_size: input.buy_size ?? null,
    allocations: input.variants.map((v) => ({ variant_id: v.variant_id, buy_size: v.buy_size ?? null, committed: 0 })),
  };
  settleLaunchDate(waitlist, now);
  state.data.waitlists.push(waitlist);
  indexWaitlist(state.index, waitlist);
  touchWaitlist(state, waitlist, now, { type: 'waitlist.created' });
  applyDueTransitions(state, now);
  return waitlist;
}

const TRANSITIONS: Record<WaitlistState, readonly WaitlistState[]> = {
  DRAFT: ['SCHEDULED', 'LIVE', 'CLOSED'],
  SCHEDULED: ['DRAFT', 'LIVE', 'PAUSED', 'CLOSED'],
  LIVE: ['PAUSED', 'CLOSED'],
  PAUSED: ['LIVE', 'CLOSED'],
  CLOSED: [],
};

/**
 * A LIVE waitlist has launched, so its launch date is never later than now: one made LIVE ahead of its
 * schedule, or given a later date while LIVE, launched now. Without a date it stays null (documented example).
 */
export function settleLaunchDate(waitlist: Waitlist, now: Date): void {
  if (waitlist.state === 'LIVE' && waitlist.launch_date && Date.parse(waitlist.launch_date) > now.getTime()) {
    waitlist.launch_date = now.toISOString();
  }
}

/** Moves a waitlist to a new state; the caller cancels open lines when it closes (see lifecycle.ts). */
export function transitionWaitlist(state: StoreState, now: Date, waitlist: Waitlist, target: WaitlistState): void {
  if (target === waitlist.state) return;
  if (!TRANSITIONS[waitlist.state].includes(target)) {
    throw conflict('INVALID_STATE_TRANSITION', 'state', `a ${waitlist.state} waitlist cannot become ${target}`);
  }
  if (HOLDING.has(target) && !HOLDING.has(waitlist.state)) {
    const holder = holdingWaitlist(state, waitlist.product_id);
    if (holder && holder !== waitlist) {
      throw conflict('WAITLIST_CONFLICT', 'state', `product ${waitlist.product_id} already has waitlist ${holder.id} in state ${holder.state}`);
    }
  }
  if (target === 'SCHEDULED' && !waitlist.launch_date) throw invalid('INVALID_REQUEST', 'launch_date', 'is required for a SCHEDULED waitlist');
  const from = waitlist.state;
  waitlist.state = target;
  touchWaitlist(state, waitlist, now, { type: 'waitlist.state_changed', from, to: target });
}

/**
 * Sets buy sizes, all or nothing: a variant's own on a per-variant waitlist (a new variant joins it), the
 * product-level one on a per-product waitlist (a variant listed without a buy size joins the sharing). None
 * may fall below the units already committed (inferred).
 */
export function setBuySizes(waitlist: Waitlist, variants: readonly BuySizeInput[] = [], productBuySize?: number): void {
  const perProduct = isPerProduct(waitlist);
  if (productBuySize !== undefined && !perProduct) {
    throw conflict('BUY_SIZE_MISMATCH', 'buy_size', 'the waitlist allocates units per variant: set each variant\'s buy_size instead');
  }
  checkBuySizeKind(perProduct, variants, refuseChange);
  if (productBuySize !== undefined && productBuySize < committedUnits(waitlist)) {
    throw conflict('BUY_SIZE_BELOW_COMMITTED', 'buy_size', `${committedUnits(waitlist)} units are already committed`);
  }
  variants.forEach((entry, i) => {
    const existing = allocationFor(waitlist, entry.variant_id);
    if (existing && typeof entry.buy_size === 'number' && entry.buy_size < existing.committed) {
      throw conflict('BUY_SIZE_BELOW_COMMITTED', `variants[${i}].buy_size`, `${existing.committed} units are already committed`);
    }
  });
  if (productBuySize !== undefined) waitlist.product_buy_size = productBuySize;
  for (const entry of variants) {
    const buySize = entry.buy_size ?? null;
    const existing = allocationFor(waitlist, entry.variant_id);
    if (existing) existing.buy_size = buySize;
    else waitlist.allocations.push({ variant_id: entry.variant_id, buy_size: buySize, committed: 0 });
  }
}

/** The transition a waitlist has waiting, and when it takes effect: never before the waitlist's last change. */
function dueTransition(waitlist: Waitlist): { at: number; to: WaitlistState } | undefined {
  const time = waitlist.state === 'SCHEDULED' ? waitlist.launch_date : waitlist.state === 'LIVE' ? waitlist.scheduled_pause_date : null;
  if (!time) return undefined;
  return { at: Math.max(Date.parse(time), Date.parse(waitlist.updated_at)), to: waitlist.state === 'SCHEDULED' ? 'LIVE' : 'PAUSED' };
}

/**
 * Applies the transitions the clock has reached: SCHEDULED → LIVE at `launch_date`, LIVE → PAUSED at
 * `scheduled_pause_date` (documented). Each takes effect at its own time, not at the time it is noticed,
 * and they happen in time order, across waitlists too, so their events never run back in time.
 */
export function applyDueTransitions(state: StoreState, now: Date): void {
  const nowMs = now.getTime();
  for (;;) {
    let next: { waitlist: Waitlist; at: number; to: WaitlistState } | undefined;
    for (const waitlist of state.data.waitlists) {
      const due = dueTransition(waitlist);
      if (due && due.at <= nowMs && (!next || due.at < next.at)) next = { waitlist, ...due };
    }
    if (!next) return;
    const from = next.waitlist.state;
    next.waitlist.state = next.to;
    touchWaitlist(state, next.waitlist, new Date(next.at), { type: 'waitlist.state_changed', from, to: next.to });
  }
}

/** The earliest time a scheduled launch or pause of the store falls due, if any: when the scheduler wakes. */
export function nextDueTransition(state: StoreState): number | undefined {
  let next: number | undefined;
  for (const waitlist of state.data.waitlists) {
    const due = dueTransition(waitlist);
    if (due && (next === undefined || due.at < next)) next = due.at;
  }
  return next;
}
