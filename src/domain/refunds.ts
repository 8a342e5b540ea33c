import { DomainError, conflict, invalid, notFound } from './errors.ts';
import { settleStatus } from './fulfillment.ts';
import { formatCents, lineTotalCents, parseCents, unitShare } from './money.ts';
import { recordRefund, touchFulfillmentOrder, touchPreOrder } from './events.ts';
import { refundKey, type StoreState } from './store.ts';
import type { ExportedOrder, LineItem, PreOrder } from './types.ts';

export interface RefundInput {
  id: string;
  order: string;
  line_items?: { id: string; quantity: number }[];
  shipping?: boolean;
  amount?: string;
  currency?: string;
}

export interface RefundResult {
  id: string;
  order: string;
  refunded: { amount: string; currency: string };
}

/** Key order is fixed so that the same payload always compares equal, whatever order the client sent. */
function canonical(input: RefundInput): string {
  return JSON.stringify({
    line_items: input.line_items?.map((l) => [l.id, l.quantity]) ?? null,
    shipping: input.shipping ?? null,
    amount: input.amount ?? null,
    currency: input.currency ?? null,
  });
}

/** The first export carries the pre-order's shipping, so only it can refund shipping (inferred). */
const carriesShipping = (exported: ExportedOrder): boolean => exported.index === 1;

/** Total value of an export: its lines, plus the shipping it carries. */
function exportValue(order: PreOrder, exported: ExportedOrder, lines: LineItem[]): number {
  const linesTotal = lines.reduce((sum, l) => sum + lineTotalCents(l), 0);
  return linesTotal + (carriesShipping(exported) ? order.shipping_cents : 0);
}

/**
 * Refunds an exported order by line units and/or shipping, or by an appeasement amount. Idempotent by
 * (`order`, `id`): a replay returns the first result, a different payload under the same key is a conflict.
 */
export function refund(state: StoreState, now: Date, input: RefundInput): RefundResult {
  const payload = canonical(input);
  const previous = state.index.refundsByKey.get(refundKey(input.order, input.id));
  if (previous) {
    if (previous.payload !== payload) {
      throw conflict('IDEMPOTENCY_KEY_REUSED', 'id', `refund ${input.id} for order ${input.order} was made with a different payload`);
    }
    return { id: previous.id, order: previous.order, refunded: { amount: formatCents(previous.amount_cents), currency: previous.currency } };
  }

  const found = state.index.externalOrders.get(input.order);
  if (!found) throw notFound('UNKNOWN_ORDER', 'order', `no exported order ${input.order} in this store`);
  const { order, exported } = found;
  const lines = exported.line_item_ids.map((id) => state.index.lineItems.get(id)!.line);

  const lineMode = input.line_items !== undefined || input.shipping !== undefined;
  const appeasement = input.amount !== undefined || input.currency !== undefined;
  if (lineMode && appeasement) {
    throw invalid('INVALID_REFUND_REQUEST', 'amount', 'an appeasement (amount, currency) cannot be combined with line_items or shipping');
  }
  let amount = 0;
  const unitsByLine = new Map<LineItem, number>();
  let refundShipping = false;
  if (appeasement) {
    if (input.amount === undefined) throw invalid('INVALID_REFUND_REQUEST', 'amount', 'is required for an appeasement refund');
    if (input.currency === undefined) throw invalid('INVALID_REFUND_REQUEST', 'currency', 'is required for an appeasement refund');
    const cents = parseCents(input.amount);
    if (cents === null || cents <= 0) throw invalid('INVALID_REFUND_REQUEST', 'amount', 'must be a positive decimal amount');
    if (input.currency !== order.currency) {
      throw invalid('CURRENCY_MISMATCH', 'currency', `must be the order's presentment currency ${order.currency}`);
    }
    const left = exportValue(order, exported, lines) - exported.refunded_cents;
    if (cents > left) throw invalid('INVALID_REFUND_REQUEST', 'amount', `exceeds the ${formatCents(left)} left to refund on order ${exported.id}`);
    amount = cents;
  } else {
    const entries = input.line_items ?? [];
    if (entries.length === 0 && input.shipping !== true) {
      throw invalid('INVALID_REFUND_REQUEST', 'line_items', 'a refund needs line_items, shipping: true, or amount and currency');
    }
    const unknown = entries
      .map((entry, i) => ({ entry, i }))
      .filter(({ entry }) => !lines.some((l) => l.external_line_item_id === entry.id));
    if (unknown.length > 0) {
      throw new DomainError('not_found', 'UNKNOWN_LINE_ITEMS', `order ${exported.id} has no line items ${unknown.map((u) => u.entry.id).join(', ')}`,
        unknown.map(({ i }) => ({ field: `line_items[${i}].id`, problem: 'unknown line item on this order' })));
    }
    entries.forEach((entry, i) => {
      if (entry.quantity !== 1) throw invalid('INVALID_LINE_ITEMS', `line_items[${i}].quantity`, 'must be 1');
      const line = lines.find((l) => l.external_line_item_id === entry.id)!;
      const units = (unitsByLine.get(line) ?? 0) + 1;
      if (units > line.quantity - line.refunded_quantity) {
        throw invalid('NOT_ENOUGH_ITEMS_LEFT_TO_REFUND', `line_items[${i}].id`, `only ${line.quantity - line.refunded_quantity} units of line ${entry.id} are left to refund`);
      }
      unitsByLine.set(line, units);
    });
    if (input.shipping === true) {
      if (order.shipping_refunded) throw invalid('SHIPPING_ALREADY_REFUNDED', 'shipping', `the shipping of order ${exported.id} is already refunded`);
      if (!carriesShipping(exported)) {
        throw invalid('INVALID_REFUND_REQUEST', 'shipping', `order ${exported.id} carries no shipping: the first export of the pre-order does`);
      }
      refundShipping = true;
    }
    for (const [line, units] of unitsByLine) {
      amount += unitShare(lineTotalCents(line), line.quantity, line.refunded_quantity, line.refunded_quantity + units);
    }
    if (refundShipping) amount += order.shipping_cents;
    // Appeasements already paid come out of the same total, so items and shipping cannot push past it.
    const left = exportValue(order, exported, lines) - exported.refunded_cents;
    if (amount > left) {
      throw invalid('INVALID_REFUND_REQUEST', 'line_items', `the ${formatCents(amount)} asked exceeds the ${formatCents(left)} left to refund on order ${exported.id}`);
    }
  }

  for (const [line, units] of unitsByLine) line.refunded_quantity += units;
  if (refundShipping) order.shipping_refunded = true;
  exported.refunded_cents += amount;
  order.refunded_cents += amount;
  touchPreOrder(state, order, now, { type: 'pre_order.changed' });
  const fo = state.index.fulfillmentOrdersById.get(exported.fulfillment_order_id);
  // Units refunded before they shipped come off the fulfillment order: it changed, or, with none left, it is void.
  if (fo && !settleStatus(state, now, fo) && unitsByLine.size > 0 && fo.status === 'UNFULFILLED') {
    touchFulfillmentOrder(state, fo, now, { type: 'fulfillment_order.changed', fulfillment_id: null });
  }

  const record = { id: input.id, order: input.order, payload, amount_cents: amount, currency: order.currency, created_at: now.toISOString() };
  state.data.refunds.push(record);
  state.index.refundsByKey.set(refundKey(record.order, record.id), record);
  recordRefund(state, { type: 'refund.created', refund_id: record.id, order: record.order, pre_order_id: order.id, amount_cents: amount, currency: order.currency }, now);
  return { id: record.id, order: record.order, refunded: { amount: formatCents(amount), currency: order.currency } };
}
