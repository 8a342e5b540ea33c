import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defineScenario } from '../../src/engine/scenario.ts';
import type { Answer } from '../../src/engine/answer.ts';
import { runSteps } from '../../src/domain/steps.ts';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/http/app.ts';
import { withSourceJson } from '../../src/engine/source-json.ts';
import { StateFileError } from '../../src/state/state-file.ts';
import { privateHeaders } from '../support/simulator.ts';

const newStatePath = (): string => join(mkdtempSync(join(tmpdir(), 'pd-state-')), 'state.jsonl');

interface Running {
  sim: Simulator;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

async function run(options: SimulatorOptions): Promise<Running> {
  const sim = createSimulator({ journalSize: 0, onBug: () => {}, ...options });
  const server = await sim.listen(0);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.close();
    sim.engine.close();
    await sim.stateFile?.close();
  };
  onTestFinished(close);
  return {
    sim,
    async call(method, path, body, headers = {}) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { ...(method === 'GET' ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    },
    close,
  };
}

/** Every store as a restart must bring it back: ID, credentials, scenario, seed, clock and data. */
function everything(sim: Simulator): unknown {
  return sim.engine.stores.list().map((store) => ({ id: store.id, credentials: store.credentials, snapshot: sim.engine.checkpoint().stores.find((s) => s.id === store.id)?.snapshot }));
}

/** Changes of many kinds, through both APIs, over two stores; each must answer 2xx. */
async function changeThings(s: Running): Promise<void> {
  const ok = async (reply: Promise<{ status: number; body: any }>) => {
    const { status, body } = await reply;
    expect(status, JSON.stringify(body)).toBeLessThan(300);
    return body.data;
  };
  const [live] = (await ok(s.call('GET', '/admin/api/v1/waitlists?limit=100', undefined, privateHeaders))).waitlists.filter((w: any) => w.state === 'LIVE');
  const variant = live.availability.variants[0];
  await ok(s.call('POST', '/__sim/pre-orders', { email: 'restart@example.com', lines: [{ variant_id: variant.variant_id, quantity: 1 }] }));
  await ok(s.call('POST', '/__sim/clock/advance', { seconds: 3600 }));
  await ok(s.call('POST', '/admin/api/v1/inventory', { sku: variant.sku, available_units: 2 }, privateHeaders));
  const other = await ok(s.call('POST', '/__sim/stores', { scenario: 'scheduled-launch', seed: 7 }));
  await ok(s.call('POST', `/__sim/stores/${other.id}/clock/advance`, { seconds: 86_400 * 60 }));
  const doomed = await ok(s.call('POST', '/__sim/stores', { scenario: 'sold-out' }));
  await ok(s.call('DELETE', `/__sim/stores/${doomed.id}`));
  await ok(s.call('POST', `/__sim/stores/${other.id}/scenario`, { name: 'in-stock', seed: 3 }));
}

describe('the state file', () => {
  it('brings back every store, its data, credentials and clock after a restart, ignoring the start options', async () => {
    const path = newStatePath();
    const first = await run({ stateFile: path, scenario: 'on-preorder', clock: 'manual' });
    await changeThings(first);
    const before = everything(first.sim);
    await first.close();

    const second = await run({ stateFile: path, scenario: 'sold-out', seed: 99, clock: 'manual' });
    expect(everything(second.sim)).toEqual(before);
    // The next store gets the ID it would have got without the restart.
    expect((await second.call('POST', '/__sim/stores', { scenario: 'sold-out' })).body.data.id).toBe('store-4');
  });

  it('compacts the file into a base of the stores as they stand, and still comes back the same', async () => {
    const path = newStatePath();
    const first = await run({ stateFile: path, scenario: 'on-preorder', clock: 'manual', stateFileOptions: { compactOperations: 3 } });
    await changeThings(first);
    const before = everything(first.sim);
    // A compaction is written in steps after the change that called for it: closing drops one under way.
    await first.sim.stateFile!.idle();
    await first.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    // A header, a base, and fewer changes than were made.
    expect(lines.length).toBeLessThan(2 + 3);
    expect(lines[1]).toContain('"snapshot"');
    const second = await run({ stateFile: path });
    expect(everything(second.sim)).toEqual(before);
  });

  it('keeps a system clock\'s offset across a restart', async () => {
    const path = newStatePath();
    const first = await run({ stateFile: path, clock: 'system' });
    expect((await first.call('POST', '/__sim/clock/advance', { seconds: 86_400 })).status).toBe(200);
    await first.close();
    const second = await run({ stateFile: path });
    const now = Date.parse((await second.call('GET', '/__sim/clock')).body.data.now);
    expect(now - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    expect(now - Date.now()).toBeLessThanOrEqual(86_400_000);
  });

  it('drops an unfinished last line, says so, and goes on appending after the intact part', async () => {
    const path = newStatePath();
    const first = await run({ stateFile: path });
    await changeThings(first);
    const before = everything(first.sim);
    await first.close();
    appendFileSync(path, '1234abcd {"t":"op","wall":17');

    const second = await run({ stateFile: path });
    expect(second.sim.stateFile!.notes).toHaveLength(1);
    expect(second.sim.stateFile!.notes[0]).toMatch(/dropped an unfinished last entry/);
    expect(everything(second.sim)).toEqual(before);
    expect((await second.call('POST', '/__sim/clock/advance', { seconds: 60 })).status).toBe(200);
    const after = everything(second.sim);
    await second.close();

    const third = await run({ stateFile: path });
    expect(third.sim.stateFile!.notes).toEqual([]);
    expect(everything(third.sim)).toEqual(after);
  });

  it('refuses a file damaged before its end, naming the line and the command that keeps the intact part', async () => {
    const path = newStatePath();
    const first = await run({ stateFile: path });
    await changeThings(first);
    await first.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[3] = lines[3]!.replace('"op"', '"oq"');
    writeFileSync(path, lines.join('\n'));
    const offset = lines.slice(0, 3).join('\n').length + 1;
    expect(() => createSimulator({ stateFile: path })).toThrow(StateFileError);
    expect(() => createSimulator({ stateFile: path })).toThrow(new RegExp(`line 4 \\(byte ${offset}\\): its checksum does not match.*truncate -s ${offset} `));
  });

  it('refuses a file that is not a state file, and leaves it as it was', () => {
    const path = newStatePath();
    writeFileSync(path, '{"hello":"world"}\n');
    expect(() => createSimulator({ stateFile: path })).toThrow(/is not a purple-dot-sim state file/);
    expect(readFileSync(path, 'utf8')).toBe('{"hello":"world"}\n');
  });

  it('answers a change it could not save with 500 STATE_NOT_SAVED, never as a success', async () => {
    const path = newStatePath();
    const s = await run({ stateFile: path });
    await s.sim.stateFile!.close();
    const reply = await s.call('POST', '/__sim/clock/advance', { seconds: 60 });
    expect(reply.status).toBe(500);
    expect(reply.body.error.code).toBe('STATE_NOT_SAVED');
    // Reads need no saving and still answer.
    expect((await s.call('GET', '/__sim/clock')).status).toBe(200);
  });

  it('keeps fault rules and the journal out of the state: they belong to the test session', async () => {
    const path = newStatePath();
    const first = await run({ stateFile: path, journalSize: 100 });
    expect((await first.call('POST', '/__sim/faults/profiles/flaky-network')).status).toBe(201);
    await first.close();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(2);
    const second = await run({ stateFile: path });
    expect((await second.call('GET', '/__sim/faults')).body.data).toEqual([]);
  });
});

/** 2,000 pre-orders: a store large enough for the state file to read it in steps when it compacts. */
const midCatalogue = defineScenario({
  name: 'mid-catalogue',
  summary: '2,000 pre-orders over 10 products',
  build(b) {
    b.daysBefore(10);
    const items = Array.from({ length: 10 }, () => b.product({ sizes: ['S', 'M'] }));
    for (const item of items) b.waitlist(item, 2_000);
    const variants = items.flatMap((item) => item.variants);
    const shoppers = Array.from({ length: 50 }, () => b.shopper());
    b.daysBefore(9);
    for (let i = 0; i < 2_000; i += 1) {
      b.placeFor(shoppers[i % shoppers.length]!, [{ variant_id: variants[i % variants.length]!.id, quantity: 1 }]);
      b.minutes(1);
    }
  },
});

/** A store's snapshot, exported in-process: its `data` is the snapshot as an import takes it. */
const exported = (sim: Simulator, storeId: string): any => (sim.engine.dispatchRaw('exportSnapshotInStore', { path: { storeId } }).body as any).data;

/**
 * An import as the HTTP adapter runs it: the body's bytes parsed and checked in steps (engine.importSteps), then
 * dispatched with what that prepared, which the store then owns. The bytes are recorded as the body's source, as
 * the hook proposed for src/engine/snapshot-import.ts does (a no-op once it is there).
 */
function importAsHttpDoes(sim: Simulator, storeId: string, bytes: Buffer): Answer {
  const request = { path: { storeId }, headers: { 'content-type': 'application/json' } };
  const prepared = runSteps(sim.engine.importSteps('importSnapshotInStore', request, [bytes])! as never) as object;
  return sim.engine.dispatchRaw('importSnapshotInStore', { ...request, body: withSourceJson(prepared, bytes) });
}

describe('the state file with large stores', () => {
  it('keeps an import as it was sent, though the store changes the imported pre-orders before the import is on disk', async () => {
    const path = newStatePath();
    const options = { stateFile: path, clock: 'manual' as const, scenarios: [midCatalogue] };
    const first = await run(options);
    const source = (await first.call('POST', '/__sim/stores', { scenario: 'mid-catalogue' })).body.data.id as string;
    const target = (await first.call('POST', '/__sim/stores', { scenario: 'on-preorder' })).body.data.id as string;
    const snapshot = exported(first.sim, source);
    // Pretty-printed, as a person might save and send it.
    const answer = importAsHttpDoes(first.sim, target, Buffer.from(JSON.stringify(snapshot, null, 2)));
    expect(answer.status).toBe(200);
    // In the same turn, before the import's line is written: the store changes the very objects it imported.
    const order = snapshot.stores[source].pre_orders[5];
    const cancel = first.sim.engine.dispatchRaw('cancelPreOrderInStore', { path: { storeId: target, id: order.id }, body: { reason: 'changed my mind' } });
    const place = first.sim.engine.dispatchRaw('placePreOrderInStore', { path: { storeId: target }, body: { email: 'late@example.com', lines: [{ variant_id: snapshot.stores[source].variants[0].id, quantity: 1 }] } });
    expect([cancel.status, place.status]).toEqual([200, 201]);
    await Promise.all([answer.durable, cancel.durable, place.durable]);
    const before = everything(first.sim);
    await first.close();
    // The import's line is the text as sent (JSON.stringify writes no space after a colon), on one line.
    expect(readFileSync(path, 'utf8')).toContain('"version": 1');

    const second = await run(options);
    expect(everything(second.sim)).toEqual(before);
  });

  it('compacts in steps while a small and a large store take writes, and comes back the same', async () => {
    const path = newStatePath();
    const options = { stateFile: path, clock: 'manual' as const, scenarios: [midCatalogue], stateFileOptions: { compactOperations: 3 } };
    const first = await run(options);
    const large = (await first.call('POST', '/__sim/stores', { scenario: 'mid-catalogue' })).body.data.id as string;
    const variant = exported(first.sim, large).stores[large].variants[0].id as string;
    const writes: Promise<{ status: number }>[] = [];
    for (let i = 0; i < 12; i += 1) {
      // The default store, written at once by each compaction, and the large one, read in steps.
      writes.push(first.call('POST', '/__sim/clock/advance', { seconds: 60 }));
      if (i % 4 === 0) writes.push(first.call('POST', `/__sim/stores/${large}/pre-orders`, { email: `p${i}@example.com`, lines: [{ variant_id: variant, quantity: 1 }] }));
    }
    expect((await Promise.all(writes)).map((w) => w.status).every((status) => status < 300)).toBe(true);
    await first.sim.stateFile!.idle();
    // Whether a compaction in the burst landed or gave up (the large store changed while it was read) depends on
    // timing. One more write settles it: after a give-up, the file is by now past four times the threshold and
    // is compacted in one go; after a landing, a compaction of a quiet large store cannot give up.
    expect((await first.call('POST', '/__sim/clock/advance', { seconds: 60 })).status).toBe(200);
    await first.sim.stateFile!.idle();
    const before = everything(first.sim);
    await first.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines[1]).toContain(`"id":"${large}"`);
    expect(lines.length).toBeLessThan(2 + 3 + 12);
    const second = await run(options);
    expect(everything(second.sim)).toEqual(before);
  });
});
