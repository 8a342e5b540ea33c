import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, truncateSync, writeSync } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import type { StateBase, StateEntry, StateLog, StateRecord, StateRestore } from '../engine/state-log.ts';

/**
 * The state log in one file, JSON Lines: a header, a base, then one line per acknowledged change. Each line
 * carries a CRC-32 of its JSON, so a line a crash cut short, or one damaged later, is told apart from a good
 * one. Appends are group-committed: every change queued while a write is under way goes in the next write,
 * and each answer waits for the fsync that covers it. Webhooks owed to receivers have lines of their own (queued,
 * then each attempt), so those not yet delivered are sent after a restart. Now and then the file is compacted: a new file holding
 * a base of the stores as they stand replaces it by rename, so a crash leaves either the old or the new one.
 */

const HEADER = { t: 'header', format: 'purple-dot-sim/state', version: 1 } as const;

export interface StateFileOptions {
  /** Compact once the changes since the base take this many bytes (default 64 MiB) ... */
  compactBytes?: number;
  /** ... or number this many (default 100,000). */
  compactOperations?: number;
}

export interface StateFile extends StateLog {
  readonly path: string;
  /** What the file held when opened, to start the engine from; undefined for a new or empty file. */
  readonly restore: StateRestore | undefined;
  /** What opening found and did that a user should hear about (a torn final line dropped). */
  readonly notes: readonly string[];
  /**
   * Starts logging: a new file gets `base()` without data as its base; from then on `base()` (with data)
   * is what compaction writes.
   */
  start(base: (options?: { data?: boolean; live?: boolean }) => StateBase): void;
  /** Settles when every change appended so far is on disk. */
  flush(): Promise<void>;
  /** Flushes, then closes the file; later appends are refused. */
  close(): Promise<void>;
}

/** A state file that cannot be used as it is; the message says why and what to do. */
export class StateFileError extends Error {}

/**
 * A record's line, as bytes: `<crc32 of the JSON, 8 hex digits> <JSON>\n`. The JSON is encoded once, into a
 * buffer of its size, and the checksum taken over those bytes: `crc32` of a string (which encodes it first)
 * and a write of the string (which encodes it again) took two seconds more for a 150 MB line.
 */
const encode = (record: object): Buffer => {
  const json = JSON.stringify(record);
  const size = Buffer.byteLength(json);
  const line = Buffer.allocUnsafe(9 + size + 1);
  line.write(json, 9);
  line.write(`${crc32(line.subarray(9, 9 + size)).toString(16).padStart(8, '0')} `, 0, 'latin1');
  line[9 + size] = 0x0a;
  return line;
};

/** The record a line holds, or why it holds none. */
function decode(line: string): { record: StateRecord | typeof HEADER } | { problem: string } {
  const match = /^([0-9a-f]{8}) (.*)$/s.exec(line);
  if (!match) return { problem: 'it is not a checksummed line' };
  if (crc32(match[2]!) !== parseInt(match[1]!, 16)) return { problem: 'its checksum does not match its content' };
  try {
    return { record: JSON.parse(match[2]!) as StateRecord };
  } catch (error) {
    return { problem: `it is not JSON (${(error as Error).message})` };
  }
}

/** The kinds of line that may follow the base. */
const ENTRY_KINDS: ReadonlySet<string> = new Set<StateEntry['t']>(['op', 'webhook', 'webhook.attempt']);

interface Read {
  restore: StateRestore | undefined;
  /** Bytes of whole, valid lines: where the next append goes. */
  validBytes: number;
  notes: string[];
}

