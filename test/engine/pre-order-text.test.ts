import { describe, expect, it } from 'vitest';
import { DEFAULT_CREDENTIALS } from '../../src/engine/defaults.ts';
import { createEngine, type Engine } from '../../src/engine/engine.ts';
import { jsonTextOf, knownEnvelopeBytes } from '../../src/engine/json-text.ts';
import { PreOrderTexts, preOrderTexts } from '../../src/engine/present/pre-order-text.ts';
import { presentPreOrder } from '../../src/engine/present/private.ts';
import type { PreOrder } from '../../src/domain/types.ts';

const headers = { 'X-Purple-Dot-Access-Token': DEFAULT_CREDENTIALS.private_access_token };

const page = (engine: Engine, query: { limit?: number; starting_after?: string } = {}) => {
  const answer = engine.dispatch('listPreOrders', { query, headers });
  expect(answer.status).toBe(200);
  return answer;
};

/** The bytes the HTTP adapter would write for an answer, from the text the engine kept. */
const keptBytes = (body: unknown): string => {
  const bytes = knownEnvelopeBytes(body);
  expect(bytes).toBeDefined();
  return bytes!.toString('utf8');
};

const ordersOf = (engine: Engine): PreOrder[] => engine.defaultStore().state.data.pre_orders;

describe('the kept JSON text of presented pre-orders', () => {
  it('is the JSON of the freshly presented order, and is reused while the order is unchanged', () => {
    const engine = createEngine({ scenario: 'on-preorder' });
    const [order] = ordersOf(engine);
    const texts = new PreOrderTexts();
    let made = 0;
    const serialise = () => {
      made += 1;
      return JSON.stringify(presentPreOrder(order!));
    };
    expect(texts.textOf(order!, serialise)).toBe(JSON.stringify(presentPreOrder(order!)));
    texts.textOf(order!, serialise);
    expect(made).toBe(1);
    engine.close();
  });

  it('is made again once the order changes (its update_seq moves) or is another object with the same ID', () => {
    const engine = createEngine({ scenario: 'on-preorder' });
    const [order] = ordersOf(engine);
    const texts = new PreOrderTexts();
    texts.textOf(order!, () => 'first');
    expect(texts.textOf({ ...order!, update_seq: order!.update_seq + 1 }, () => 'changed')).toBe('changed');
    expect(texts.textOf({ ...order! }, () => 'another object')).toBe('another object');
    expect(texts.size).toBe(1);
    engine.close();
  });

  it('keeps at most its bound of orders and characters, dropping the least recently read first', () => {
    const engine = createEngine({ scenario: 'on-preorder' });
    const orders = ordersOf(engine).slice(0, 6);
    const texts = new PreOrderTexts({ entries: 3, chars: 1_000 });
    for (const order of orders.slice(0, 3)) texts.textOf(order, () => 'x'.repeat(100));
    // Reading the first again makes the second the least recently read.
    texts.textOf(orders[0]!, () => 'not made');
    texts.textOf(orders[3]!, () => 'x'.repeat(100));
    expect(texts.size).toBe(3);
    let remade = '';
    texts.textOf(orders[1]!, () => (remade = 'made again'));
    expect(remade).toBe('made again');
    // Characters bound the cache too: one long text pushes out the others.
    texts.textOf(orders[4]!, () => 'y'.repeat(950));
    expect(texts.characters).toBeLessThanOrEqual(1_000);
    expect(texts.size).toBe(2);
    engine.close();
  });

  it('belongs to one store state: another store, another engine, or a reset store starts with none', () => {
    const one = createEngine({ scenario: 'on-preorder' });
    const two = createEngine({ scenario: 'on-preorder' });
    page(one);
    expect(preOrderTexts(one.defaultStore().state).size).toBe(10);
    expect(preOrderTexts(two.defaultStore().state).size).toBe(0);
    const other = one.createStore({ scenario: 'on-preorder' });
    expect(preOrderTexts(other.state).size).toBe(0);
    expect(one.dispatch('reset', {}).status).toBe(200);
    expect(preOrderTexts(one.defaultStore().state).size).toBe(0);
    one.close();
    two.close();
  });
});

describe('a page of pre-orders', () => {
  it('carries JSON text byte-identical to the page it answers, read after read', () => {
    const engine = createEngine({ scenario: 'on-preorder' });
    for (const query of [{}, { limit: 1 }, { limit: 7 }, { limit: 200 }, { limit: 0 }]) {
      if (query.limit === 0) continue;
      const first = page(engine, query);
      const again = page(engine, query);
      expect(keptBytes(first.body)).toBe(JSON.stringify(first.body));
      expect(keptBytes(again.body)).toBe(JSON.stringify(again.body));
    }
    engine.close();
  });

  it('carries the text of its own data object only: a copy of the data has none', () => {
    const engine = createEngine({ scenario: 'on-preorder' });
    const { body } = page(engine);
    const data = (body as { data: object }).data;
    expect(jsonTextOf(data)).toBeDefined();
    expect(jsonTextOf({ ...data })).toBeUndefined();
    expect(knownEnvelopeBytes({ ...body, extra: true })).toBeUndefined();
    expect(knownEnvelopeBytes({ meta: { result: 'success', more: 1 }, data })).toBeUndefined();
    engine.close();
  });

  it('answered from the cache is byte-identical to a freshly presented one after a cancellation', () => {
    const engine = createEngine({ scenario: 'on-preorder' });
    const before = keptBytes(page(engine).body);
    const [order] = ordersOf(engine);
    expect(engine.dispatch('cancelPreOrder', { path: { id: order!.id }, body: { reason: 'CUSTOMER' } }).status).toBe(200);
    const after = page(engine);
    expect(keptBytes(after.body)).toBe(JSON.stringify(after.body));
    expect(keptBytes(after.body)).not.toBe(before);
    engine.close();
  });
});
