import { uuidFor } from '../domain/ids.ts';
import type { StoreState } from '../domain/store.ts';
import { presentFulfillmentOrder, presentPreOrder, presentWaitlist } from './present/private.ts';
import { presentAvailability, presentPublicWaitlist } from './present/public.ts';

/** The latest time a store's state records; a clock behind it would break time-ordered indexes. */
export function latestTime(store: StoreState): number {
  const times = [
    ...store.data.waitlists.map((w) => w.updated_at),
    ...store.data.pre_orders.map((o) => o.updated_at),
    ...store.data.fulfillment_orders.map((fo) => fo.updated_at),
  ];
  return times.reduce((max, t) => Math.max(max, Date.parse(t)), 0);
}

/** Throws with the first way a store's data contradicts itself; the indexes and ordering rely on none of these. */
export function checkIntegrity(store: StoreState): void {
  const { data, index } = store;
  const fail = (why: string): never => {
    throw new Error(why);
  };
  for (const variant of data.variants) if (!index.productsById.has(variant.product_id)) fail(`variant ${variant.id} names unknown product ${variant.product_id}`);
  for (const product of data.products) {
    for (const id of product.variant_ids) if (!index.variantsById.has(id)) fail(`product ${product.id} names unknown variant ${id}`);
  }
  for (const waitlist of data.waitlists) {
    if (!index.productsById.has(waitlist.product_id)) fail(`waitlist ${waitlist.id} names unknown product ${waitlist.product_id}`);
    for (const a of waitlist.allocations) if (!index.variantsById.has(a.variant_id)) fail(`waitlist ${waitlist.id} names unknown variant ${a.variant_id}`);
  }
  // Creation order is list order, `seq` is the position, and times never run back.
  let previous = '';
  data.pre_orders.forEach((order, position) => {
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
  });
  previous = '';
  for (const fo of data.fulfillment_orders) {
    if (!index.preOrdersById.has(fo.pre_order_id)) fail(`fulfillment order ${fo.id} names unknown pre-order ${fo.pre_order_id}`);
    for (const entry of fo.lines) if (!index.lineItems.has(entry.line_item_id)) fail(`fulfillment order ${fo.id} names unknown line ${entry.line_item_id}`);
    if (fo.created_at < previous) fail(`fulfillment order ${fo.id} was created before the one listed before it`);
    previous = fo.created_at;
  }
  // Update order: seqs unique, below the counter, and in step with update times.
  const byUpdate = [...data.pre_orders].sort((a, b) => a.update_seq - b.update_seq);
  byUpdate.forEach((order, i) => {
    const before = byUpdate[i - 1];
    if (before && (before.update_seq === order.update_seq || Date.parse(before.updated_at) > Date.parse(order.updated_at))) {
      fail(`pre-orders ${before.id} and ${order.id} disagree on update order`);
    }
  });
  const c = data.counters;
  if ((byUpdate[byUpdate.length - 1]?.update_seq ?? 0) > c.updates) fail('counters.updates is below an update_seq in use');
  if (c.references < data.pre_orders.length) fail('counters.references is below the number of pre-orders');
  const exports = data.pre_orders.reduce((n, o) => n + o.exported_orders.length, 0);
  if (c.external_orders < exports) fail('counters.external_orders is below the number of exported orders');
  const ids = new Set<string>([
    ...data.waitlists.map((w) => w.id),
    ...data.pre_orders.flatMap((o) => [o.id, ...o.line_items.map((l) => l.id)]),
    ...data.fulfillment_orders.flatMap((fo) => [fo.id, ...fo.fulfillments.map((f) => f.id)]),
  ]);
  if (c.ids < ids.size || ids.has(uuidFor(data.seed, c.ids + 1))) fail('counters.ids would hand out an ID already in use');
  // Finally every entity must present: whatever slipped past the checks above fails here, at import.
  for (const product of data.products) presentAvailability(store, product);
  for (const waitlist of data.waitlists) if (waitlist.state !== 'DRAFT') presentPublicWaitlist(store, waitlist);
  for (const waitlist of data.waitlists) presentWaitlist(store, waitlist);
  for (const order of data.pre_orders) presentPreOrder(order);
  for (const fo of data.fulfillment_orders) presentFulfillmentOrder(store, fo);
}

/** The deepest a store's data legitimately nests is about 6 levels; far past that is not a store. */
const MAX_SNAPSHOT_DEPTH = 32;

/**
 * Throws when a value nests deeper than a store's data can, walking it without recursion so the check itself
 * cannot run out of stack (a clone or an export of such a value would, and break every later export).
 */
export function checkNesting(value: unknown, where = 'stores'): void {
  const path = tooDeep(value, where, MAX_SNAPSHOT_DEPTH);
  if (path) throw new Error(`${path} nests deeper than ${MAX_SNAPSHOT_DEPTH} levels, which no store's data does`);
}

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