/** Reads a state file: its valid lines, a torn final line dropped with a note, damage anywhere else refused. */
function readStateFile(path: string): Read {
  const bytes = readFileSync(path);
  if (bytes.length === 0) return { restore: undefined, validBytes: 0, notes: [] };
  const lines: { text: string; start: number; end: number }[] = [];
  for (let start = 0; start < bytes.length;) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline + 1;
    lines.push({ text: bytes.toString('utf8', start, newline < 0 ? end : newline), start, end });
    start = end;
  }
  const records: (StateRecord | typeof HEADER)[] = [];
  let validBytes = 0;
  const notes: string[] = [];
  for (const [i, line] of lines.entries()) {
    const decoded = line.end === bytes.length && bytes[line.end - 1] !== 0x0a ? { problem: 'it has no line end' } : decode(line.text);
    if ('record' in decoded) {
      records.push(decoded.record);
      validBytes = line.end;
      continue;
    }
    if (i < 2) {
      // The header and base are written whole, through a rename: damage there is no torn write.
      throw new StateFileError(`${path} is not a purple-dot-sim state file (line ${i + 1}: ${decoded.problem}); give another path, or move the file aside.`);
    }
    if (i === lines.length - 1) {
      // Only the last write can be cut short, and its answer waited for the fsync that never came.
      notes.push(`${path}: dropped an unfinished last entry (${line.end - line.start} bytes at byte ${line.start}: ${decoded.problem}); `
        + 'a write cut short by a crash, whose change was never acknowledged. Every entry before it is kept.');
      break;
    }
    throw new StateFileError(`${path} is damaged at line ${i + 1} (byte ${line.start}): ${decoded.problem}, and ${lines.length - i - 1} `
      + `line(s) follow it. The ${i} line(s) before it are intact. Keep a copy of the file; to start from the intact part, `
      + `cut the file there (truncate -s ${line.start} ${path}), or move it aside to start afresh.`);
  }
  const [header, base, ...operations] = records;
  if (header === undefined) return { restore: undefined, validBytes: 0, notes };
  if (header.t !== 'header' || (header as typeof HEADER).format !== HEADER.format) {
    throw new StateFileError(`${path} is not a purple-dot-sim state file (its first line is not the header); give another path, or move the file aside.`);
  }
  if ((header as typeof HEADER).version !== HEADER.version) {
    throw new StateFileError(`${path} is a state file of version ${(header as typeof HEADER).version}; this simulator reads version ${HEADER.version}.`);
  }
  if (base === undefined) throw new StateFileError(`${path} has a header but no base; it was not written by this simulator. Move it aside.`);
  if (base.t !== 'base' || operations.some((r) => !ENTRY_KINDS.has(r.t))) {
    throw new StateFileError(`${path}: its records are out of order (a base, then operations and webhook records).`);
  }
  return { restore: { base, operations: operations as StateEntry[] }, validBytes, notes };
}

/** Makes a file's rename (or creation) durable: the directory entry is data too. */
function syncDirectory(path: string): void {
  try {
    const fd = openSync(dirname(path), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename is then as durable as they make it.
  }
}

/** Lines up to this size are joined into one write; a larger one is written as it is. */
const JOINED_WRITE_BYTES = 1024 * 1024;

/** Writes the lines in order: small ones joined (one write for a batch), large ones without a copy. */
async function writeAll(file: FileHandle, lines: Buffer[]): Promise<void> {
  const writes: Buffer[] = [];
  let small: Buffer[] = [];
  let smallBytes = 0;
  const joinSmall = (): void => {
    if (small.length > 0) writes.push(small.length === 1 ? small[0]! : Buffer.concat(small, smallBytes));
    small = [];
    smallBytes = 0;
  };
  for (const line of lines) {
    if (line.length > JOINED_WRITE_BYTES) {
      joinSmall();
      writes.push(line);
    } else {
      small.push(line);
      smallBytes += line.length;
      if (smallBytes >= JOINED_WRITE_BYTES) joinSmall();
    }
  }
  joinSmall();
  for (const bytes of writes) {
    for (let at = 0; at < bytes.length;) {
      const { bytesWritten } = await file.write(bytes, at, bytes.length - at);
      at += bytesWritten;
    }
  }
}

/** Writes a whole file through a temporary one, fsynced, then renamed over the path. */
function replaceFile(path: string, text: Buffer): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  syncDirectory(path);
}

interface Waiting {
  line: Buffer;
  settle: (error?: Error) => void;
}

