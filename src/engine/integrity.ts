import { uuidFor } from '../domain/ids.ts';
import { ITEMS_PER_STEP, runSteps, type Steps } from '../domain/steps.ts';
import type { StoreState } from '../domain/store.ts';
import { webhookStateProblem } from '../webhooks/subscriptions.ts';
import { presentFulfillmentOrder, presentPreOrder, presentWaitlist } from './present/private.ts';
import { presentAvailability, presentPublicWaitlist } from './present/public.ts';

/** The latest time a store's state records; a clock behind it would break time-ordered indexes. */
export function latestTime(store: StoreState): number {
  let max = 0;
  for (const list of [store.data.waitlists, store.data.pre_orders, store.data.fulfillment_orders]) {
    for (const entity of list) max = Math.max(max, Date.parse(entity.updated_at));
  }
  return max;
}

/** Throws with the first way a store's data contradicts itself; the indexes and ordering rely on none of these. */
export function checkIntegrity(store: StoreState): void {
  runSteps(integritySteps(store));
}

const fail = (why: string): never => {
  throw new Error(why);
};

/** `checkIntegrity` in steps, pausing every thousand entities (an import of 100,000 pre-orders checks for seconds). */
export function* integritySteps(store: StoreState): Steps<void> {
  const { data, index } = store;
  const pause = (n: number): boolean => n % ITEMS_PER_STEP === ITEMS_PER_STEP - 1;
  for (const variant of data.variants) if (!index.productsById.has(variant.product_id)) fail(`variant ${variant.id} names unknown product ${variant.product_id}`);
  for (const product of data.products) {
    for (const id of product.variant_ids) if (!index.variantsById.has(id)) fail(`product ${product.id} names unknown variant ${id}`);
  }
  for (const waitlist of data.waitlists) {
    if (!index.productsById.has(waitlist.product_id)) fail(`waitlist ${waitlist.id} names unknown product ${waitlist.product_id}`);
    for (const a of waitlist.allocations) if (!index.variantsById.has(a.variant_id)) fail(`waitlist ${waitlist.id} names unknown variant ${a.variant_id}`);
    // Per product or per variant, never both: the presenters and placement read one or the other.
    const perProduct = waitlist.product_buy_size !== null;
    for (const a of waitlist.allocations) {
      if ((a.buy_size === null) !== perProduct) {
        fail(`waitlist ${waitlist.id} ${perProduct ? 'shares a product-level buy_size, yet' : 'has no product-level buy_size, yet'} variant ${a.variant_id} has buy_size ${a.buy_size}`);
      }
    }
  }
  const flags = new Set<string>();
  for (const flag of data.settings.flags) {
    if (flags.has(flag.flag)) fail(`settings.flags names ${JSON.stringify(flag.flag)} twice`);
    flags.add(flag.flag);
  }
  // Creation order is list order, `seq` is the position, and times never run back.
  let previous = '';
  for (let position = 0; position < data.pre_orders.length; position += 1) {
    const order = data.pre_orders[position]!;
    if (order.seq !== position) fail(`pre-order ${order.id} has seq ${order.seq} at position ${position}`);
    if (order.created_at < previous) fail(`pre-order ${order.id} was created before the one listed before it`);
    previous = order.created_at;
    for (const line of order.line_items) {
      if (!index.waitlistsById.has(line.waitlist_id)) fail(`line ${line.id} names unknown waitlist ${line.waitlist_id}`);
      if (!index.variantsById.has(line.variant_id)) fail(`line ${line.id} names unknown variant ${line.variant_id}`);
    }
    for (const exported of order.exported_orders) {
      for (const id of exported.line_item_ids) {
        if (index.lineItems.get(id)?.order !== order) fail(`exported order ${exported.id} names line ${id} of another or no pre-order`);
      }
      if (!index.fulfillmentOrdersById.has(exported.fulfillment_order_id)) fail(`exported order ${exported.id} names unknown fulfillment order`);
    }
    if (pause(position)) yield;
  }
  previous = '';
  for (let position = 0; position < data.fulfillment_orders.length; position += 1) {
    const fo = data.fulfillment_orders[position]!;
    if (!index.preOrdersById.has(fo.pre_order_id)) fail(`fulfillment order ${fo.id} names unknown pre-order ${fo.pre_order_id}`);
    for (const entry of fo.lines) if (!index.lineItems.has(entry.line_item_id)) fail(`fulfillment order ${fo.id} names unknown line ${entry.line_item_id}`);
    if (fo.created_at < previous) fail(`fulfillment order ${fo.id} was created before the one listed before it`);
    previous = fo.created_at;
    if (pause(position)) yield;
  }
  // Subscription ids stay unique only while every id is numbered at most the counter.
  const webhookProblem = webhookStateProblem(data.webhooks);
  if (webhookProblem) fail(webhookProblem);
  // Update order: seqs unique, below the counter, and in step with update times. The index holds the
  // pre-orders sorted by update seq already (its update log, one entry per pre-order when just built).
  const byUpdate = index.updateLog;
  for (let i = 1; i < byUpdate.length; i += 1) {
    const before = byUpdate[i - 1]!;
    const entry = byUpdate[i]!;
    if (before.seq === entry.seq || before.at > entry.at) fail(`pre-orders ${before.order.id} and ${entry.order.id} disagree on update order`);
    if (pause(i)) yield;
  }
  yield* unitHistorySteps(store);
  const c = data.counters;
  if ((byUpdate[byUpdate.length - 1]?.seq ?? 0) > c.updates) fail('counters.updates is below an update_seq in use');
  if (c.references < data.pre_orders.length) fail('counters.references is below the number of pre-orders');
  let exports = 0;
  for (const order of data.pre_orders) exports += order.exported_orders.length;
  if (c.external_orders < exports) fail('counters.external_orders is below the number of exported orders');
  const ids = new Set<string>(data.waitlists.map((w) => w.id));
  for (let position = 0; position < data.pre_orders.length; position += 1) {
    const order = data.pre_orders[position]!;
    ids.add(order.id);
    for (const line of order.line_items) ids.add(line.id);
    if (pause(position)) yield;
  }
  for (const fo of data.fulfillment_orders) {
    ids.add(fo.id);
    for (const f of fo.fulfillments) ids.add(f.id);
  }
  if (c.ids < ids.size || ids.has(uuidFor(data.seed, c.ids + 1))) fail('counters.ids would hand out an ID already in use');
  yield;
  // Finally every entity must present: whatever slipped past the checks above fails here, at import.
  for (const product of data.products) presentAvailability(store, product);
  for (const waitlist of data.waitlists) if (waitlist.state !== 'DRAFT') presentPublicWaitlist(store, waitlist);
  for (const waitlist of data.waitlists) presentWaitlist(store, waitlist);
  for (let position = 0; position < data.pre_orders.length; position += 1) {
    presentPreOrder(data.pre_orders[position]!);
    if (pause(position)) yield;
  }
  for (let position = 0; position < data.fulfillment_orders.length; position += 1) {
    presentFulfillmentOrder(store, data.fulfillment_orders[position]!);
    if (pause(position)) yield;
  }
}

