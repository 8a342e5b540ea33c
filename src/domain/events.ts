import type { StoreState } from './store.ts';
import type { FulfillmentOrder, InventoryLevel, PreOrder, Variant, Waitlist, WaitlistState } from './types.ts';

/**
 * What just changed in a store, one event per change, in the order the changes happened. Events name the
 * entities they concern; a subscriber reads the entity's current state from the store if it needs more.
 */
export type DomainEvent =
  | { type: 'waitlist.created'; at: string; waitlist_id: string; product_id: string }
  | { type: 'waitlist.changed'; at: string; waitlist_id: string; product_id: string }
  | { type: 'waitlist.state_changed'; at: string; waitlist_id: string; product_id: string; from: WaitlistState; to: WaitlistState }
  | { type: 'pre_order.placed'; at: string; pre_order_id: string }
  | { type: 'pre_order.changed'; at: string; pre_order_id: string }
  | { type: 'pre_order.cancelled'; at: string; pre_order_id: string; line_item_ids: string[]; reason: string; whole_order: boolean }
  | { type: 'line_items.exported'; at: string; pre_order_id: string; line_item_ids: string[]; fulfillment_order_id: string; external_order_id: string }
  | { type: 'inventory.updated'; at: string; sku: string; available_units: number }
  | { type: 'variant.stock_changed'; at: string; variant_id: string; sku: string; available_in_stock: number }
  | { type: 'fulfillment_order.created'; at: string; fulfillment_order_id: string; pre_order_id: string }
  /** A partial fulfilment: units shipped, some still to ship. */
  | { type: 'fulfillment_order.changed'; at: string; fulfillment_order_id: string; pre_order_id: string; fulfillment_id: string | null }
  /** Nothing left to ship; `fulfillment_id` is null when a refund of the rest settled it. */
  | { type: 'fulfillment_order.fulfilled'; at: string; fulfillment_order_id: string; pre_order_id: string; fulfillment_id: string | null }
  | { type: 'fulfillment_order.voided'; at: string; fulfillment_order_id: string; pre_order_id: string }
  | { type: 'refund.created'; at: string; refund_id: string; order: string; pre_order_id: string; amount_cents: number; currency: string };

export type DomainEventType = DomainEvent['type'];

type Without<E, K extends keyof E> = E extends unknown ? Omit<E, K> : never;
/** An event as a change describes it; the touch function adds the time. */
export type EventBody<T extends DomainEventType> = Without<Extract<DomainEvent, { type: T }>, 'at'>;

function record(state: StoreState, event: DomainEvent): void {
  state.outbox.push(event);
  state.version += 1;
}

/**
 * The one way a waitlist changes: stamps `updated_at` (never back in time: a scheduled transition takes
 * effect at its own moment, which may be before the moment it is noticed) and records the event.
 */
export function touchWaitlist(state: StoreState, waitlist: Waitlist, at: Date | string, event: Without<Extract<DomainEvent, { type: `waitlist.${string}` }>, 'at' | 'waitlist_id' | 'product_id'>): void {
  const iso = typeof at === 'string' ? at : at.toISOString();
  if (Date.parse(iso) >= Date.parse(waitlist.updated_at)) waitlist.updated_at = iso;
  record(state, { ...event, at: iso, waitlist_id: waitlist.id, product_id: waitlist.product_id } as DomainEvent);
}

/** The one way a pre-order changes: moves its update time and its place in the update-time view, and records the event. */
export function touchPreOrder(state: StoreState, order: PreOrder, now: Date, event: Without<Extract<DomainEvent, { type: `pre_order.${string}` | 'line_items.exported' }>, 'at' | 'pre_order_id'>, iso = now.toISOString()): void {
  movePreOrder(state, order, iso, now.getTime());
  record(state, { ...event, at: order.updated_at, pre_order_id: order.id } as DomainEvent);
}

function movePreOrder(state: StoreState, order: PreOrder, iso: string, atMs: number): void {
  state.data.counters.updates += 1;
  order.update_seq = state.data.counters.updates;
  order.updated_at = iso;
  state.index.updateLog.push({ seq: order.update_seq, at: atMs, order });
}

/**
 * An export's change of its pre-order: `touchPreOrder` with `line_items.exported`, its event written out
 * field by field in the order the spread gives them, since an export of 10,000 lines records 10,000.
 */
export function touchExportedPreOrder(
  state: StoreState, order: PreOrder, iso: string, atMs: number, lineItemIds: string[], fulfillmentOrderId: string, externalOrderId: string,
): void {
  movePreOrder(state, order, iso, atMs);
  record(state, {
    type: 'line_items.exported', line_item_ids: lineItemIds, fulfillment_order_id: fulfillmentOrderId, external_order_id: externalOrderId,
    at: iso, pre_order_id: order.id,
  });
}

/** The one way a fulfillment order changes. */
export function touchFulfillmentOrder(state: StoreState, fo: FulfillmentOrder, now: Date, event: Without<Extract<DomainEvent, { type: `fulfillment_order.${string}` }>, 'at' | 'fulfillment_order_id' | 'pre_order_id'>, iso = now.toISOString()): void {
  fo.updated_at = iso;
  record(state, { ...event, at: fo.updated_at, fulfillment_order_id: fo.id, pre_order_id: fo.pre_order_id } as DomainEvent);
}

/** A new fulfillment order of an export: `touchFulfillmentOrder` with `fulfillment_order.created`, written out as above. */
export function touchCreatedFulfillmentOrder(state: StoreState, fo: FulfillmentOrder, iso: string): void {
  fo.updated_at = iso;
  record(state, { type: 'fulfillment_order.created', at: iso, fulfillment_order_id: fo.id, pre_order_id: fo.pre_order_id });
}

/** The one way a SKU's posted inventory changes. */
export function touchInventory(state: StoreState, level: InventoryLevel, now: Date): void {
  level.updated_at = now.toISOString();
  record(state, { type: 'inventory.updated', at: level.updated_at, sku: level.sku, available_units: level.available_units });
}

/** The one way a variant's own stock changes (variants carry no update time). */
export function touchVariantStock(state: StoreState, variant: Variant, now: Date): void {
  record(state, { type: 'variant.stock_changed', at: now.toISOString(), variant_id: variant.id, sku: variant.sku, available_in_stock: variant.own_stock });
}

/** Refunds are records, never changed: creating one is the event. */
export function recordRefund(state: StoreState, event: EventBody<'refund.created'>, now: Date): void {
  record(state, { ...event, at: now.toISOString() });
}
