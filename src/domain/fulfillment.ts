import { DomainError, conflict, notFound } from './errors.ts';
import { touchFulfillmentOrder } from './events.ts';
import { nextId, type StoreState } from './store.ts';
import type { Fulfillment, FulfillmentOrder, LineItem, TrackingInfo } from './types.ts';

export interface FulfillmentInput {
  fulfillment_order_id: string;
  line_items?: { id: string; quantity: number }[] | null;
  notify_customer?: boolean;
  tracking_info?: TrackingInfo | null;
}

export function getFulfillmentOrder(state: StoreState, id: string, field = 'id'): FulfillmentOrder {
  const fo = state.index.fulfillmentOrdersById.get(id);
  if (!fo) throw notFound('UNKNOWN_FULFILLMENT_ORDER', field, `no fulfillment order with ID ${id}`);
  return fo;
}

function lineOf(state: StoreState, lineItemId: string): LineItem {
  const ref = state.index.lineItems.get(lineItemId);
  // Fulfillment orders are built from existing lines, so a missing one is a simulator bug, not a client error.
  if (!ref) throw new Error(`fulfillment order names missing line item ${lineItemId}`);
  return ref.line;
}

/** Units of a fulfillment order line still to fulfil: refunded units are never shipped. */
export const unfulfilled = (state: StoreState, entry: FulfillmentOrder['lines'][number]): number => {
  const line = lineOf(state, entry.line_item_id);
  return Math.max(0, line.quantity - line.refunded_quantity - entry.fulfilled_quantity);
};

/**
 * Records a fulfilment, partial by line quantity or, without lines, of everything left. All checks run
 * before anything changes, so a refused request leaves the order as it was.
 */
export function fulfil(state: StoreState, now: Date, input: FulfillmentInput): { fulfillment: Fulfillment; order: FulfillmentOrder } {
  const fo = getFulfillmentOrder(state, input.fulfillment_order_id, 'fulfillment.fulfillment_order_id');
  if (fo.status === 'FULFILLED') throw conflict('FULFILLMENT_ORDER_ALREADY_FULFILLED', 'fulfillment.fulfillment_order_id', `fulfillment order ${fo.id} is already FULFILLED`);
  if (fo.status === 'VOIDED') throw conflict('FULFILLMENT_ORDER_VOIDED', 'fulfillment.fulfillment_order_id', `fulfillment order ${fo.id} is VOIDED`);

  const requested = new Map<string, number>();
  if (input.line_items && input.line_items.length > 0) {
    input.line_items.forEach((item, i) => {
      const entry = fo.lines.find((l) => l.line_item_id === item.id);
      if (!entry) throw notFound('UNKNOWN_LINE_ITEMS', `fulfillment.line_items[${i}].id`, `fulfillment order ${fo.id} has no line item ${item.id}`);
      const total = (requested.get(item.id) ?? 0) + item.quantity;
      const left = unfulfilled(state, entry);
      if (total > left) {
        throw new DomainError('invalid', 'QUANTITY_EXCEEDS_UNFULFILLED', `fulfillment.line_items[${i}].quantity: only ${left} units of line item ${item.id} are left to fulfil`, [
          { field: `fulfillment.line_items[${i}].quantity`, problem: `exceeds the ${left} units left to fulfil` },
        ]);
      }
      requested.set(item.id, total);
    });
  } else {
    for (const entry of fo.lines) {
      const left = unfulfilled(state, entry);
      if (left > 0) requested.set(entry.line_item_id, left);
    }
  }

  const fulfillment: Fulfillment = {
    id: nextId(state),
    created_at: now.toISOString(),
    notify_customer: input.notify_customer ?? false,
    tracking_info: input.tracking_info ?? null,
    lines: [...requested].map(([line_item_id, quantity]) => ({ line_item_id, quantity })),
  };
  for (const entry of fo.lines) entry.fulfilled_quantity += requested.get(entry.line_item_id) ?? 0;
  fo.fulfillments.push(fulfillment);
  if (!settleStatus(state, now, fo, fulfillment.id)) touchFulfillmentOrder(state, fo, now, { type: 'fulfillment_order.changed', fulfillment_id: fulfillment.id });
  return { fulfillment, order: fo };
}

/**
 * Derives an UNFULFILLED order's status from its lines: nothing left to ship makes it FULFILLED when
 * anything shipped, VOIDED when every unit was refunded first (documented: VOIDED means cancelled).
 */
export function settleStatus(state: StoreState, now: Date, fo: FulfillmentOrder, fulfillmentId: string | null = null): boolean {
  if (fo.status !== 'UNFULFILLED') return false;
  if (fo.lines.some((entry) => unfulfilled(state, entry) > 0)) return false;
  fo.status = fo.lines.some((entry) => entry.fulfilled_quantity > 0) ? 'FULFILLED' : 'VOIDED';
  touchFulfillmentOrder(state, fo, now, fo.status === 'FULFILLED' ? { type: 'fulfillment_order.fulfilled', fulfillment_id: fulfillmentId } : { type: 'fulfillment_order.voided' });
  return true;
}

/** Voids an untouched fulfillment order, as a cancellation on the platform would. */
export function voidFulfillmentOrder(state: StoreState, now: Date, id: string): FulfillmentOrder {
  const fo = getFulfillmentOrder(state, id);
  if (fo.status !== 'UNFULFILLED' || fo.lines.some((l) => l.fulfilled_quantity > 0)) {
    throw conflict('FULFILLMENT_ORDER_NOT_VOIDABLE', 'id', `fulfillment order ${fo.id} is ${fo.status} or partly fulfilled`);
  }
  fo.status = 'VOIDED';
  touchFulfillmentOrder(state, fo, now, { type: 'fulfillment_order.voided' });
  return fo;
}
