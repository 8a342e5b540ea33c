import { deepFreeze } from '../freeze.ts';
import type { StoreState } from '../../domain/store.ts';
import type { PreOrder } from '../../domain/types.ts';

/**
 * Presented pre-orders as JSON text, kept per store until the order changes, so a page that an export poller
 * reads again and again is serialised once, not on every read (issue 15: serialising a page of 200 was half
 * of its time).
 *
 * Valid until the order changes: every change to a pre-order goes through `touchPreOrder`, which raises its
 * `update_seq`, and `presentPreOrder` reads nothing but the order; so a text is reused only for the same order
 * object at the same `update_seq`. A reset, a scenario load or a snapshot import replaces the store's state
 * whole: the cache belongs to one state (a WeakMap keyed by it, as a field of the state would), so it is
 * dropped with it, and a deleted store's cache goes with its state. Several engines in one process share
 * nothing: each state has its own.
 *
 * Bounded per store, least recently used first out, by count and by characters, so a poller walking 100,000
 * pre-orders keeps at most the last few thousand.
 */
export interface PreOrderTextLimits {
  /** Most orders kept per store. */
  entries: number;
  /** Most characters of text kept per store (about bytes: the text is mostly ASCII). */
  chars: number;
}

export const DEFAULT_TEXT_LIMITS: PreOrderTextLimits = { entries: 8_192, chars: 8 * 1024 * 1024 };

interface Entry {
  order: PreOrder;
  seq: number;
  text: string;
  /** The presented order itself, frozen, once an answer asked to share it. */
  presented?: unknown;
  /** Read since it was last put at the end (see evict). */
  used: boolean;
}

/** One store state's texts, oldest use first (a Map keeps insertion order; a hit moves to the end). */
export class PreOrderTexts {
  private readonly entries = new Map<string, Entry>();
  private chars = 0;

  constructor(private readonly limits: PreOrderTextLimits = DEFAULT_TEXT_LIMITS) {}

  /** The order's JSON text: the kept one while the order is unchanged, else `serialise()` (then kept). */
  textOf(order: PreOrder, serialise: () => string): string {
    const kept = this.entries.get(order.id);
    if (kept !== undefined) {
      if (kept.order === order && kept.seq === order.update_seq) {
        kept.used = true;
        return kept.text;
      }
      this.entries.delete(order.id);
      this.chars -= kept.text.length;
    }
    const text = serialise();
    this.entries.set(order.id, { order, seq: order.update_seq, text, used: false });
    this.chars += text.length;
    this.evict();
    return text;
  }

  /**
   * The presented order as a frozen object shared by every answer that reads the order unchanged (and by the
   * journal's copies of them), with its text. For answers that are only written out: a page of 200 then
   * presents nothing that has not changed.
   */
  presentedOf<T extends object>(order: PreOrder, present: (order: PreOrder) => T): T {
    const kept = this.entries.get(order.id);
    if (kept !== undefined && kept.order === order && kept.seq === order.update_seq && kept.presented !== undefined) {
      kept.used = true;
      return kept.presented as T;
    }
    const presented = deepFreeze(present(order));
    this.textOf(order, () => JSON.stringify(presented));
    this.entries.get(order.id)!.presented = presented;
    return presented;
  }

  get size(): number {
    return this.entries.size;
  }

  get characters(): number {
    return this.chars;
  }

  /**
   * Least recently used first out, kept cheaply: a read only marks its entry (a page of 200 read again moved
   * 200 entries to the end of the map on every read, and the map's table was remade over and over); the
   * marks are settled here, oldest first: a marked entry is moved to the end, unmarked, which is where a read
   * would have put it, and the first unmarked one goes.
   */
  private evict(): void {
    while (this.entries.size > this.limits.entries || this.chars > this.limits.chars) {
      for (const [id, entry] of this.entries) {
        this.entries.delete(id);
        if (entry.used) {
          entry.used = false;
          this.entries.set(id, entry);
          continue;
        }
        this.chars -= entry.text.length;
        break;
      }
    }
  }
}

const byState = new WeakMap<StoreState, PreOrderTexts>();

/** The private presentations' texts of each store state (pre-order-page.ts keeps its pages beside them). */
export const preOrderTextsByState: WeakMap<StoreState, PreOrderTexts> = byState;

/** The texts of one store state, made on first use. */
export function preOrderTexts(state: StoreState): PreOrderTexts {
  let texts = byState.get(state);
  if (texts === undefined) {
    texts = new PreOrderTexts();
    byState.set(state, texts);
  }
  return texts;
}

