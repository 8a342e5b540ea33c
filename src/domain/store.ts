import type { DomainEvent } from './events.ts';
import { uuidFor } from './ids.ts';
import { ITEMS_PER_STEP, runSteps, type Steps } from './steps.ts';
import type {
  ExportedOrder, FulfillmentOrder, InventoryLevel, LineItem, PreOrder, Product, RefundRecord, StoreData,
  StoreSettings, Variant, Waitlist,
} from './types.ts';

export interface LineRef {
  order: PreOrder;
  line: LineItem;
}

interface UpdateEntry {
  seq: number;
  at: number;
  order: PreOrder;
}

/** Lookups derived from StoreData; never snapshotted, always rebuildable. */
export interface StoreIndex {
  productsById: Map<string, Product>;
  productsByHandle: Map<string, Product>;
  variantsById: Map<string, Variant>;
  variantsBySku: Map<string, Variant>;
  waitlistsById: Map<string, Waitlist>;
  waitlistsByProduct: Map<string, Waitlist[]>;
  preOrdersById: Map<string, PreOrder>;
  preOrdersByEmail: Map<string, PreOrder[]>;
  preOrdersByReference: Map<string, PreOrder>;
  lineItems: Map<string, LineRef>;
  readonly externalOrders: Map<string, { order: PreOrder; exported: ExportedOrder }>;
  /**
   * Lines of a SKU in placement order; entries before `head` are known not to be open any more. `orders`
   * counts the distinct pre-orders among them (a pre-order's lines are indexed together, so a repeat of
   * one is always next to it), which a count filtered by one SKU answers with.
   */
  linesBySku: Map<string, { queue: LineRef[]; head: number; orders: number }>;
  /*
   * The four lookups of exports (`externalOrders` above too) are each brought up to date when it is read, not
   * by each export: an export of 10,000 lines would otherwise set 40,000 map entries in the request that
   * posts the inventory, whether or not anything looks one of them up soon.
   */
  readonly fulfillmentOrdersById: Map<string, FulfillmentOrder>;
  readonly fulfillmentOrderPosition: Map<string, number>;
  readonly fulfillmentOrdersByReference: Map<string, FulfillmentOrder>;
  /** Orders of the exports appended since the stalest lookup of exports was last read, one per new fulfillment order. */
  readonly unindexedExports: PreOrder[];
  inventoryBySku: Map<string, InventoryLevel>;
  refundsByKey: Map<string, RefundRecord>;
  /**
   * Append-only log of pre-order updates in time order; an entry is live while its seq is the order's
   * update_seq. Dead entries stay, so a cursor can still find where an order stood before it moved.
   */
  updateLog: UpdateEntry[];
}

export interface StoreState {
  data: StoreData;
  index: StoreIndex;
  /** Events of changes not yet handed to subscribers (see events.ts); never snapshotted. */
  outbox: DomainEvent[];
  /**
   * Counts the changes recorded so far (every change records an event, see events.ts): what is presented from
   * the state stays valid while it has not moved. Never snapshotted; a new state starts at 0.
   */
  version: number;
}

export const emailKey = (email: string): string => email.trim().toLowerCase();
export const refundKey = (order: string, id: string): string => `${order}\u0000${id}`;
export const fulfillmentReference = (order: PreOrder, index: number): string => `${order.reference}-${index}`;

export function createStoreState(settings: StoreSettings, seed: number): StoreState {
  const data: StoreData = {
    settings,
    seed,
    counters: { ids: 0, references: 0, external_orders: 0, external_line_items: 0, updates: 0 },
    products: [],
    variants: [],
    waitlists: [],
    pre_orders: [],
    fulfillment_orders: [],
    inventory: [],
    refunds: [],
    unit_history: {},
  };
  return stateOf(data);
}

/** The state of a store holding `data`, with its indexes built and nothing in its outbox. */
export function stateOf(data: StoreData): StoreState {
  return runSteps(stateSteps(data));
}

/** `stateOf` in steps (a snapshot import of 100,000 pre-orders indexes for a few hundred milliseconds). */
export function* stateSteps(data: StoreData): Steps<StoreState> {
  return { data, index: yield* buildIndexSteps(data), outbox: [], version: 0 };
}

