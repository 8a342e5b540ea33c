import fc from 'fast-check';
import { copyFileSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { StateBase, StateEntry, StateOperation } from '../../src/engine/state-log.ts';
import { withSourceJson } from '../../src/engine/source-json.ts';
import { openStateFile, type StateFile } from '../../src/state/state-file.ts';

const folder = (): string => mkdtempSync(join(tmpdir(), 'pd-state-steps-'));

/** A store of a base, as the engine's checkpoint gives it: its data live, changed in place by "operations". */
function storeEntry(id: string, orders: number) {
  const data = {
    applied: [] as string[],
    waitlists: [{ id: `${id}-w`, state: 'LIVE', updated_at: '2026-01-01T00:00:00.000Z' }],
    pre_orders: Array.from({ length: orders }, (_, i) => ({ id: `${id}-po${i}`, email: `s${i}@example.com`, lines: [{ sku: 'SKU-1', quantity: 1, status: 'open' }] })),
  };
  const clock = { now: '2026-01-15T09:00:00.000Z', mode: 'manual' };
  const entry = { id, credentials: { public_api_key: 'k', private_access_token: 't', shared_secret: 's' }, scenario: 'on-preorder', seed: 1, clock: 'manual' };
  return { id, data, entry, live: { ...entry, snapshot: { version: 1, scenario: 'on-preorder', seed: 1, clock, stores: { [id]: data } } } };
}

/**
 * Stand-in for the engine: a small store and one large enough to be read in steps (20,000 records). An
 * operation changes its store in place and is appended in the same turn, as `execute` does.
 */
function model(file: StateFile) {
  const stores = [storeEntry('default', 3), storeEntry('store-1', 20_000)];
  const baseOf = (options: { data?: boolean } = {}): StateBase => ({
    t: 'base', wall: Date.now(), storeCount: stores.length,
    stores: stores.map((s) => (options.data === false ? s.entry : s.live)),
  } as unknown as StateBase);
  file.start(baseOf);
  const apply = (store: string, id: string): Promise<void> => {
    const target = stores.find((s) => s.id === store)!;
    target.data.applied.push(id);
    target.data.pre_orders[0]!.lines[0]!.quantity += 1;
    return file.append({ t: 'op', wall: Date.now(), store, op: 'placePreOrderInStore', body: { id }, status: 201 });
  };
  return { stores, apply };
}

/** What a copy of the file says happened: the ids its base holds per store, then those of its operations. */
function contentOf(path: string): { inBase: Map<string, string[]>; inLog: string[]; notes: readonly string[] } {
  const opened = openStateFile(path);
  const inBase = new Map<string, string[]>();
  for (const store of opened.restore?.base.stores ?? []) {
    const data = store.snapshot?.stores[store.id] as unknown as { applied: string[] } | undefined;
    inBase.set(store.id, data?.applied ?? []);
  }
  const inLog = (opened.restore?.operations as StateEntry[] | undefined ?? []).map((r) => ((r as StateOperation).body as { id: string }).id);
  return { inBase, inLog, notes: opened.notes };
}

const closeAfter = (file: StateFile): void => onTestFinished(() => file.close());

/** A snapshot-like body of about `megabytes` MB, pretty-printed as a client might send it. */
function sentSnapshot(megabytes: number): { sent: Buffer; value: unknown } {
  const value = {
    version: 1, scenario: 'on-preorder', seed: 1, clock: { now: '2026-01-15T09:00:00.000Z', mode: 'manual' },
    stores: { x: { pre_orders: Array.from({ length: megabytes * 7_000 }, (_, i) => ({ id: `po${i}`, note: 'é "quoted" \\ 😀', n: i })), refunds: [] } },
  };
  // Pretty-printed (line ends between tokens), and a list holding a no-break space, which the import's parser
  // takes as empty though JSON.parse refuses it.
  const text = JSON.stringify(value, null, 2).replace('"refunds": []', '"refunds": [\u00a0]');
  return { sent: Buffer.from(text), value };
}

describe('the state file, writing large lines and compactions in steps', () => {
  it('writes an import\'s snapshot as it was sent, though the store changes the parsed objects before the line is written', async () => {
    const path = join(folder(), 'state.jsonl');
    const file = openStateFile(path);
    closeAfter(file);
    model(file);
    const { sent, value } = sentSnapshot(4);
    const body = withSourceJson(JSON.parse(JSON.stringify(value)) as { stores: { x: { pre_orders: { n: number }[] } } }, sent);
    const imported = file.append({ t: 'op', wall: 1, store: 'store-1', op: 'importSnapshotInStore', path: { storeId: 'store-1' }, body, status: 200 });
    // The store now owns the parsed objects and changes them, before the line has been written.
    body.stores.x.pre_orders[0]!.n = -1;
    body.stores.x.pre_orders.push({ n: 99 });
    const after = file.append({ t: 'op', wall: 2, store: 'store-1', op: 'advanceClockInStore', body: { seconds: 60 }, status: 200 });
    await Promise.all([imported, after]);
    await file.close();

    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines).toHaveLength(5);
    const reopened = openStateFile(path);
    expect(reopened.notes).toEqual([]);
    const [importLine, advance] = reopened.restore!.operations as StateOperation[];
    expect(importLine!.body).toEqual(value);
    expect(importLine!.status).toBe(200);
    expect(advance!.body).toEqual({ seconds: 60 });
  });

  it('encodes a large change whose bytes were not recorded in the turn it is appended, before the store changes it', async () => {
    const path = join(folder(), 'state.jsonl');
    const file = openStateFile(path);
    closeAfter(file);
    model(file);
    const { value } = sentSnapshot(2);
    const body = JSON.parse(JSON.stringify(value)) as { stores: { x: { pre_orders: { n: number }[] } } };
    const imported = file.append({ t: 'op', wall: 1, store: 'store-1', op: 'importSnapshotInStore', body, status: 200 });
    body.stores.x.pre_orders[0]!.n = -1;
    await imported;
    await file.close();
    expect((openStateFile(path).restore!.operations as StateOperation[])[0]!.body).toEqual(value);
  });

  it('acknowledges an import only once its whole line is in the file, and a later change only after it', async () => {
    const path = join(folder(), 'state.jsonl');
    const file = openStateFile(path);
    closeAfter(file);
    model(file);
    const { sent, value } = sentSnapshot(6);
    const order: string[] = [];
    const seen: unknown[] = [];
    // What the file holds when each is acknowledged (both may go in one write: group commit).
    const bodies = (): unknown[] => (openStateFile(path).restore!.operations as StateOperation[]).map((r) => r.body);
    const imported = file.append({ t: 'op', wall: 1, store: 'store-1', op: 'importSnapshotInStore', body: withSourceJson({}, sent), status: 200 }).then(() => {
      order.push('import');
      seen.push(bodies());
    });
    const small = file.append({ t: 'op', wall: 2, store: 'default', op: 'advanceClock', body: { seconds: 1 }, status: 200 }).then(() => {
      order.push('small');
      seen.push(bodies());
    });
    await Promise.all([imported, small]);
    expect(order).toEqual(['import', 'small']);
    expect((seen[0] as unknown[])[0]).toEqual(value);
    expect(seen[1]).toEqual([value, { seconds: 1 }]);
  });

  it('comes back from a file cut anywhere in an import\'s line with every change before it, saying what it dropped', async () => {
    const dir = folder();
    const path = join(dir, 'state.jsonl');
    const file = openStateFile(path);
    model(file);
    await file.append({ t: 'op', wall: 1, store: 'default', op: 'advanceClock', body: { seconds: 1 }, status: 200 });
    const before = readFileSync(path).length;
    const { sent } = sentSnapshot(3);
    await file.append({ t: 'op', wall: 2, store: 'store-1', op: 'importSnapshotInStore', body: withSourceJson({}, sent), status: 200 });
    await file.close();
    const after = readFileSync(path).length;
    const cut = join(dir, 'cut.jsonl');
    fc.assert(fc.property(fc.integer({ min: before, max: after - 1 }), (at) => {
      copyFileSync(path, cut);
      truncateSync(cut, at);
      const opened = openStateFile(cut);
      expect(opened.restore!.operations).toHaveLength(1);
      expect(opened.notes).toHaveLength(at === before ? 0 : 1);
    }), { numRuns: 40, examples: [[before], [before + 1], [before + 9], [after - 1]] });
    // Whole, it is read back whole.
    expect(openStateFile(path).restore!.operations).toHaveLength(2);
  });

  it('leaves, at every moment of compactions in steps, a file that holds each acknowledged change exactly once', async () => {
    const dir = folder();
    const path = join(dir, 'state.jsonl');
    const file = openStateFile(path, { compactOperations: 7 });
    closeAfter(file);
    const { apply } = model(file);
    const acked: string[] = [];
    let copies = 0;
    let compacted = 0;
    let copying = true;
    const copy = join(dir, 'copy.jsonl');
    // A crash at any moment leaves the file as it is then: each copy must read back with every change
    // acknowledged before it, none twice (in the base and again after it).
    const copier = (async () => {
      while (copying) {
        const ackedNow = [...acked];
        writeFileSync(copy, readFileSync(path));
        const { inBase, inLog } = contentOf(copy);
        const all = [...(inBase.get('default') ?? []), ...inLog];
        expect(new Set(all).size).toBe(all.length);
        for (const id of ackedNow) expect(all).toContain(id);
        if ((inBase.get('default') ?? []).length > 0) compacted += 1;
        copies += 1;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    for (let i = 0; i < 150; i += 1) {
      const id = `op${i}`;
      void apply('default', id).then(() => acked.push(id));
      if (i % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await file.idle();
    copying = false;
    await copier;
    expect(copies).toBeGreaterThan(10);
    expect(compacted).toBeGreaterThan(0);
    // The last compaction folded changes into the base; the rest follow it, in order.
    const { inBase, inLog } = contentOf(path);
    expect([...inBase.get('default')!, ...inLog]).toEqual(Array.from({ length: 150 }, (_, i) => `op${i}`));
    expect(inBase.get('default')!.length).toBeGreaterThan(0);
  });

  it('gives up a compaction when the large store it reads is changed, keeps every change, and compacts later', async () => {
    const dir = folder();
    const path = join(dir, 'state.jsonl');
    // Date stands still unless moved here, so the retry waits for the backoff alone: on the wall clock, b1's write
    // taking longer than retryMs to reach the disk would start it early, before the file below is looked at.
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const file = openStateFile(path, { compactOperations: 3, retryMs: 50 });
    closeAfter(file);
    const { apply } = model(file);
    // The third change calls for a compaction; the large store then changes at once, before it can be read.
    await apply('default', 'a1');
    await apply('default', 'a2');
    await apply('default', 'a3');
    await apply('store-1', 'b1');
    await file.idle();
    let content = contentOf(path);
    expect(content.inBase.get('store-1')).toEqual([]);
    expect(content.inLog).toEqual(['a1', 'a2', 'a3', 'b1']);
    // Tried again once retryMs have gone by, at the next change, and nothing stops it then.
    vi.setSystemTime(Date.now() + 50);
    await apply('default', 'a4');
    await file.idle();
    content = contentOf(path);
    expect(content.inBase.get('default')).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(content.inBase.get('store-1')).toEqual(['b1']);
    expect(content.inLog).toEqual([]);
  });

  it('compacts in one go once the file has grown to four times the thresholds after a compaction gave up', async () => {
    const dir = folder();
    const path = join(dir, 'state.jsonl');
    // A minute before a compaction in steps is tried again: however long the writes below wait for the disk,
    // none of them starts one, and the file grows to four times the thresholds.
    const file = openStateFile(path, { compactOperations: 3, retryMs: 60_000 });
    closeAfter(file);
    const { apply } = model(file);
    for (const id of ['a1', 'a2', 'a3']) await apply('default', id);
    // The large store changes before the compaction can read it: it gives up, and waits a minute to try again.
    await apply('store-1', 'b1');
    await file.idle();
    for (let i = 4; i <= 12; i += 1) await apply('default', `a${i}`);
    await file.idle();
    const { inBase, inLog } = contentOf(path);
    // Twelve changes since the base: the next write (a12's) was a compaction in one go, whose base holds a12 too.
    expect(inBase.get('default')).toEqual(Array.from({ length: 12 }, (_, i) => `a${i + 1}`));
    expect(inBase.get('store-1')).toEqual(['b1']);
    expect(inLog).toEqual([]);
  });
});
