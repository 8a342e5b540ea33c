/**
 * The counterexamples the fuzzing found, pinned. Each test states what should hold, reduced to the few
 * requests that broke it. Bugs still open are skipped, naming their bug (known-bugs.ts keeps their requests
 * out of the random runs); when one is fixed, un-skip its test, move it to the fixed ones and delete its
 * entry in known-bugs.ts. The fixed ones failed on 826d40c and pass since b339b41: they stay as regression
 * tests.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, DEFAULT_CREDENTIALS, type Engine } from '../../src/engine/engine.ts';
import { createSimulator } from '../../src/http/app.ts';
import { answerProblems } from './fuzz.ts';
import { deep, modelOf } from './requests.ts';

const privateHeaders = { 'X-Purple-Dot-Access-Token': DEFAULT_CREDENTIALS.private_access_token };

/** Dispatches and returns the answer with what breaks the spec in it (an empty list when it conforms). */
function send(engine: Engine, operationId: string, request: Parameters<Engine['dispatchRaw']>[1] = {}) {
  const answer = engine.dispatchRaw(operationId, request);
  return { answer, problems: answerProblems(modelOf(operationId), answer) };
}

/** A real snapshot of the engine's default store, as it travels (JSON). */
const snapshotOf = (engine: Engine): { seed: number; stores: Record<string, { settings: Record<string, unknown> }> } =>
  JSON.parse(JSON.stringify((engine.dispatchRaw('exportSnapshot').body as { data: unknown }).data));

/** JSON text of a list nested `depth` deep. */
const nestedListText = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('bugs the fuzzing found that are fixed', () => {
  // Was: countSkuUnits answered an undeclared 404 to an empty sku (validate.ts mapped every path failure to 404).
  it('answers countSkuUnits with an empty sku with a status the operation declares', () => {
    const engine = createEngine({ onBug: () => undefined });
    try {
      const { answer, problems } = send(engine, 'countSkuUnits', { headers: privateHeaders, path: { sku: '' } });
      expect(problems, JSON.stringify(answer.body)).toEqual([]);
      expect(answer.status).toBe(400);
    } finally {
      engine.close();
    }
  });

  // Was: Snapshot.seed had no maximum; a seed of 2^53 imported and listStores, getStore, getStatus broke the spec.
  it('refuses a snapshot whose seed is above 4294967295, or keeps every store read within the spec after it', () => {
    const engine = createEngine({ onBug: () => undefined });
    try {
      const snapshot = { ...snapshotOf(engine), seed: 2 ** 53 };
      const imported = send(engine, 'importSnapshot', { body: snapshot });
      expect(imported.problems).toEqual([]);
      for (const [id, request] of [['listStores', {}], ['getStore', { path: { storeId: 'default' } }], ['getStatus', {}]] as const) {
        const read = send(engine, id, request);
        expect(read.problems, `${id} after importing seed 2^53 (import answered ${imported.answer.status})`).toEqual([]);
      }
    } finally {
      engine.close();
    }
  });

  // Was: createFulfillment kept tracking_info as sent (open, unbounded); 2,000 deep broke every later export (500).
  it('keeps the snapshot exportable after a fulfilment whose tracking_info carries a field nested 2,000 deep', () => {
    const bugs: unknown[] = [];
    const engine = createEngine({ scenario: 'ready-to-fulfil', onBug: (error) => bugs.push(error) });
    try {
      const order = engine.defaultStore().state.data.fulfillment_orders.find((fo) => fo.status === 'UNFULFILLED')!;
      const fulfilled = send(engine, 'createFulfillment', {
        headers: privateHeaders,
        body: { fulfillment: { fulfillment_order_id: order.id, tracking_info: { number: '1Z999', extra: deep(2_000, 'object').resolve(undefined) } } },
      });
      expect(fulfilled.problems).toEqual([]);
      const exported = send(engine, 'exportSnapshot');
      expect(exported.answer.status, `export after a ${fulfilled.answer.status} fulfilment`).toBe(200);
      expect(bugs).toEqual([]);
    } finally {
      engine.close();
    }
  });

  // Was: nested 5,000 deep, the 201 itself could not be written (a 500 over HTTP after the fulfilment was recorded).
  it('answers a fulfilment whose tracking_info carries a field nested 5,000 deep over HTTP without a 500, and records nothing if it refuses', async () => {
    const sim = createSimulator({ scenario: 'ready-to-fulfil', onBug: () => undefined });
    const running = await sim.listen(0);
    try {
      const order = sim.engine.defaultStore().state.data.fulfillment_orders.find((fo) => fo.status === 'UNFULFILLED')!;
      const body = `{"fulfillment":{"fulfillment_order_id":"${order.id}","tracking_info":{"number":"1Z999","extra":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}}}`;
      const res = await fetch(`${running.url}/admin/api/v1/fulfillment`, { method: 'POST', headers: { ...privateHeaders, 'content-type': 'application/json' }, body });
      expect(res.status).toBeLessThan(500);
      const fulfilments = sim.engine.defaultStore().state.data.fulfillment_orders.find((fo) => fo.id === order.id)!.fulfillments.length;
      expect(res.status >= 400 ? fulfilments : 1).toBe(res.status >= 400 ? 0 : 1);
      const listed = await fetch(`${running.url}/admin/api/v1/fulfillment-orders`, { headers: privateHeaders });
      expect(listed.status).toBe(200);
    } finally {
      await running.close();
      sim.engine.close();
    }
  });

  // Was: a snapshot holding a list nested 2,000 deep imported (200), then every export answered 500.
  it('refuses a snapshot holding a list nested 2,000 deep, or exports it again afterwards', async () => {
    const sim = createSimulator({ onBug: () => undefined });
    const running = await sim.listen(0);
    try {
      const text = JSON.stringify(snapshotOf(sim.engine)).replace('"settings":{', `"settings":{"extra":${nestedListText(2_000)},`);
      const imported = await fetch(`${running.url}/__sim/snapshot`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: text });
      const exported = await fetch(`${running.url}/__sim/snapshot`);
      expect(exported.status, `export after an import answered ${imported.status}`).toBe(200);
    } finally {
      await running.close();
      sim.engine.close();
    }
  });
});