/** Builds every index from the data, pausing every few hundred entities. */
function* buildIndexSteps(data: StoreData): Steps<StoreIndex> {
  const exports = {
    externalOrders: new Map<string, { order: PreOrder; exported: ExportedOrder }>(),
    byId: new Map<string, FulfillmentOrder>(),
    position: new Map<string, number>(),
    byReference: new Map<string, FulfillmentOrder>(),
  };
  /** Orders of the exports some lookup has not taken in yet; `unindexed[i]` made the fulfillment order at `from + i`. */
  const unindexed: PreOrder[] = [];
  let from = 0;
  /**
   * Each lookup of exports catches up on its own, to the end of the list, when it is read: a GET of one
   * fulfillment order after large exports fills the map by ID only. `upTo` is the list position it has reached.
   */
  interface Lookup {
    upTo: number;
    take(order: PreOrder, fo: FulfillmentOrder, position: number): void;
  }
  const lookupOf = (take: Lookup['take']): Lookup => ({ upTo: 0, take });
  const lookups = {
    externalOrders: lookupOf((order, fo) => {
      const exported = order.exported_orders[fo.index - 1];
      if (!exported || exported.fulfillment_order_id !== fo.id) throw new Error(`fulfillment order ${fo.id} is not the export of pre-order ${order.id} it was appended with`);
      exports.externalOrders.set(exported.id, { order, exported });
    }),
    byId: lookupOf((_order, fo) => void exports.byId.set(fo.id, fo)),
    position: lookupOf((_order, fo, position) => void exports.position.set(fo.id, position)),
    byReference: lookupOf((order, fo) => void exports.byReference.set(fulfillmentReference(order, fo.index), fo)),
  };
  const all = Object.values(lookups);
  const catchUp = (lookup: Lookup): void => {
    const end = from + unindexed.length;
    if (lookup.upTo >= end) return;
    const list = data.fulfillment_orders;
    for (let position = lookup.upTo; position < end; position += 1) {
      const fo = list[position];
      const order = unindexed[position - from]!;
      // Only appendExport adds to both lists, together; anything else is a simulator bug.
      if (!fo || fo.pre_order_id !== order.id) throw new Error(`fulfillment order at ${position} is not the export of pre-order ${order.id} it was appended with`);
      lookup.take(order, fo, position);
    }
    lookup.upTo = end;
    // What every lookup has taken in is let go; a lookup never read keeps its orders (8 bytes per export).
    let oldest = end;
    for (const other of all) oldest = Math.min(oldest, other.upTo);
    if (oldest === end) {
      unindexed.length = 0;
      from = end;
    } else if (oldest - from > 4096 && oldest - from > unindexed.length / 2) {
      unindexed.splice(0, oldest - from);
      from = oldest;
    }
  };
  /** A lookup of exports, brought up to the end of the list first. */
  const caughtUp = <K extends keyof typeof exports>(key: K): (typeof exports)[K] => {
    catchUp(lookups[key]);
    return exports[key];
  };
  const index: StoreIndex = {
    get externalOrders() { return caughtUp('externalOrders'); },
    get fulfillmentOrdersById() { return caughtUp('byId'); },
    get fulfillmentOrderPosition() { return caughtUp('position'); },
    get fulfillmentOrdersByReference() { return caughtUp('byReference'); },
    unindexedExports: unindexed,
    productsById: new Map(),
    productsByHandle: new Map(),
    variantsById: new Map(),
    variantsBySku: new Map(),
    waitlistsById: new Map(),
    waitlistsByProduct: new Map(),
    preOrdersById: new Map(),
    preOrdersByEmail: new Map(),
    preOrdersByReference: new Map(),
    lineItems: new Map(),
    linesBySku: new Map(),
    inventoryBySku: new Map(),
    refundsByKey: new Map(),
    updateLog: [],
  };
  for (const product of data.products) indexProduct(index, product);
  for (const variant of data.variants) indexVariant(index, variant);
  for (const waitlist of data.waitlists) indexWaitlist(index, waitlist);
  const updates: UpdateEntry[] = [];
  for (let i = 0; i < data.pre_orders.length; i += 1) {
    const order = data.pre_orders[i]!;
    indexPreOrder(index, order);
    for (const exported of order.exported_orders) indexExport(index, order, exported);
    updates.push({ seq: order.update_seq, at: Date.parse(order.updated_at), order });
    if (i % ITEMS_PER_STEP === 0) yield;
  }
  yield;
  // One sort of 100,000 entries is some tens of milliseconds: short enough to run between two pauses.
  index.updateLog = updates.sort((a, b) => a.seq - b.seq);
  yield;
  for (let position = 0; position < data.fulfillment_orders.length; position += 1) {
    indexFulfillmentOrder(index, data.fulfillment_orders[position]!, position);
    if (position % ITEMS_PER_STEP === 0) yield;
  }
  // Built from the data, the lookups of exports are up to date: appendExport adds after the list's end.
  from = data.fulfillment_orders.length;
  for (const lookup of all) lookup.upTo = from;
  for (const level of data.inventory) index.inventoryBySku.set(level.sku, level);
  for (const refund of data.refunds) index.refundsByKey.set(refundKey(refund.order, refund.id), refund);
  return index;
}

