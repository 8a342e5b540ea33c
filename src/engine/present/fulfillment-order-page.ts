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
}

const byState = new WeakMap<StoreState, Kept>();

function keptFor(state: StoreState): Kept {
  let kept = byState.get(state);
  if (kept === undefined || kept.version !== state.version || kept.byId.size >= KEPT_ORDERS) {
    kept = { version: state.version, byId: new Map() };
    byState.set(state, kept);
  }
  return kept;
}

/**
 * A page of fulfillment orders (A6's `data`). For an answer that is only written out (`shared`), the orders
 * are the kept frozen ones and the page's text is made from their kept text (see json-text.ts); otherwise
 * each is presented afresh for the caller to own, as before.
 */
export function presentFulfillmentOrderPage(state: StoreState, orders: readonly FulfillmentOrder[], info: PageInfo, shared: boolean): FulfillmentOrderPage {
  if (!shared) return { fulfillment_orders: orders.map((fo) => presentFulfillmentOrder(state, fo)), ...info };
  const kept = keptFor(state);
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
  return withJsonText({ fulfillment_orders: presented, ...info }, new JsonText(pieces));
}
