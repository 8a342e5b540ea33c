/**
 * Answers that only an adapter writes out (HTTP: `streamable`) share frozen presentations of unchanged
 * pre-orders, and the journal shares its copies of them; in-process answers stay the caller's own.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, DEFAULT_CREDENTIALS } from '../../src/engine/engine.ts';
import { journalCopy } from '../../src/engine/journal.ts';

const headers = { 'x-purple-dot-access-token': DEFAULT_CREDENTIALS.private_access_token };
type Page = { data: { orders: { id: string; line_items: { cancelled: boolean; sku: string }[] }[] } };

function setUp() {
  const engine = createEngine({ scenario: 'on-preorder' });
  const state = engine.defaultStore().state;
  const live = state.data.waitlists.find((w) => w.state === 'LIVE')!;
  const variant = live.allocations[0]!.variant_id;
  // A pre-order of 12 lines: the journal cuts its list of lines at 10 and names the cut by its path.
  const big = engine.dispatchRaw('placePreOrder', { body: { email: 'many-lines@example.com', lines: Array.from({ length: 12 }, () => ({ variant_id: variant, quantity: 1 })) } });
  expect(big.status).toBe(201);
  // The page of that one pre-order.
  const query = { limit: '200', email: 'many-lines@example.com' };
  const viaAdapter = () => engine.dispatchRaw('listPreOrders', { headers, query, streamable: true }).body as Page;
  const inProcess = () => engine.dispatchRaw('listPreOrders', { headers, query }).body as Page;
  return { engine, viaAdapter, inProcess };
}

describe('presentations shared between answers an adapter writes out', () => {
  it('are the same frozen objects while the pre-order is unchanged, and a fresh one once it changes', () => {
    const { engine, viaAdapter } = setUp();
    try {
      const first = viaAdapter().data.orders[0]!;
      expect(viaAdapter().data.orders[0]).toBe(first);
      expect(Object.isFrozen(first) && Object.isFrozen(first.line_items[0])).toBe(true);
      expect(engine.dispatchRaw('cancelPreOrder', { path: { id: first.id }, body: { reason: 'CUSTOMER' } }).status).toBe(200);
      const after = viaAdapter().data.orders[0]!;
      expect(after).not.toBe(first);
      expect(after.line_items.every((line) => line.cancelled)).toBe(true);
      expect(first.line_items.some((line) => line.cancelled)).toBe(false);
    } finally {
      engine.close();
    }
  });

  it('leave in-process answers the caller\'s own: changing one changes neither the next answer nor the shared one', () => {
    const { engine, viaAdapter, inProcess } = setUp();
    try {
      const shared = viaAdapter().data.orders[0]!;
      const own = inProcess().data.orders[0]!;
      expect(own).not.toBe(shared);
      expect(Object.isFrozen(own)).toBe(false);
      own.line_items[0]!.sku = 'changed by the caller';
      expect(inProcess().data.orders[0]!.line_items[0]!.sku).not.toBe('changed by the caller');
      expect(viaAdapter().data.orders[0]!.line_items[0]!.sku).not.toBe('changed by the caller');
    } finally {
      engine.close();
    }
  });

  it('are journaled exactly as a fresh answer\'s copy would be, cut lists named by their full path', () => {
    const { engine, viaAdapter, inProcess } = setUp();
    try {
      viaAdapter();
      viaAdapter();
      const entries = engine.journal.entries();
      const fresh = journalCopy(inProcess());
      const [a, b] = entries.slice(-2).map((entry) => entry.response);
      expect(a).toEqual(fresh);
      expect(b).toEqual(fresh);
      const cut = (fresh as { truncated: Record<string, number> }).truncated;
      expect(Object.entries(cut)).toContainEqual([expect.stringMatching(/^data\.orders\[\d+\]\.line_items$/), 12]);
    } finally {
      engine.close();
    }
  });
});
