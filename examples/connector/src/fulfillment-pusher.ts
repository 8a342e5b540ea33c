/**
 * Fulfillment pusher: for each fulfillment order Purple Dot is waiting on (UNFULFILLED), tells Purple Dot
 * it shipped, with the platform's tracking details, so the shopper is notified.
 */
import { PurpleDotApiError, pages, type PurpleDotHttp } from './http.js';

export interface FulfillmentOrder {
  id: string;
  reference: string;
  status: 'UNFULFILLED' | 'FULFILLED' | 'VOIDED';
  created_at: string;
  line_items: { id: string; sku?: string; quantity: number }[];
  [field: string]: unknown;
}

export interface TrackingInfo {
  number: string;
  company: string;
  url?: string;
}

export interface PushOptions {
  /**
   * The platform's shipment for this fulfillment order: its tracking details, or null when it has not
   * shipped yet (it is then left for a later run).
   */
  trackingFor: (order: FulfillmentOrder) => TrackingInfo | null | Promise<TrackingInfo | null>;
  /** Ask Purple Dot to send the shopper a shipping notification (default true). */
  notifyCustomer?: boolean;
  /** Page size, 1–250 (default 250, the API's maximum). */
  limit?: number;
}

export interface PushResult {
  /** Fulfilled by this run. */
  fulfilled: string[];
  /** Already fulfilled when we posted: a retry after a lost answer, or another worker got there first. */
  alreadyFulfilled: string[];
  /** Not shipped yet on the platform. */
  notShipped: string[];
}

export async function pushFulfillments(http: PurpleDotHttp, options: PushOptions): Promise<PushResult> {
  const { trackingFor, notifyCustomer = true, limit = 250 } = options;
  // Read the whole list first, then write: the list's cursor never sees our own changes.
  const open: FulfillmentOrder[] = [];
  for await (const page of pages<FulfillmentOrder>(http, '/admin/api/v1/fulfillment-orders', 'fulfillment_orders', { limit })) {
    open.push(...page.filter((order) => order.status === 'UNFULFILLED'));
  }
  const result: PushResult = { fulfilled: [], alreadyFulfilled: [], notShipped: [] };
  for (const order of open) {
    const tracking = await trackingFor(order);
    if (!tracking) {
      result.notShipped.push(order.id);
      continue;
    }
    try {
      await http.request('POST', '/admin/api/v1/fulfillment', {
        body: { fulfillment: { fulfillment_order_id: order.id, notify_customer: notifyCustomer, tracking_info: tracking } },
      });
      result.fulfilled.push(order.id);
    } catch (error) {
      // A POST whose answer was lost gets retried; if the first one went through, the retry is told so.
      if (error instanceof PurpleDotApiError && error.code === 'FULFILLMENT_ORDER_ALREADY_FULFILLED') {
        result.alreadyFulfilled.push(order.id);
        continue;
      }
      throw error;
    }
  }
  return result;
}
