import { DomainError, invalid } from './errors.ts';
import { readUpdateCursor, updateCursor } from './cursors.ts';
import { emailKey, updatedBetween, type StoreState } from './store.ts';
import type { FulfillmentOrder, LineStatus, PreOrder, Waitlist } from './types.ts';

export interface Page<T> {
  items: T[];
  has_more: boolean;
  /** The cursor of the next page when it is not the last item's ID (lists in update order). */
  next?: string;
}

/** Takes up to `limit` matches from `source`, looking one further to learn whether there is more. */
function takePage<T>(source: Iterable<T>, limit: number, matches: (item: T) => boolean = () => true): Page<T> {
  const items: T[] = [];
  for (const item of source) {
    if (!matches(item)) continue;
    if (items.length === limit) return { items, has_more: true };
    items.push(item);
  }
  return { items, has_more: false };
}

function* fromIndex<T>(list: readonly T[], start: number): Generator<T> {
  for (let i = start; i < list.length; i += 1) yield list[i]!;
}

/** First position in a list sorted by time whose time is at or after `fromMs`. */
function firstAtOrAfter<T>(list: readonly T[], fromMs: number, timeOf: (item: T) => string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Date.parse(timeOf(list[mid]!)) < fromMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const badCursor = (id: string) => invalid('INVALID_CURSOR', 'starting_after', `${id} is not an item of this list`);
const splitList = (csv: string | undefined): string[] | undefined =>
  csv === undefined ? undefined : csv.split(',').map((v) => v.trim()).filter((v) => v.length > 0);

export interface PreOrderFilter {
  created_at_min?: string;
  updated_at_min?: string;
  updated_at_max?: string;
  references?: string;
  skus?: string;
  email?: string;
  all_line_items?: string;
  some_line_item?: string;
}

function preOrderPredicate(filter: PreOrderFilter): (order: PreOrder) => boolean {
  const createdMin = filter.created_at_min ? Date.parse(filter.created_at_min) : undefined;
  const updatedMin = filter.updated_at_min ? Date.parse(filter.updated_at_min) : undefined;
  const updatedMax = filter.updated_at_max ? Date.parse(filter.updated_at_max) : undefined;
  const references = splitList(filter.references);
  const referenceSet = references ? new Set(references) : undefined;
  const skuList = splitList(filter.skus);
  const skus = skuList ? new Set(skuList) : undefined;
  const email = filter.email !== undefined ? emailKey(filter.email) : undefined;
  const all = splitList(filter.all_line_items) as LineStatus[] | undefined;
  const some = splitList(filter.some_line_item) as LineStatus[] | undefined;
  return (order) =>
    (createdMin === undefined || Date.parse(order.created_at) >= createdMin) &&
    (updatedMin === undefined || Date.parse(order.updated_at) >= updatedMin) &&
    (updatedMax === undefined || Date.parse(order.updated_at) <= updatedMax) &&
    (referenceSet === undefined || referenceSet.has(order.reference)) &&
    (skus === undefined || order.line_items.some((l) => skus.has(l.sku))) &&
    (email === undefined || emailKey(order.email) === email) &&
    (all === undefined || order.line_items.every((l) => all.includes(l.status))) &&
    (some === undefined || order.line_items.some((l) => some.includes(l.status)));
}

function checkExclusive(filter: PreOrderFilter): void {
  if (filter.all_line_items !== undefined && filter.some_line_item !== undefined) {
    throw new DomainError('invalid', 'INVALID_REQUEST', 'all_line_items and some_line_item cannot be combined', [
      { field: 'all_line_items', problem: 'cannot be combined with some_line_item' },
      { field: 'some_line_item', problem: 'cannot be combined with all_line_items' },
    ]);
  }
}

/**
 * Candidate pre-orders in list order. Creation order by default (oldest first, documented); update order
 * when `updated_at_min` is given (third-party observation). Each starts from the narrowest index the
 * filters allow, so a page costs what it returns plus what the other filters skip.
 */
function candidates(state: StoreState, filter: PreOrderFilter, after: Position | undefined): Iterable<PreOrder> {
  const range = updateRange(filter);
  if (range) return updatedBetween(state, range.fromMs, range.toMs, after?.updateSeq ?? 0);
  const list = narrowest(state, filter);
  const fromTime = filter.created_at_min ? firstAtOrAfter(list, Date.parse(filter.created_at_min), (o) => o.created_at) : 0;
  const fromCursor = after?.order ? firstAfter(list, after.order) : 0;
  return fromIndex(list, Math.max(fromTime, fromCursor));
}

/** The update-time window that switches the list to update order, when `updated_at_min` is given. */
function updateRange(filter: PreOrderFilter): { fromMs: number; toMs: number } | undefined {
  if (filter.updated_at_min === undefined) return undefined;
  return { fromMs: Date.parse(filter.updated_at_min), toMs: filter.updated_at_max ? Date.parse(filter.updated_at_max) : Infinity };
}

const NARROW_LIMIT = 5_000;

const bySeq = (orders: Iterable<PreOrder>): PreOrder[] => [...new Set(orders)].sort((a, b) => a.seq - b.seq);

/** The smallest list, in creation order, that holds every pre-order the filters can match. */
function narrowest(state: StoreState, filter: PreOrderFilter): readonly PreOrder[] {
  const references = splitList(filter.references);
  if (references) return bySeq(references.flatMap((r) => state.index.preOrdersByReference.get(r) ?? []));
  if (filter.email !== undefined) return state.index.preOrdersByEmail.get(emailKey(filter.email)) ?? [];
  const skus = splitList(filter.skus);
  if (skus) {
    const queues = skus.map((sku) => state.index.linesBySku.get(sku)?.queue ?? []);
    // Collecting and sorting costs more than scanning once the SKUs cover much of the store.
    if (queues.reduce((n, q) => n + q.length, 0) <= NARROW_LIMIT) return bySeq(queues.flatMap((q) => q.map((ref) => ref.order)));
  }
  return state.data.pre_orders;
}

/**
 * Where a page after `cursor` starts in a list kept in creation order. The cursor need not be in the list
 * itself (it may have stopped matching a filter since), so this is the first order created after it.
 */
function firstAfter(list: readonly PreOrder[], cursor: PreOrder): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.seq <= cursor.seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where a page resumes: after a pre-order (creation order), or after an update seq (update order). */
interface Position {
  order?: PreOrder;
  updateSeq?: number;
}

/**
 * Reads `starting_after`. In creation order it is a pre-order's ID (documented). In update order it is the
 * signed cursor the previous page gave, or a pre-order's ID, which resumes after that order's latest update.
 */
function positionOf(state: StoreState, filter: PreOrderFilter, startingAfter: string | undefined): Position | undefined {
  if (startingAfter === undefined) return undefined;
  const order = state.index.preOrdersById.get(startingAfter);
  const range = updateRange(filter);
  if (order) return range ? { updateSeq: order.update_seq } : { order };
  const updateSeq = range ? readUpdateCursor(state, startingAfter, range.fromMs, range.toMs) : undefined;
  if (updateSeq === undefined) throw badCursor(startingAfter);
  return { updateSeq };
}

export function listPreOrders(state: StoreState, filter: PreOrderFilter, limit: number, startingAfter?: string): Page<PreOrder> {
  checkExclusive(filter);
  const page = takePage(candidates(state, filter, positionOf(state, filter, startingAfter)), limit, preOrderPredicate(filter));
  const range = updateRange(filter);
  const last = page.items[page.items.length - 1];
  if (range && last && page.has_more) page.next = updateCursor(state, last.update_seq, range.fromMs, range.toMs);
  return page;
}

/** The filters that narrow a count; anything else in the query (limit, starting_after) counts everything. */
const COUNT_FILTERS: readonly (keyof PreOrderFilter)[] = ['created_at_min', 'updated_at_min', 'updated_at_max', 'references', 'skus', 'email', 'all_line_items', 'some_line_item'];

export function countPreOrders(state: StoreState, filter: PreOrderFilter): number {
  checkExclusive(filter);
  const given = COUNT_FILTERS.filter((name) => filter[name] !== undefined);
  const direct = countFromIndex(state, filter, given);
  if (direct !== undefined) return direct;
  const matches = preOrderPredicate(filter);
  let count = 0;
  for (const order of candidates(state, filter, undefined)) if (matches(order)) count += 1;
  return count;
}

/**
 * A count the indexes answer without a walk, when the filters given are one the store keeps counted: none
 * (the store's size), `created_at_min` alone (a binary search of creation order), one `email`, or one SKU.
 * Undefined otherwise: the walk costs in proportion to the store (a million pre-orders is a million checks).
 */
function countFromIndex(state: StoreState, filter: PreOrderFilter, given: readonly (keyof PreOrderFilter)[]): number | undefined {
  const orders = state.data.pre_orders;
  if (given.length === 0) return orders.length;
  if (given.length > 1) return undefined;
  switch (given[0]) {
    case 'created_at_min':
      return orders.length - firstAtOrAfter(orders, Date.parse(filter.created_at_min!), (o) => o.created_at);
    case 'email':
      return state.index.preOrdersByEmail.get(emailKey(filter.email!))?.length ?? 0;
    case 'skus': {
      const skus = splitList(filter.skus);
      if (skus?.length !== 1) return undefined;
      return state.index.linesBySku.get(skus[0]!)?.orders ?? 0;
    }
    default:
      return undefined;
  }
}

/** The shopper's own pre-orders, oldest first. */
export function listShopperPreOrders(state: StoreState, email: string, limit: number, startingAfter?: string): Page<PreOrder> {
  const list = state.index.preOrdersByEmail.get(emailKey(email)) ?? [];
  let start = 0;
  if (startingAfter !== undefined) {
    // A shopper's cursor must be one of their own pre-orders: other shoppers' IDs are not theirs to page by.
    const after = state.index.preOrdersById.get(startingAfter);
    if (!after || emailKey(after.email) !== emailKey(email)) throw badCursor(startingAfter);
    start = firstAfter(list, after);
  }
  return takePage(fromIndex(list, start), limit);
}

export interface TimeFilter {
  created_at_min?: string;
  updated_at_min?: string;
}

export function listWaitlists(state: StoreState, filter: TimeFilter, limit: number, startingAfter?: string): Page<Waitlist> {
  const list = state.data.waitlists;
  let start = 0;
  if (startingAfter !== undefined) {
    const position = list.findIndex((w) => w.id === startingAfter);
    if (position < 0) throw badCursor(startingAfter);
    start = position + 1;
  }
  const createdMin = filter.created_at_min ? Date.parse(filter.created_at_min) : undefined;
  const updatedMin = filter.updated_at_min ? Date.parse(filter.updated_at_min) : undefined;
  return takePage(fromIndex(list, start), limit, (w) =>
    (createdMin === undefined || Date.parse(w.created_at) >= createdMin) &&
    (updatedMin === undefined || Date.parse(w.updated_at) >= updatedMin));
}

export interface FulfillmentOrderFilter {
  created_at_min?: string;
  references?: string;
}

export function listFulfillmentOrders(state: StoreState, filter: FulfillmentOrderFilter, limit: number, startingAfter?: string): Page<FulfillmentOrder> {
  const list = state.data.fulfillment_orders;
  let start = filter.created_at_min ? firstAtOrAfter(list, Date.parse(filter.created_at_min), (fo) => fo.created_at) : 0;
  if (startingAfter !== undefined) {
    const position = state.index.fulfillmentOrderPosition.get(startingAfter);
    if (position === undefined) throw badCursor(startingAfter);
    start = Math.max(start, position + 1);
  }
  const references = splitList(filter.references);
  if (references) {
    const found = references
      .flatMap((r) => state.index.fulfillmentOrdersByReference.get(r) ?? [])
      .map((fo) => ({ fo, position: state.index.fulfillmentOrderPosition.get(fo.id)! }))
      .filter(({ position }) => position >= start)
      .sort((a, b) => a.position - b.position);
    return takePage(new Set(found.map(({ fo }) => fo)), limit);
  }
  return takePage(fromIndex(list, start), limit);
}
