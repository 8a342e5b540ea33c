import type { components } from '../../../generated/purple-dot.ts';
import { formatCents, lineTotalCents, unitShare } from '../../domain/money.ts';
import { fulfillmentReference, type StoreState } from '../../domain/store.ts';
import type { Fulfillment, FulfillmentOrder, LineItem, PreOrder, Waitlist } from '../../domain/types.ts';
import { committedUnits, isPerProduct, productUnitsLeft, unitsLeft } from '../../domain/waitlists.ts';

type Schemas = components['schemas'];

export function presentWaitlist(state: StoreState, waitlist: Waitlist): Schemas['PrivateWaitlist'] {
  const variants = waitlist.allocations.map((a): Schemas['WaitlistVariantAvailability'] => ({
    variant_id: a.variant_id,
    sku: state.index.variantsById.get(a.variant_id)?.sku ?? '',
    buy_size: a.buy_size,
    committed: a.committed,
    // Null on a per-product waitlist (third-party observation): a variant has no units of its own there.
    available: unitsLeft(a),
  }));
  // A per-product waitlist's figures are the product's own; a per-variant one's add up its variants (inferred).
  const buySize = isPerProduct(waitlist) ? waitlist.product_buy_size : variants.reduce((total, v) => total + (v.buy_size ?? 0), 0);
  return {
    id: waitlist.id,
    created_at: waitlist.created_at,
    updated_at: waitlist.updated_at,
    earliest_ship_date: waitlist.earliest_ship_date,
    latest_ship_date: waitlist.latest_ship_date,
    state: waitlist.state,
    launch_date: waitlist.launch_date,
    scheduled_pause_date: waitlist.scheduled_pause_date,
    labels: [...waitlist.labels],
    availability: {
      product: {
        product_id: waitlist.product_id,
        buy_size: buySize,
        committed: committedUnits(waitlist),
        available: productUnitsLeft(waitlist),
      },
      variants,
    },
  };
}

const taxLines = (line: LineItem): Schemas['TaxLine'][] =>
  line.taxable && line.tax_cents > 0 ? [{ price: formatCents(line.tax_cents), rate: line.tax_rate, title: line.tax_title }] : [];

/** The line fields pre-orders and fulfillment orders share (documented on both). */
function presentLineMoney(line: LineItem): Schemas['FulfillmentOrderLineItem'] {
  return {
    id: line.id,
    name: line.name,
    sku: line.sku,
    product_id: line.product_id,
    variant_id: line.variant_id,
    quantity: line.quantity,
    price: formatCents(line.price_cents),
    total: formatCents(lineTotalCents(line)),
    total_discount: formatCents(line.discount_cents),
    taxable: line.taxable,
    tax_lines: taxLines(line),
  };
}

/**
 * A pre-order's line: the shared money fields, then its own, written out rather than spread from
 * `presentLineMoney` (spreading a fresh object into a literal with more keys took V8 about 25 µs a line: it
 * was a fifth of a page of 200). The key order is the wire order, so it must stay as it is.
 */
function presentPreOrderLine(line: LineItem): Schemas['PreOrderLineItem'] {
  return {
    id: line.id,
    name: line.name,
    sku: line.sku,
    product_id: line.product_id,
    variant_id: line.variant_id,
    quantity: line.quantity,
    price: formatCents(line.price_cents),
    total: formatCents(lineTotalCents(line)),
    total_discount: formatCents(line.discount_cents),
    taxable: line.taxable,
    tax_lines: taxLines(line),
    waitlist_id: line.waitlist_id,
    earliest_ship_date: line.earliest_ship_date,
    latest_ship_date: line.latest_ship_date,
    cancelled: line.status === 'cancelled',
    cancelled_at: line.cancelled_at,
    shopify_line_item_id: line.external_line_item_id,
  };
}

function orderTotals(lines: LineItem[]) {
  const subtotal = lines.reduce((sum, l) => sum + l.price_cents * l.quantity, 0);
  const discounts = lines.reduce((sum, l) => sum + l.discount_cents, 0);
  const tax = lines.reduce((sum, l) => sum + l.tax_cents, 0);
  return { subtotal, discounts, tax, total: lines.reduce((sum, l) => sum + lineTotalCents(l), 0) };
}

