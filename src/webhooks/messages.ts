import type { components } from '../../generated/purple-dot.ts';
import type { DomainEvent } from '../domain/events.ts';
import type { StoreState } from '../domain/store.ts';
import type { WebhookEventName } from '../domain/types.ts';
import { presentPreOrder } from '../engine/present/private.ts';
import { presentAvailability } from '../engine/present/public.ts';

/** Which webhook of the Purple Dot contract a body is (its `webhooks` operationIds). */
export type WebhookKind = 'waitlistStockWebhook' | 'preOrderWebhook';

export type WaitlistStockBody = components['schemas']['WaitlistStockWebhook'];
export type PreOrderBody = components['schemas']['PreOrderWebhook'];

/** One webhook a domain event triggers: its name, what orders it, and how to make its body. */
export interface WebhookMessage {
  event: WebhookEventName;
  webhook: WebhookKind;
  /** When the event happened on the store's clock (`X-PD-Timestamp`). */
  at: string;
  /** Deliveries with the same key go out in event order: one pre-order, or one product's stock. */
  key: string;
  /**
   * The exact body, as a string that is signed and sent as it is. Made only when someone will receive it, and
   * then at once, as the store stands when the operation that caused the event ends.
   */
  rawBody(): string;
}

/**
 * Reads a store's domain events as webhook triggers. Stateful per store: a placement or cancellation is
 * announced before the waitlist changes it caused (see pre-orders.ts), so the waitlists it names are
 * remembered until their `waitlist.changed` arrives, which then reads as `waitlist.pre_orders_changed`
 * rather than a change of the waitlist itself.
 */
export function createTriggerReader(): (state: StoreState, event: DomainEvent) => WebhookMessage[] {
  let causedByPreOrder = new Set<string>();

  const stock = (state: StoreState, event: WebhookEventName, at: string, productId: string): WebhookMessage[] => {
    const product = state.index.productsById.get(productId);
    if (!product) return [];
    const body = (): WaitlistStockBody => ({ data: presentAvailability(state, product) });
    return [{ event, webhook: 'waitlistStockWebhook', at, key: `product:${productId}`, rawBody: () => JSON.stringify(body()) }];
  };
  const preOrder = (state: StoreState, event: PreOrderBody['event'], at: string, preOrderId: string): WebhookMessage[] => {
    const order = state.index.preOrdersById.get(preOrderId);
    if (!order) return [];
    const body = (): PreOrderBody => ({ event, data: presentPreOrder(order) });
    return [{ event, webhook: 'preOrderWebhook', at, key: `pre_order:${preOrderId}`, rawBody: () => JSON.stringify(body()) }];
  };
  const waitlistsOf = (state: StoreState, preOrderId: string, lineIds?: readonly string[]): Set<string> => {
    const order = state.index.preOrdersById.get(preOrderId);
    const lines = order?.line_items.filter((l) => !lineIds || lineIds.includes(l.id)) ?? [];
    return new Set(lines.map((l) => l.waitlist_id));
  };

  return (state, event) => {
    const pending = causedByPreOrder;
    if (event.type !== 'waitlist.changed') causedByPreOrder = new Set();
    switch (event.type) {
      case 'waitlist.created':
        return stock(state, 'waitlist.created', event.at, event.product_id);
      case 'waitlist.changed': {
        const byPreOrder = pending.delete(event.waitlist_id);
        return stock(state, byPreOrder ? 'waitlist.pre_orders_changed' : 'waitlist.stock_changed', event.at, event.product_id);
      }
      case 'waitlist.state_changed':
        // Only pausing is a documented trigger; a launch or a close is not (a close's cancellations are).
        return event.to === 'PAUSED' ? stock(state, 'waitlist.paused', event.at, event.product_id) : [];
      case 'pre_order.placed':
        causedByPreOrder = waitlistsOf(state, event.pre_order_id);
        return preOrder(state, 'pre_order.created', event.at, event.pre_order_id);
      case 'pre_order.cancelled':
        causedByPreOrder = waitlistsOf(state, event.pre_order_id, event.line_item_ids);
        return preOrder(state, 'pre_order.cancelled', event.at, event.pre_order_id);
      case 'pre_order.changed':
      case 'line_items.exported':
        return preOrder(state, 'pre_order.updated', event.at, event.pre_order_id);
      default:
        // Inventory, own stock, fulfilment and refund records: no documented webhook.
        return [];
    }
  };
}
