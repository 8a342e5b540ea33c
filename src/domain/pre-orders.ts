import { getVariant } from './catalogue.ts';
import { conflict, invalid, notFound } from './errors.ts';
import { touchPreOrder, touchWaitlist } from './events.ts';
import { indexPreOrder, nextId, recordUnits, type StoreState } from './store.ts';
import type { Address, LineItem, PreOrder, Waitlist } from './types.ts';
import { allocationFor, holdingWaitlist, isPerProduct, variantUnitsLeft } from './waitlists.ts';

export interface PlacementInput {
  email: string;
  lines: { variant_id: string; quantity: number }[];
  currency?: string;
  shipping_cents?: number;
  first_name?: string | null;
  last_name?: string | null;
  external_customer_id?: string | null;
  shipping_address?: Address;
  discount_codes?: string[];
}

const DEFAULT_ADDRESS: Address = {
  first_name: 'Sam',
  last_name: 'Shopper',
  address1: '1 Main Street',
  address2: null,
  city: 'Portland',
  postal_code: '97201',
  province_code: 'OR',
  country: 'United States',
  country_code: 'US',
  phone: null,
};

export function getPreOrder(state: StoreState, id: string, field = 'id'): PreOrder {
  const order = state.index.preOrdersById.get(id);
  if (!order) throw notFound('UNKNOWN_PRE_ORDER', field, `no pre-order with ID ${id}`);
  return order;
}

/**
 * Places a pre-order as Purple Dot's checkout would: every line must be covered by a LIVE waitlist with
 * enough units left; the whole order is refused otherwise, and nothing changes. On a per-product waitlist
 * the lines of all the product's variants draw on the same shared units.
 */
export function placePreOrder(state: StoreState, now: Date, input: PlacementInput): PreOrder {
  const wanted = new Map<string, number>();
  const plan = input.lines.map((line, i) => {
    const field = `lines[${i}].variant_id`;
    const variant = getVariant(state, line.variant_id, field);
    const waitlist = holdingWaitlist(state, variant.product_id);
    const allocation = waitlist ? allocationFor(waitlist, variant.id) : undefined;
    if (!waitlist || !allocation || waitlist.state !== 'LIVE') {
      const why = waitlist && allocation ? `its waitlist ${waitlist.id} is ${waitlist.state}` : 'no waitlist holds units of it';
      throw conflict('WAITLIST_NOT_LIVE', field, `variant ${variant.id} cannot be pre-ordered: ${why}`);
    }
    const shared = isPerProduct(waitlist);
    // What this order already takes of the same units: the variant's own, or the product's shared ones.
    const pool = shared ? `waitlist:${waitlist.id}` : `variant:${variant.id}`;
    const total = (wanted.get(pool) ?? 0) + line.quantity;
    wanted.set(pool, total);
    const left = variantUnitsLeft(waitlist, variant.id);
    if (total > left) {
      const of = shared ? `product ${variant.product_id} (shared by its variants)` : `variant ${variant.id}`;
      throw conflict('INSUFFICIENT_WAITLIST_UNITS', `lines[${i}].quantity`, `only ${left} units of ${of} are left on waitlist ${waitlist.id}`);
    }
    return { variant, waitlist, allocation, quantity: line.quantity };
  });
  const currency = input.currency ?? state.data.settings.currency;
  if (!/^[A-Z]{3}$/.test(currency)) throw invalid('INVALID_REQUEST', 'currency', 'must be an ISO 4217 code');

  const at = now.toISOString();
  state.data.counters.references += 1;
  const digits = String(state.data.counters.references + referenceBase(state.data.seed)).padStart(7, '0');
  const address = input.shipping_address ?? DEFAULT_ADDRESS;
  const order: PreOrder = {
    id: nextId(state),
    seq: state.data.pre_orders.length,
    reference: `#PD${digits}`,
    order_number: `PD${digits}`,
    email: input.email,
    first_name: input.first_name ?? address.first_name,
    last_name: input.last_name ?? address.last_name,
    external_customer_id: input.external_customer_id ?? null,
    shipping_address: address,
    currency,
    discount_codes: input.discount_codes ?? [],
    shipping_cents: input.shipping_cents ?? state.data.settings.shipping_cents,
    created_at: at,
    updated_at: at,
    update_seq: 0,
    cancelled_at: null,
    cancel_reason: null,
    line_items: plan.map(({ variant, waitlist, quantity }): LineItem => {
      const gross = variant.price_cents * quantity;
      const tax = variant.taxable ? Math.round(gross * variant.tax_rate) : 0;
      return {
        id: nextId(state),
        variant_id: variant.id,
        product_id: variant.product_id,
        sku: variant.sku,
        name: variant.title,
        quantity,
        price_cents: variant.price_cents,
        discount_cents: 0,
        tax_cents: tax,
        tax_rate: variant.tax_rate,
        tax_title: variant.tax_title,
        taxable: variant.taxable,
        waitlist_id: waitlist.id,
        earliest_ship_date: waitlist.earliest_ship_date,
        latest_ship_date: waitlist.latest_ship_date,
        estimated_ship_dates: waitlist.display_dispatch_date,
        status: 'open',
        cancelled_at: null,
        exported_at: null,
        external_order_id: null,
        external_line_item_id: null,
        refunded_quantity: 0,
      };
    }),
    exported_orders: [],
    refunded_cents: 0,
    shipping_refunded: false,
  };
  for (const { allocation, quantity, variant } of plan) {
    allocation.committed += quantity;
    recordUnits(state, variant.sku, now, quantity, 0, 0);
  }
  state.data.pre_orders.push(order);
  indexPreOrder(state.index, order);
  touchPreOrder(state, order, now, { type: 'pre_order.placed' });
  for (const waitlist of new Set(plan.map((p) => p.waitlist))) touchWaitlist(state, waitlist, now, { type: 'waitlist.changed' });
  return order;
}

