import { open, unlink, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { BaseStore, StateBase, StateEntry } from '../engine/state-log.ts';
import { writeParts } from './file-writes.ts';
import { jsonPieces, nodesUpTo } from './json-steps.ts';
import { pacer } from './pace.ts';
import { prefixOf } from './state-line.ts';

/**
 * A state file's compaction written in steps, while the stores go on changing.
 *
 * The base holds the stores' live data (a copy of 100,000 pre-orders took seconds), so it may only be read while
 * the data still is what it was when the base was taken: the base stands for the log up to that moment, and the
 * records appended since follow it in the new file. What can change a store's data, and how each is seen here:
 * - an operation: every one that changes state is appended to the log in the same turn as its change, and an
 *   operation names its store (`record.store`); an operation changes its own store only (making and deleting a
 *   store change the registry, which the base took as values);
 * - a scheduled launch or pause, applied by the store's next tick and not logged: it changes the store's
 *   waitlists only (state and update time), so their text is compared with what it was.
 * Stores are read one after the other. Small ones are written at once, in the turn the base is taken, so later
 * changes to them do not matter. A large one is read in steps, and the compaction gives up if that store
 * changes before it has been read to its end (its text would mix two states); a change to a store already read
 * is only a record that follows the base. Nothing else in the base is live: credentials, clocks and pending
 * webhooks are values taken with it.
 *
 * The new file is written beside the state file and renamed over it by the state file itself, after the
 * records appended since the base; until then the old file holds everything acknowledged.
 */

/** A store of at most this many JSON nodes (a thousand pre-orders or so, milliseconds) is written at once... */
const SMALL_STORE_NODES = 50_000;
/** ... as long as the small stores written at once come to no more than this. */
const AT_ONCE_NODES = 200_000;

/** The new file: header and base written and fsynced, open for the records that follow the base. */
export interface CompactedFile {
  handle: FileHandle;
  temporary: string;
  /** Bytes written so far: where the next record goes. */
  bytes: number;
}

export interface Compaction {
  /** Hears each record appended after the base was taken: one that changes a store not yet read ends it. */
  heard(record: StateEntry): void;
  /** Gives up (the state file is closing or failed); the new file is removed. */
  cancel(why: string): void;
  /** The new file once its header and base are on disk; undefined once it gave up, saying why in `reason`. */
  readonly done: Promise<CompactedFile | undefined>;
  readonly reason: string | undefined;
}

/** A base's JSON in pieces, read while the stores go on changing; spoilt when a store it is still reading changes. */
export interface SteppedBase {
  /** The UTF-8 bytes of `JSON.stringify(value)`, a megabyte or so at a time. */
  readonly pieces: Generator<Uint8Array, boolean>;
  /** A change was made to this store (an operation on it): the base is spoilt if the store is not read to its end yet. */
  changed(store: string): void;
  giveUp(why: string): void;
  /** Why the base is spoilt (or given up); undefined while it holds. */
  readonly reason: string | undefined;
}

/**
 * Reads `value` (holding `stores`, the base's stores with their live data, taken by the caller in this very
 * turn) as JSON in pieces: small stores are made text at once, in this turn; a large one is read in steps, and
 * the base is spoilt if that store changes before it is read to its end (see above).
 */
export function steppedBase(value: object, stores: readonly BaseStore[]): SteppedBase {
  let reason: string | undefined;
  const giveUp = (why: string): void => {
    reason ??= why;
  };
  /** Stores not yet read to their end: a change to one of them spoils the base. */
  const unread = new Set<string>();
  /** Text of the stores written at once. */
  const texts = new Map<object, string>();
  const watch = new Map<object, () => void>();
  let atOnce = 0;
  for (const entry of stores) {
    const data = entry.snapshot ? Object.values(entry.snapshot.stores)[0] : undefined;
    if (!data) continue;
    const nodes = nodesUpTo(entry, Math.min(SMALL_STORE_NODES, AT_ONCE_NODES - atOnce));
    if (nodes !== undefined) {
      atOnce += nodes;
      texts.set(entry, JSON.stringify(entry));
      continue;
    }
    unread.add(entry.id);
    const waitlists = JSON.stringify(data.waitlists);
    watch.set(entry, () => {
      if (JSON.stringify(data.waitlists) !== waitlists) giveUp(`a scheduled launch or pause changed store ${entry.id} while it was being written`);
      unread.delete(entry.id);
    });
  }
  return {
    pieces: jsonPieces(value, { textOf: (v) => texts.get(v), watch }),
    changed(store) {
      if (unread.has(store)) giveUp(`store ${store} changed while it was being written`);
    },
    giveUp,
    get reason() {
      return reason;
    },
  };
}

/**
 * Writes `header` and `base` (taken by the caller in this very turn, at the log position it stands for) to
 * `temporary`, in steps of a few milliseconds.
 */
export function startCompaction(temporary: string, header: Buffer, base: StateBase): Compaction {
  const stepped = steppedBase(base, base.stores);

  const write = async (): Promise<CompactedFile | undefined> => {
    const handle = await open(temporary, 'w');
    const abandon = async (): Promise<undefined> => {
      await handle.close().catch(() => {});
      await unlink(temporary).catch(() => {});
      return undefined;
    };
    try {
      const pace = pacer();
      let position = await writeParts(handle, [header], 0);
      const baseAt = position;
      // The base line's checksum is known only at its end: a placeholder now, the sum written over it last.
      position += await writeParts(handle, [prefixOf(0)], position);
      let crc = 0;
      for (;;) {
        if (stepped.reason) return await abandon();
        const next = stepped.pieces.next();
        if (next.done) break;
        crc = crc32(next.value, crc);
        position += await writeParts(handle, [next.value], position);
        await pace();
      }
      position += await writeParts(handle, [Buffer.from('\n')], position);
      await writeParts(handle, [prefixOf(crc)], baseAt);
      await handle.datasync();
      if (stepped.reason) return await abandon();
      return { handle, temporary, bytes: position };
    } catch (error) {
      stepped.giveUp(`the new file could not be written: ${(error as Error).message}`);
      return await abandon();
    }
  };

  const done = write();
  return {
    heard(record) {
      if (record.t === 'op') stepped.changed(record.store);
    },
    cancel: stepped.giveUp,
    done,
    get reason() {
      return stepped.reason;
    },
  };
}