describe('bugs the fuzzing found that are still open (skipped until fixed)', () => {
  // Bug: a snapshot imports values its answers cannot carry, and later answers break the spec (known-bugs.ts).
  it.skip('refuses a snapshot whose pre-order reference is not #PD and 7 digits, or keeps listPreOrders within the spec', () => {
    const engine = createEngine({ scenario: 'mixed-catalogue', onBug: () => undefined });
    try {
      const tampered = snapshotOf(engine) as unknown as { stores: Record<string, { pre_orders: { reference: string }[] }> };
      tampered.stores.default!.pre_orders[0]!.reference = 'xxx';
      const imported = send(engine, 'importSnapshot', { body: tampered });
      expect(imported.problems).toEqual([]);
      const orders = send(engine, 'listPreOrders', { headers: privateHeaders, query: { limit: '200' } });
      expect(orders.problems, `listPreOrders after an import answered ${imported.answer.status}`).toEqual([]);
    } finally {
      engine.close();
    }
  });

  // Bug: a snapshot imports values its answers cannot carry, and later answers break the spec (known-bugs.ts).
  it.skip('refuses a snapshot whose waitlist id is not a UUID, or keeps listWaitlists within the spec', () => {
    const engine = createEngine({ scenario: 'scheduled-launch', onBug: () => undefined });
    try {
      const tampered = snapshotOf(engine) as unknown as { stores: Record<string, { waitlists: { id: string }[] }> };
      tampered.stores.default!.waitlists[0]!.id = '\u0000';
      const imported = send(engine, 'importSnapshot', { body: tampered });
      expect(imported.problems).toEqual([]);
      const waitlists = send(engine, 'listWaitlists', { headers: privateHeaders, query: { limit: '100' } });
      expect(waitlists.problems, `listWaitlists after an import answered ${imported.answer.status}`).toEqual([]);
    } finally {
      engine.close();
    }
  });

  // Bug: a snapshot whose unit history is out of time order imports, then unit counts go negative (known-bugs.ts).
  it.skip('refuses a snapshot whose unit history runs back in time, or keeps unit counts and exports within the spec', () => {
    const engine = createEngine({ scenario: 'in-stock', onBug: () => undefined });
    try {
      const tampered = snapshotOf(engine) as unknown as { stores: Record<string, { unit_history: Record<string, number[][]> }> };
      const history = tampered.stores.default!.unit_history['HPB1-L']!;
      history.push([...history[0]!]);
      const imported = send(engine, 'importSnapshot', { body: tampered });
      expect(imported.problems).toEqual([]);
      expect(send(engine, 'updateInventory', { headers: privateHeaders, body: { sku: 'HPB1-L', available_units: 2 } }).problems).toEqual([]);
      const counted = send(engine, 'countSkuUnits', { headers: privateHeaders, path: { sku: 'HPB1-L' } });
      expect(counted.problems, `countSkuUnits after an import answered ${imported.answer.status}`).toEqual([]);
      const exported = send(engine, 'exportSnapshot');
      expect(exported.problems).toEqual([]);
      const back = send(engine, 'importSnapshot', { body: JSON.parse(JSON.stringify((exported.answer.body as { data: unknown }).data)) });
      expect(back.answer.status, JSON.stringify(back.answer.body)).toBe(200);
    } finally {
      engine.close();
    }
  });
});
