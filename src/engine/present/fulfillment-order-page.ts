import type { components } from '../../../generated/purple-dot.ts';
import type { StoreState } from '../../domain/store.ts';
import type { FulfillmentOrder } from '../../domain/types.ts';
import { deepFreeze } from '../freeze.ts';
import { JsonText, withJsonText } from '../json-text.ts';
import { presentFulfillmentOrder } from './private.ts';

type PageInfo = { has_more: boolean; starting_after: string | null };
type FulfillmentOrderPage = { fulfillment_orders: components['schemas']['FulfillmentOrder'][] } & PageInfo;

/** Most fulfillment orders kept per store: a poller's last pages, not a walk of every one. */
const KEPT_ORDERS = 2_000;

/**
 * Presented fulfillment orders, frozen, with their JSON text, kept for one store state while it has not
 * changed. A fulfillment order is presented from itself, its pre-order and that pre-order's lines (refunds
 * included), which change through different touch functions; rather than track each, everything kept is
 * dropped as soon as the state records any change (`StoreState.version`). An export poller reading the same
 * pages between changes gets them without presenting anything again.
 */
interface Kept {
  version: number;
  byId: Map<string, { presented: components['schemas']['FulfillmentOrder']; text: string }>;
  /**
   * The last pages answered at this version, each with its text: an unchanged page gets the same `JsonText`,
   * whose bytes (62 KB for a page of 50) are then made once, not on every read (a new buffer outside the heap
   * per request, and a new text for it, were most of what A6 allocated).
   */
  pages: Map<string, KeptPage>;
  pageChars: number;
}

interface KeptPage {
  orders: readonly FulfillmentOrder[];
  info: PageInfo;
  presented: readonly components['schemas']['FulfillmentOrder'][];
  text: JsonText;
}

/** Most pages kept per store state and version, and most characters of their texts in all, oldest out first. */
const KEPT_PAGES = 16;
const KEPT_PAGE_CHARS = 4 * 1024 * 1024;

function keepPage(kept: Kept, key: string, page: KeptPage): void {
  const length = page.text.length;
  if (length > KEPT_PAGE_CHARS) return;
  const old = kept.pages.get(key);
  if (old !== undefined) kept.pageChars -= old.text.length;
  kept.pages.delete(key);
  kept.pages.set(key, page);
  kept.pageChars += length;
  for (const [oldest, first] of kept.pages) {
    if (kept.pages.size <= KEPT_PAGES && kept.pageChars <= KEPT_PAGE_CHARS) break;
    kept.pages.delete(oldest);
    kept.pageChars -= first.text.length;
  }
}

const byState = new WeakMap<StoreState, Kept>();

function keptFor(state: StoreState): Kept {
  let kept = byState.get(state);
  if (kept === undefined || kept.version !== state.version || kept.byId.size >= KEPT_ORDERS) {
    kept = { version: state.version, byId: new Map(), pages: new Map(), pageChars: 0 };
    byState.set(state, kept);
  }
  return kept;
}

const pageKey = (orders: readonly FulfillmentOrder[], info: PageInfo): string =>
  `${orders.length}:${orders[0]?.id ?? ''}:${orders[orders.length - 1]?.id ?? ''}:${info.has_more}:${info.starting_after ?? ''}`;

/** The same page: the same fulfillment orders (objects) in the same order, and the same cursor fields, at the same version. */
function samePage(page: KeptPage, orders: readonly FulfillmentOrder[], info: PageInfo): boolean {
  if (page.orders.length !== orders.length || page.info.has_more !== info.has_more || page.info.starting_after !== info.starting_after) return false;
  for (let i = 0; i < orders.length; i += 1) if (page.orders[i] !== orders[i]) return false;
  return true;
}

/**
 * A page of fulfillment orders (A6's `data`). For an answer that is only written out (`shared`), the orders
 * are the kept frozen ones and the page's text is made from their kept text (see json-text.ts); otherwise
 * each is presented afresh for the caller to own, as before.
 */
export function presentFulfillmentOrderPage(state: StoreState, orders: readonly FulfillmentOrder[], info: PageInfo, shared: boolean): FulfillmentOrderPage {
  if (!shared) return { fulfillment_orders: orders.map((fo) => presentFulfillmentOrder(state, fo)), ...info };
  const kept = keptFor(state);
  const key = pageKey(orders, info);
  const page = kept.pages.get(key);
  // (The kept list itself, frozen: a shared answer is only ever written out, never changed.)
  if (page !== undefined && samePage(page, orders, info)) return withJsonText({ fulfillment_orders: page.presented as FulfillmentOrderPage['fulfillment_orders'], ...info }, page.text);
  const pieces: string[] = ['{"fulfillment_orders":['];
  const presented = orders.map((fo, i) => {
    let entry = kept.byId.get(fo.id);
    if (entry === undefined) {
      const made = deepFreeze(presentFulfillmentOrder(state, fo));
      entry = { presented: made, text: JSON.stringify(made) };
      kept.byId.set(fo.id, entry);
    }
    if (i > 0) pieces.push(',');
    pieces.push(entry.text);
    return entry.presented;
  });
  pieces.push(`],${JSON.stringify(info).slice(1)}`);
  const text = new JsonText(pieces);
  keepPage(kept, key, { orders: [...orders], info: { ...info }, presented: Object.freeze(presented), text });
  return withJsonText({ fulfillment_orders: presented, ...info }, text);
}