/**
 * Opens (or creates) a state file. Reading it happens here, synchronously, so a damaged file refuses before
 * anything listens; the engine is then made from `restore` and handed to `start`.
 */
export function openStateFile(path: string, options: StateFileOptions = {}): StateFile {
  const compactBytes = options.compactBytes ?? 64 * 1024 * 1024;
  const compactOperations = options.compactOperations ?? 100_000;
  const read = existsSync(path) ? readStateFile(path) : { restore: undefined, validBytes: 0, notes: [] };
  let handle: FileHandle | undefined;
  let baseOf: ((options?: { data?: boolean; live?: boolean }) => StateBase) | undefined;
  let bytesSinceBase = 0;
  let operationsSinceBase = 0;
  let pending: Waiting[] = [];
  let writing: Promise<void> | undefined;
  let closed = false;
  let failure: Error | undefined;

  const compact = async (): Promise<void> => {
    // Taken in the same turn as the batch it replaces, so it holds exactly the changes appended so far.
    // The stores' live data, serialised in this same turn: copying 100,000 pre-orders first took seconds more.
    // Written as they are, not joined: a copy of 150 MB into one buffer costs most of a second more.
    const lines = [encode(HEADER), encode(baseOf!({ live: true }))];
    const temporary = `${path}.tmp`;
    const next = await open(temporary, 'w');
    try {
      await writeAll(next, lines);
      await next.datasync();
    } finally {
      await next.close();
    }
    await handle!.close();
    await rename(temporary, path);
    syncDirectory(path);
    handle = await open(path, 'a');
    bytesSinceBase = 0;
    operationsSinceBase = 0;
  };

  const drain = async (): Promise<void> => {
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        if (failure) throw failure;
        const lines = batch.map((w) => w.line);
        for (const line of lines) bytesSinceBase += line.length;
        operationsSinceBase += batch.length;
        if (bytesSinceBase >= compactBytes || operationsSinceBase >= compactOperations) {
          await compact();
        } else {
          await writeAll(handle!, lines);
          await handle!.datasync();
        }
        for (const waiting of batch) waiting.settle();
      } catch (error) {
        // A change that is not on disk must not be acknowledged, nor any after it (the log would have a gap).
        failure ??= new Error(`the state file ${path} cannot be written: ${(error as Error).message}`);
        for (const waiting of batch) waiting.settle(failure);
      }
    }
    writing = undefined;
  };

  const flush = (): Promise<void> => writing ?? Promise.resolve();

  return {
    path,
    restore: read.restore,
    notes: read.notes,
    start(base) {
      baseOf = base;
      if (read.restore) {
        // A torn last line is cut off, so the next entry starts on a line of its own.
        if (read.validBytes < readFileSync(path).length) truncateSync(path, read.validBytes);
        let bytes = 0;
        for (const entry of read.restore.operations as StateEntry[]) bytes += encode(entry).length;
        bytesSinceBase = bytes;
        operationsSinceBase = (read.restore.operations as StateEntry[]).length;
      } else {
        replaceFile(path, Buffer.concat([encode(HEADER), encode(base({ data: false }))]));
      }
      // Opened for appending in the same (synchronous) step, so no change can come before the file is ready.
      handle = undefined;
      writing = open(path, 'a').then((h) => {
        handle = h;
      }).then(drain);
    },
    append(record) {
      if (closed) return Promise.reject(new Error(`the state file ${path} is closed`));
      if (failure) return Promise.reject(failure);
      let line: Buffer;
      try {
        line = encode(record);
      } catch (error) {
        // The change is made but cannot be logged: later ones must not be logged past the gap either.
        failure = new Error(`the state file ${path} cannot take a change: ${(error as Error).message}`);
        return Promise.reject(failure);
      }
      return new Promise<void>((resolve, reject) => {
        pending.push({ line, settle: (error) => (error ? reject(error) : resolve()) });
        // Before `start` the file is not open yet: what is appended waits for it (start drains it).
        if (baseOf) writing ??= drain();
      });
    },
    flush,
    async close() {
      closed = true;
      await flush();
      await handle?.close();
      handle = undefined;
    },
  };
}
