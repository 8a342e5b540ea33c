import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StateBase, StateEntry } from '../../src/engine/state-log.ts';
import { startCompaction } from '../../src/state/compaction.ts';
import { decodeLine, encodeLine } from '../../src/state/state-line.ts';

const header = encodeLine({ t: 'header', format: 'purple-dot-sim/state', version: 1 });

/** A store of a base with `orders` pre-order-like records: 20,000 of them are read in steps, a few written at once. */
function storeEntry(id: string, orders: number) {
  const data = {
    waitlists: [{ id: `${id}-w`, state: 'SCHEDULED', updated_at: '2026-01-01T00:00:00.000Z' }],
    pre_orders: Array.from({ length: orders }, (_, i) => ({ id: `${id}-po${i}`, email: `s${i}@example.com`, lines: [{ sku: 'SKU-1', quantity: 1, status: 'open' }] })),
  };
  const clock = { now: '2026-01-15T09:00:00.000Z', mode: 'manual' };
  const entry = { id, credentials: { public_api_key: 'k', private_access_token: 't', shared_secret: 's' }, scenario: 'on-preorder', seed: 1, clock: 'manual', snapshot: { version: 1, scenario: 'on-preorder', seed: 1, clock, stores: { [id]: data } } };
  return { entry, data };
}

function setUp() {
  const small = storeEntry('default', 3);
  const big = storeEntry('store-1', 20_000);
  const base = { t: 'base', wall: 1, storeCount: 2, stores: [small.entry, big.entry] } as unknown as StateBase;
  const temporary = join(mkdtempSync(join(tmpdir(), 'pd-compaction-')), 'state.jsonl.compact');
  return { small, big, base, temporary, taken: JSON.parse(JSON.stringify(base)) as unknown };
}

const op = (store: string): StateEntry => ({ t: 'op', wall: 2, store, op: 'placePreOrderInStore', status: 201 });

describe('a compaction written in steps', () => {
  it('writes the header and the base as they stood when taken, though a store written at once changes right after', async () => {
    const { small, base, temporary, taken } = setUp();
    const compaction = startCompaction(temporary, header, base);
    // The small store was written in the turn the base was taken: its change is a record that follows the base.
    small.data.pre_orders.push({ id: 'later', email: 'later@example.com', lines: [] });
    compaction.heard(op('default'));
    // Neither does a webhook record, nor a change to a store made after the base, stop it.
    compaction.heard({ t: 'webhook.attempt', id: 1, attempt: 1, done: true });
    compaction.heard(op('store-9'));
    const file = await compaction.done;
    expect(compaction.reason).toBeUndefined();
    expect(file).toBeDefined();
    await file!.handle.close();
    const lines = readFileSync(temporary).toString('utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(decodeLine(lines[0]!)).toEqual({ value: { t: 'header', format: 'purple-dot-sim/state', version: 1 } });
    expect(decodeLine(lines[1]!)).toEqual({ value: taken });
    expect(file!.bytes).toBe(readFileSync(temporary).length);
  });

  it('gives up when an operation changes a store it has not read to its end, and leaves no file behind', async () => {
    const { big, base, temporary } = setUp();
    const compaction = startCompaction(temporary, header, base);
    big.data.pre_orders[10]!.lines[0]!.status = 'cancelled';
    compaction.heard(op('store-1'));
    expect(await compaction.done).toBeUndefined();
    expect(compaction.reason).toMatch(/store store-1 changed while it was being written/);
    expect(existsSync(temporary)).toBe(false);
  });

  it('gives up when a scheduled launch changes the waitlists of a store it is reading (launches are not logged)', async () => {
    const { big, base, temporary } = setUp();
    const compaction = startCompaction(temporary, header, base);
    big.data.waitlists[0]!.state = 'LIVE';
    expect(await compaction.done).toBeUndefined();
    expect(compaction.reason).toMatch(/scheduled launch or pause changed store store-1/);
    expect(existsSync(temporary)).toBe(false);
  });

  it('writes many small stores at once, so a change to any of them does not stop it', async () => {
    const smalls = Array.from({ length: 30 }, (_, i) => storeEntry(`small-${i}`, 20));
    const big = storeEntry('store-1', 20_000);
    const base = { t: 'base', wall: 1, storeCount: 31, stores: [...smalls.map((s) => s.entry), big.entry] } as unknown as StateBase;
    const taken = JSON.parse(JSON.stringify(base)) as unknown;
    const temporary = join(mkdtempSync(join(tmpdir(), 'pd-compaction-')), 'state.jsonl.compact');
    const compaction = startCompaction(temporary, header, base);
    smalls[29]!.data.pre_orders.length = 0;
    compaction.heard(op('small-29'));
    const file = await compaction.done;
    expect(compaction.reason).toBeUndefined();
    await file!.handle.close();
    expect(decodeLine(readFileSync(temporary, 'utf8').split('\n')[1]!)).toEqual({ value: taken });
  });

  it('stops when cancelled, and leaves no file behind', async () => {
    const { base, temporary } = setUp();
    const compaction = startCompaction(temporary, header, base);
    compaction.cancel('closing');
    expect(await compaction.done).toBeUndefined();
    expect(compaction.reason).toBe('closing');
    expect(existsSync(temporary)).toBe(false);
  });
});