/** A SKU as an error message shows it: quoted, and cut short, since a snapshot's strings can be megabytes long. */
const skuShown = (sku: string): string => JSON.stringify(sku.length > 64 ? `${sku.slice(0, 64)}…` : sku);
/** An epoch time as an error message shows it: ISO 8601 where a date can hold it, else the number. */
const timeShown = (ms: number): string => (Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`);

/**
 * Each SKU's unit history (what `countSkuUnits` answers from) must be one the store's own changes could have
 * written: `recordUnits` appends a point `[epoch ms, open, canceled, exported]` holding the SKU's running
 * totals at the time of every placement, cancellation and export of its lines, merging points of the same
 * millisecond, and nothing else writes it. So, always:
 * - the times run strictly forward: `unitsAt` searches them by time, and a point older than the one before
 *   it would make the next change build on a stale point, and counts go below 0;
 * - every time is an integer, every count an integer of at least 0;
 * - the last point holds exactly the units of the SKU's open, cancelled and exported lines (the lines move
 *   between those states only through the same three changes), a SKU with lines has a history, and one
 *   without lines has none (an empty one is let be: it holds nothing, and the next change starts it);
 * - the last point is no later than the latest update of a pre-order with a line of the SKU (every change
 *   that writes a point also updates that pre-order, at the same time), so no later than the clock: a later
 *   point would make the next change write one before it.
 * Checked for the exports of all ten built-in scenarios, and by the fuzzing, which exports and re-imports
 * every store after each sequence of live changes.
 */
function* unitHistorySteps(store: StoreState): Steps<void> {
  const lines = new Map<string, { units: [number, number, number]; updatedMs: number }>();
  for (let position = 0; position < store.data.pre_orders.length; position += 1) {
    const order = store.data.pre_orders[position]!;
    if (position % ITEMS_PER_STEP === 0) yield;
    const updatedMs = Date.parse(order.updated_at);
    for (const line of order.line_items) {
      let entry = lines.get(line.sku);
      if (!entry) lines.set(line.sku, (entry = { units: [0, 0, 0], updatedMs }));
      entry.units[line.status === 'open' ? 0 : line.status === 'cancelled' ? 1 : 2] += line.quantity;
      entry.updatedMs = Math.max(entry.updatedMs, updatedMs);
    }
  }
  const history = store.data.unit_history;
  for (const sku of lines.keys()) {
    if (!Object.hasOwn(history, sku)) fail(`SKU ${skuShown(sku)} has pre-order lines but no unit history`);
  }
  for (const [sku, points] of Object.entries(history)) {
    const name = skuShown(sku);
    points.forEach((point, i) => {
      if (!point.every((n) => Number.isInteger(n)) || point.slice(1).some((n) => n < 0)) fail(`the unit history of SKU ${name} has a point that is not an integer time and three integer counts of at least 0 (point ${i})`);
      if (i > 0 && !(point[0] > points[i - 1]![0])) fail(`the unit history of SKU ${name} runs back in time at point ${i}: its times must strictly increase`);
    });
    const last = points[points.length - 1];
    const entry = lines.get(sku);
    if (last && !entry) fail(`SKU ${name} has a unit history but no pre-order lines`);
    const [open, canceled, exported] = entry?.units ?? [0, 0, 0];
    const held = last ? [last[1], last[2], last[3]] : [0, 0, 0];
    if (held[0] !== open || held[1] !== canceled || held[2] !== exported) {
      fail(`the unit history of SKU ${name} ends at ${held[0]} open, ${held[1]} canceled, ${held[2]} exported units, but its pre-order lines hold ${open}, ${canceled}, ${exported}`);
    }
    if (last && entry && last[0] > entry.updatedMs) {
      fail(`the unit history of SKU ${name} ends at ${timeShown(last[0])}, after the last update of its pre-orders at ${timeShown(entry.updatedMs)}`);
    }
  }
}

/** The deepest a store's data legitimately nests is about 6 levels; far past that is not a store. */
export const MAX_SNAPSHOT_DEPTH = 32;

/**
 * Throws when a value nests deeper than a store's data can, walking it without recursion so the check itself
 * cannot run out of stack (a clone or an export of such a value would, and break every later export).
 */
export function checkNesting(value: unknown, where = 'stores'): void {
  const path = tooDeep(value, where, MAX_SNAPSHOT_DEPTH);
  if (path) throw new Error(tooDeepProblem(path));
}

/** What an import says of a value nested too deep at `path`. */
export const tooDeepProblem = (path: string): string => `${path} nests deeper than ${MAX_SNAPSHOT_DEPTH} levels, which no store's data does`;

/** The path of the first place `value` nests deeper than `limit`, if any; found without recursion. */
export function tooDeep(value: unknown, where: string, limit: number): string | undefined {
  interface Step { value: unknown; depth: number; key: string; parent?: Step }
  const stack: Step[] = [{ value, depth: 0, key: where }];
  while (stack.length > 0) {
    const step = stack.pop()!;
    if (step.value === null || typeof step.value !== 'object') continue;
    if (step.depth > limit) {
      // Paths are spelled out only for the one found: a snapshot body has millions of values.
      const keys: string[] = [];
      for (let at: Step | undefined = step; at; at = at.parent) keys.unshift(at.key);
      return keys.join('.');
    }
    for (const key in step.value) {
      if (Object.hasOwn(step.value, key)) stack.push({ value: (step.value as Record<string, unknown>)[key], depth: step.depth + 1, key, parent: step });
    }
  }
  return undefined;
}