export function presentPreOrder(order: PreOrder): Schemas['PreOrder'] {
  const totals = orderTotals(order.line_items);
  return {
    id: order.id,
    reference: order.reference,
    order_number: order.order_number,
    currency: order.currency,
    created_at: order.created_at,
    placed_at: order.created_at,
    cancelled_at: order.cancelled_at,
    cancel_reason: order.cancel_reason,
    customer: { email: order.email, external_id: order.external_customer_id, first_name: order.first_name, last_name: order.last_name },
    shipping_address: { ...order.shipping_address },
    tax_included: false,
    subtotal_price: formatCents(totals.subtotal),
    total_discounts: formatCents(totals.discounts),
    total_tax: formatCents(totals.tax),
    shipping_price: formatCents(order.shipping_cents),
    total_price: formatCents(totals.total + order.shipping_cents),
    total_refunded: formatCents(order.refunded_cents),
    discount_codes: [...order.discount_codes],
    line_items: order.line_items.map(presentPreOrderLine),
    exported_orders: order.exported_orders.map((exported) => ({
      id: exported.id,
      order_number: exported.order_number,
      type: 'SHOPIFY_ORDER' as const,
      created_at: exported.created_at,
      line_items: exported.line_item_ids.map((id) => ({ id })),
    })),
  };
}

export function presentFulfillment(fo: FulfillmentOrder, fulfillment: Fulfillment): Schemas['Fulfillment'] {
  return {
    id: fulfillment.id,
    fulfillment_order_id: fo.id,
    created_at: fulfillment.created_at,
    notify_customer: fulfillment.notify_customer,
    tracking_info: fulfillment.tracking_info ? { ...fulfillment.tracking_info } : null,
    line_items: fulfillment.lines.map((l) => ({ id: l.line_item_id, quantity: l.quantity })),
  };
}

/** A line as `units` of its units: the unit price as is, discount and tax in proportion (shares add up to the line's). */
const partOf = (line: LineItem, units: number): LineItem => (units === line.quantity ? line : {
  ...line,
  quantity: units,
  discount_cents: unitShare(line.discount_cents, line.quantity, 0, units),
  tax_cents: unitShare(line.tax_cents, line.quantity, 0, units),
});

/**
 * The lines a fulfillment order covers, as a warehouse works from them: units already shipped, plus units
 * neither shipped nor refunded. A refund before shipping takes its units off (and a line left with none
 * drops out); one after shipping changes nothing that shipped. An order voided because every unit was
 * refunded still shows what it held. (Inferred: the docs do not say; a fulfillment order is what is left to
 * ship, and shipping a refunded unit is the mistake a connector must not be led into.)
 */
function coveredLines(state: StoreState, fo: FulfillmentOrder): LineItem[] {
  const lines = fo.lines.map((entry) => {
    const line = state.index.lineItems.get(entry.line_item_id)!.line;
    return { line, units: Math.max(entry.fulfilled_quantity, line.quantity - line.refunded_quantity) };
  });
  if (lines.every(({ units }) => units === 0)) return lines.map(({ line }) => line);
  return lines.filter(({ units }) => units > 0).map(({ line, units }) => partOf(line, units));
}

export function presentFulfillmentOrder(state: StoreState, fo: FulfillmentOrder): Schemas['FulfillmentOrder'] {
  const order = state.index.preOrdersById.get(fo.pre_order_id)!;
  const lines = coveredLines(state, fo);
  const totals = orderTotals(lines);
  return {
    id: fo.id,
    status: fo.status,
    created_at: fo.created_at,
    purchased_at: order.created_at,
    reference: fulfillmentReference(order, fo.index),
    currency: order.currency,
    customer: {
      email: order.email,
      external_id: order.external_customer_id,
      first_name: order.first_name,
      last_name: order.last_name,
      tags: [],
      default_address: { ...order.shipping_address },
    },
    shipping_address: { ...order.shipping_address },
    tax_included: false,
    total_tax: formatCents(totals.tax),
    total_discounts: formatCents(totals.discounts),
    subtotal_price: formatCents(totals.subtotal),
    total_price: formatCents(totals.total),
    line_items: lines.map(presentLineMoney),
    fulfillments: fo.fulfillments.map((f) => presentFulfillment(fo, f)),
  };
}