export function nextId(state: StoreState): string {
  state.data.counters.ids += 1;
  return uuidFor(state.data.seed, state.data.counters.ids);
}

export function indexProduct(index: StoreIndex, product: Product): void {
  index.productsById.set(product.id, product);
  index.productsByHandle.set(product.handle, product);
}

export function indexVariant(index: StoreIndex, variant: Variant): void {
  index.variantsById.set(variant.id, variant);
  index.variantsBySku.set(variant.sku, variant);
}

export function indexWaitlist(index: StoreIndex, waitlist: Waitlist): void {
  index.waitlistsById.set(waitlist.id, waitlist);
  const list = index.waitlistsByProduct.get(waitlist.product_id) ?? [];
  list.push(waitlist);
  index.waitlistsByProduct.set(waitlist.product_id, list);
}

export function indexPreOrder(index: StoreIndex, order: PreOrder): void {
  index.preOrdersById.set(order.id, order);
  index.preOrdersByReference.set(order.reference, order);
  const key = emailKey(order.email);
  const byEmail = index.preOrdersByEmail.get(key);
  if (byEmail) byEmail.push(order);
  else index.preOrdersByEmail.set(key, [order]);
  for (const line of order.line_items) {
    const ref = { order, line };
    index.lineItems.set(line.id, ref);
    const bySku = index.linesBySku.get(line.sku);
    if (!bySku) {
      index.linesBySku.set(line.sku, { queue: [ref], head: 0, orders: 1 });
      continue;
    }
    if (bySku.queue[bySku.queue.length - 1]!.order !== order) bySku.orders += 1;
    bySku.queue.push(ref);
  }
}

export function indexExport(index: StoreIndex, order: PreOrder, exported: ExportedOrder): void {
  index.externalOrders.set(exported.id, { order, exported });
}

/**
 * Adds a new export to the data: its exported order to the pre-order and its fulfillment order to the store's
 * list. The lookups of exports take it in when one of them is next read (see StoreIndex).
 */
export function appendExport(state: StoreState, order: PreOrder, exported: ExportedOrder, fo: FulfillmentOrder): void {
  // A first push would give the empty list room for 17 (152 bytes kept per pre-order); most are exported once.
  if (order.exported_orders.length === 0) order.exported_orders = [exported];
  else order.exported_orders.push(exported);
  state.data.fulfillment_orders.push(fo);
  state.index.unindexedExports.push(order);
}

export function indexFulfillmentOrder(index: StoreIndex, fo: FulfillmentOrder, position: number): void {
  index.fulfillmentOrdersById.set(fo.id, fo);
  index.fulfillmentOrderPosition.set(fo.id, position);
  const order = index.preOrdersById.get(fo.pre_order_id);
  if (order) index.fulfillmentOrdersByReference.set(fulfillmentReference(order, fo.index), fo);
}

/** Pre-orders updated between `fromMs` and `toMs`, in update order, each once at its latest update, after `afterSeq`. */
export function* updatedBetween(state: StoreState, fromMs: number, toMs: number, afterSeq: number): Generator<PreOrder> {
  const log = state.index.updateLog;
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const entry = log[mid]!;
    if (entry.at < fromMs || entry.seq <= afterSeq) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < log.length; i += 1) {
    const entry = log[i]!;
    if (entry.at > toMs) return;
    if (entry.order.update_seq === entry.seq) yield entry.order;
  }
}

/** Appends a point to a SKU's unit history so counts can be answered as of any past moment. */
export function recordUnits(state: StoreState, sku: string, now: Date, open: number, canceled: number, exported: number): void {
  // SKUs are client input: an own-property check keeps `constructor` and friends from reading the prototype.
  if (!Object.hasOwn(state.data.unit_history, sku)) state.data.unit_history[sku] = [];
  const history = state.data.unit_history[sku]!;
  const last = history[history.length - 1];
  const at = now.getTime();
  const base: [number, number, number] = last ? [last[1], last[2], last[3]] : [0, 0, 0];
  const point: [number, number, number, number] = [at, base[0] + open, base[1] + canceled, base[2] + exported];
  if (last && last[0] === at) history[history.length - 1] = point;
  else history.push(point);
}

export function unitsAt(state: StoreState, sku: string, atMs: number): { open: number; canceled: number; exported: number } {
  const history = Object.hasOwn(state.data.unit_history, sku) ? state.data.unit_history[sku]! : [];
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (history[mid]![0] <= atMs) lo = mid + 1;
    else hi = mid;
  }
  const point = history[lo - 1];
  return point ? { open: point[1], canceled: point[2], exported: point[3] } : { open: 0, canceled: 0, exported: 0 };
}
