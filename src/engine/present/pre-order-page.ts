import type { components } from '../../../generated/purple-dot.ts';
import type { StoreState } from '../../domain/store.ts';
import type { PreOrder } from '../../domain/types.ts';
import { JsonText, withJsonText } from '../json-text.ts';
import { PreOrderTexts, preOrderTextsByState as privateTexts } from './pre-order-text.ts';
import { presentPreOrder } from './private.ts';
import { presentShopperPreOrder } from './public.ts';

type PageInfo = { has_more: boolean; starting_after: string | null };
type PreOrderPage = { orders: components['schemas']['PreOrder'][] } & PageInfo;
type ShopperPreOrderPage = { orders: components['schemas']['ShopperPreOrder'][] } & PageInfo;

/**
 * A page of pre-orders (A2's `data`), as objects for in-process callers and the journal, and as JSON text for
 * the HTTP adapter. The text is exactly `JSON.stringify` of the object: the same items in the same order, then
 * the cursor fields. It is made from the store's kept text of each order (pre-order-text.ts), so only orders
 * that changed since they were last read are serialised; and a page read again with nothing on it changed
 * gets the very same `JsonText` as last time (see `RecentPages`), whose bytes are then already made.
 */
export function presentPreOrderPage(state: StoreState, orders: readonly PreOrder[], info: PageInfo, shared = false): PreOrderPage {
  return presentPage(PRIVATE, state, orders, info, shared);
}

/**
 * A page of one shopper's pre-orders (P5's `data`), kept as the private pages are: a storefront asks its
 * shopper's orders again and again, and presenting, serialising and journaling ten of them afresh each time was
 * most of what P5 cost beyond the socket. `presentShopperPreOrder` reads nothing but the order, as
 * `presentPreOrder` does, so the same validity (object and `update_seq`) holds; its texts and pages are kept
 * apart from the private ones.
 */
export function presentShopperPreOrderPage(state: StoreState, orders: readonly PreOrder[], info: PageInfo, shared = false): ShopperPreOrderPage {
  return presentPage(SHOPPER, state, orders, info, shared);
}

/** One kind of page: how an order is presented, and the caches of its texts and pages, per store state. */
interface PageKind<T extends object> {
  present: (order: PreOrder) => T;
  texts: WeakMap<StoreState, PreOrderTexts>;
  pages: WeakMap<StoreState, RecentPages>;
}

const PRIVATE: PageKind<components['schemas']['PreOrder']> = { present: presentPreOrder, texts: privateTexts, pages: new WeakMap() };
const SHOPPER: PageKind<components['schemas']['ShopperPreOrder']> = { present: presentShopperPreOrder, texts: new WeakMap(), pages: new WeakMap() };

function presentPage<T extends object>(kind: PageKind<T>, state: StoreState, orders: readonly PreOrder[], info: PageInfo, shared: boolean): { orders: T[] } & PageInfo {
  const texts = perState(kind.texts, state, () => new PreOrderTexts());
  const pages = perState(kind.pages, state, () => new RecentPages());
  const kept = pages.find(orders, info);
  let presented: T[];
  if (!shared) presented = orders.map((order) => kind.present(order));
  // Shared: the kept, frozen presentation of each unchanged order (see PreOrderTexts.presentedOf); for a page
  // served unchanged before, those it was answered with (the same orders at the same update_seq, so the same
  // content), without looking each order up again.
  // (The kept list itself, frozen: a shared answer is only ever written out, never changed.)
  else if (kept?.presented) presented = kept.presented as T[];
  else presented = orders.map((order) => texts.presentedOf(order, kind.present));
  let text = kept?.text;
  if (text === undefined) {
    const pieces: string[] = ['{"orders":['];
    orders.forEach((order, i) => {
      if (i > 0) pieces.push(',');
      pieces.push(texts.textOf(order, () => JSON.stringify(presented[i])));
    });
    pieces.push(`],${JSON.stringify(info).slice(1)}`);
    text = new JsonText(pieces);
    const made = pages.keep(orders, info, text);
    if (shared && made) made.presented = Object.freeze(presented);
  } else if (shared && kept!.presented === undefined) {
    kept!.presented = Object.freeze(presented);
  }
  return withJsonText({ orders: presented, ...info }, text);
}

/** A store state's cache of one kind, made on first use (it goes with the state: a reset, load or import drops it). */
function perState<V>(caches: WeakMap<StoreState, V>, state: StoreState, make: () => V): V {
  let cache = caches.get(state);
  if (cache === undefined) {
    cache = make();
    caches.set(state, cache);
  }
  return cache;
}

interface KeptPage {
  orders: readonly PreOrder[];
  seqs: number[];
  info: PageInfo;
  text: JsonText;
  /** The shared, frozen presentations a shared answer of this page held (never an in-process caller's own). */
  presented?: readonly object[];
}

/**
 * The last few pages served from one store state, least recently used first out. A page is the same when it
 * holds the same order objects, each at the same `update_seq`, and the same cursor fields; whichever query
 * found it. Bounded by count and by characters, so it keeps a handful of pages, not a walk of the store.
 */
class RecentPages {
  private readonly pages = new Map<string, KeptPage>();
  private chars = 0;

  constructor(private readonly limits = { pages: 16, chars: 4 * 1024 * 1024 }) {}

  find(orders: readonly PreOrder[], info: PageInfo): KeptPage | undefined {
    const key = keyOf(orders, info);
    const kept = this.pages.get(key);
    if (kept === undefined) return undefined;
    this.pages.delete(key);
    if (!samePage(kept, orders, info)) {
      this.chars -= kept.text.length;
      return undefined;
    }
    this.pages.set(key, kept);
    return kept;
  }

  keep(orders: readonly PreOrder[], info: PageInfo, text: JsonText): KeptPage | undefined {
    const length = text.length;
    if (length > this.limits.chars) return undefined;
    const key = keyOf(orders, info);
    const old = this.pages.get(key);
    if (old) this.chars -= old.text.length;
    this.pages.delete(key);
    const page: KeptPage = { orders: [...orders], seqs: orders.map((o) => o.update_seq), info: { ...info }, text };
    this.pages.set(key, page);
    this.chars += length;
    for (const [oldest, page] of this.pages) {
      if (this.pages.size <= this.limits.pages && this.chars <= this.limits.chars) break;
      this.pages.delete(oldest);
      this.chars -= page.text.length;
    }
    return this.pages.get(key);
  }
}

const keyOf = (orders: readonly PreOrder[], info: PageInfo): string =>
  `${orders.length}:${orders[0]?.id ?? ''}:${orders[orders.length - 1]?.id ?? ''}:${info.has_more}:${info.starting_after ?? ''}`;

function samePage(kept: KeptPage, orders: readonly PreOrder[], info: PageInfo): boolean {
  if (kept.orders.length !== orders.length || kept.info.has_more !== info.has_more || kept.info.starting_after !== info.starting_after) return false;
  for (let i = 0; i < orders.length; i += 1) {
    const order = orders[i]!;
    if (kept.orders[i] !== order || kept.seqs[i] !== order.update_seq) return false;
  }
  return true;
}