/** References start at a seed-dependent 7-digit base so different seeds do not share references. */
const referenceBase = (seed: number): number => 1_000_000 + ((seed * 7919) % 4_000_000);

export interface CancellationInput {
  reason: string;
  line_item_ids?: string[];
}

/**
 * Cancels open lines: units go back to their waitlist and from open to cancelled in the SKU's counts.
 * Exported lines cannot be cancelled (documented: a unit becomes cancelled or exported, never both).
 */
export function cancelPreOrder(state: StoreState, now: Date, orderId: string, input: CancellationInput): PreOrder {
  const order = getPreOrder(state, orderId);
  let targets: LineItem[];
  if (input.line_item_ids) {
    targets = input.line_item_ids.map((id, i) => {
      const field = `line_item_ids[${i}]`;
      const line = order.line_items.find((l) => l.id === id);
      if (!line) throw notFound('UNKNOWN_LINE_ITEMS', field, `pre-order ${order.id} has no line item ${id}`);
      if (line.status === 'exported') throw conflict('LINE_ITEM_ALREADY_EXPORTED', field, `line item ${id} is exported and cannot be cancelled`);
      if (line.status === 'cancelled') throw conflict('LINE_ITEM_ALREADY_CANCELLED', field, `line item ${id} is already cancelled`);
      return line;
    });
  } else {
    targets = order.line_items.filter((l) => l.status === 'open');
    if (targets.length === 0) {
      if (order.line_items.some((l) => l.status === 'exported')) {
        throw conflict('LINE_ITEM_ALREADY_EXPORTED', 'id', `pre-order ${order.id} has no open lines left: the rest are exported`);
      }
      throw conflict('PRE_ORDER_ALREADY_CANCELLED', 'id', `pre-order ${order.id} is already cancelled`);
    }
  }
  cancelLines(state, now, order, [...new Set(targets)], input.reason);
  return order;
}

/** Cancels the given open lines of one order; also used when a waitlist closes. */
export function cancelLines(state: StoreState, now: Date, order: PreOrder, lines: LineItem[], reason: string): void {
  const at = now.toISOString();
  const touched = new Set<Waitlist>();
  for (const line of lines) {
    line.status = 'cancelled';
    line.cancelled_at = at;
    const waitlist = state.index.waitlistsById.get(line.waitlist_id);
    const allocation = waitlist ? allocationFor(waitlist, line.variant_id) : undefined;
    if (waitlist && allocation) {
      allocation.committed -= line.quantity;
      touched.add(waitlist);
    }
    recordUnits(state, line.sku, now, -line.quantity, line.quantity, 0);
  }
  const whole = order.line_items.every((l) => l.status === 'cancelled');
  if (whole) {
    order.cancelled_at = at;
    order.cancel_reason = reason;
  }
  touchPreOrder(state, order, now, { type: 'pre_order.cancelled', line_item_ids: lines.map((l) => l.id), reason, whole_order: whole });
  for (const waitlist of touched) touchWaitlist(state, waitlist, now, { type: 'waitlist.changed' });
}
