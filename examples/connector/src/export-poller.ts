/**
 * Export poller: fetches the pre-orders that changed since the last run (placed, cancelled, exported,
 * refunded), page by page, and hands back a new high-water mark to store for the next run.
 *
 * The pre-order object has no `updated_at`, so the mark is the time this run started, taken before the
 * first request, less an overlap for clock skew between this machine and Purple Dot. `updated_at_min` is
 * inclusive and the window overlaps, so a pre-order can come back in two runs: the consumer keys on `id`.
 */
import { pages, type PurpleDotHttp } from './http.js';

/** The fields of a Purple Dot pre-order this connector reads; the API sends more. */
export interface PreOrder {
  id: string;
  reference: string;
  created_at: string;
  cancelled_at: string | null;
  line_items: { id: string; sku: string; variant_id: string; quantity: number; cancelled: boolean }[];
  exported_orders: { id: string; name?: string; created_at?: string }[];
  [field: string]: unknown;
}

export interface PollOptions {
  /** The mark the previous run returned; null on the very first run (then every pre-order is returned). */
  since: string | null;
  /** Page size, 1–200 (default 200, the API's maximum). */
  limit?: number;
  /** This machine's clock (injectable for tests). */
  now?: () => Date;
  /** Subtracted from the new mark to tolerate clock skew (default 60 s). */
  overlapMs?: number;
}

export interface PollResult {
  /** Each pre-order once, in the order last seen; a pre-order that changed while paging comes in its newest form. */
  preOrders: PreOrder[];
  /** Store it and pass it as `since` next time. */
  mark: string;
  pages: number;
}

const EPOCH = '1970-01-01T00:00:00.000Z';

export async function pollPreOrders(http: PurpleDotHttp, options: PollOptions): Promise<PollResult> {
  const { since, limit = 200, now = () => new Date(), overlapMs = 60_000 } = options;
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new RangeError(`Export poller: limit must be 1–200, got ${limit}`);
  if (since !== null && Number.isNaN(Date.parse(since))) throw new RangeError(`Export poller: since is not a timestamp: ${since}`);
  const startedAt = now().getTime();
  const byId = new Map<string, PreOrder>();
  let pageCount = 0;
  // Asking with updated_at_min (even the epoch) makes the list come in update order, so a pre-order that
  // changes while we page moves to the end and is still seen before we stop.
  const query = { limit, updated_at_min: new Date(since ?? EPOCH).toISOString() };
  for await (const page of pages<PreOrder>(http, '/admin/api/v1/pre-orders', 'orders', query)) {
    pageCount += 1;
    for (const order of page) {
      byId.delete(order.id);
      byId.set(order.id, order);
    }
  }
  return { preOrders: [...byId.values()], mark: new Date(startedAt - overlapMs).toISOString(), pages: pageCount };
}
