import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, truncateSync, writeSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import type { StateBase, StateEntry, StateLog, StateRecord, StateRestore } from '../engine/state-log.ts';
import { startCompaction, type CompactedFile, type Compaction } from './compaction.ts';
import { syncDirectory, writeParts } from './file-writes.ts';
import { jsonPieces, nodesUpTo } from './json-steps.ts';
import { pacer, runPaced } from './pace.ts';
import { sourceJsonOf } from '../engine/source-json.ts';
import { decodeLine, encodeLine, lineFromPieces } from './state-line.ts';

/**
 * The state log in one file, JSON Lines: a header, a base, then one line per acknowledged change. Each line
 * carries a CRC-32 of its JSON (see state-line.ts), so a line a crash cut short, or one damaged later, is told
 * apart from a good one. Appends are group-committed: every change queued while a write is under way goes in
 * the next write, and each answer waits for the fsync that covers it, in the order the changes were appended.
 * Webhooks owed to receivers have lines of their own (queued, then each attempt), so those not yet delivered are
 * sent after a restart.
 *
 * Now and then the file is compacted: a new file holding a base of the stores as they stand, then the changes
 * appended since, replaces it by rename, so a crash leaves either the old or the new one. Neither a compaction
 * nor a large line holds the event loop for long (a base of 100,000 pre-orders is 150 MB of JSON, which took
 * seconds to encode in one go): a compaction is written in steps while the stores go on changing (see
 * compaction.ts, which gives up if a store changes under it, to try again later), and a snapshot import's line
 * is written from the bytes its body was parsed from (see source-json.ts), in steps too.
 */

const HEADER = { t: 'header', format: 'purple-dot-sim/state', version: 1 } as const;

export interface StateFileOptions {
  /** Compact once the changes since the base take this many bytes (default 64 MiB) ... */
  compactBytes?: number;
  /** ... or number this many (default 100,000). */
  compactOperations?: number;
  /**
   * How long after a compaction in steps gave up the next may start (default 1 s), doubling with each one that
   * gives up in a row, up to a minute.
   */
  retryMs?: number;
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
  /** Settles when the file has nothing under way: every change on disk, and no compaction being written. */
  idle(): Promise<void>;
  /** Flushes, then closes the file (a compaction under way is dropped); later appends are refused. */
  close(): Promise<void>;
}

/** A state file that cannot be used as it is; the message says why and what to do. */
export class StateFileError extends Error {}

/** The kinds of line that may follow the base. */
const ENTRY_KINDS: ReadonlySet<string> = new Set<StateEntry['t']>(['op', 'webhook', 'webhook.attempt']);

interface Read {
  restore: StateRestore | undefined;
  /** Bytes of whole, valid lines: where the next append goes. */
  validBytes: number;
  /** Where the base line ends: the bytes after it are the changes since the base. */
  baseEnd: number;
  notes: string[];
}

/** Reads a state file: its valid lines, a torn final line dropped with a note, damage anywhere else refused. */
function readStateFile(path: string): Read {
  const bytes = readFileSync(path);
  if (bytes.length === 0) return { restore: undefined, validBytes: 0, baseEnd: 0, notes: [] };
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
    const decoded = line.end === bytes.length && bytes[line.end - 1] !== 0x0a ? { problem: 'it has no line end' } : decodeLine(line.text);
    if ('value' in decoded) {
      records.push(decoded.value as StateRecord | typeof HEADER);
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
  if (header === undefined) return { restore: undefined, validBytes: 0, baseEnd: 0, notes };
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
  return { restore: { base, operations: operations as StateEntry[] }, validBytes, baseEnd: lines[1]!.end, notes };
}

/** Writes a whole file through a temporary one, fsynced, then renamed over the path. */
async function replaceFile(path: string, parts: readonly Uint8Array[]): Promise<void> {
  const temporary = `${path}.tmp`;
  const next = await open(temporary, 'w');
  try {
    await writeParts(next, parts);
    await next.datasync();
  } finally {
    await next.close();
  }
  await rename(temporary, path);
  syncDirectory(path);
}

/** The same, synchronously: a new file's first base, before anything can be appended. */
function replaceFileNow(path: string, text: Buffer): void {
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

/** A line: its bytes (in parts), or (a snapshot import's) the pieces of its JSON, checksummed and written in steps. */
type Line = Buffer[] | { pieces: Uint8Array[]; sent: Uint8Array };

interface Waiting {
  /** Its place in the order of appends, counted from 1. */
  seq: number;
  line: Line;
  settle: (error?: Error) => void;
}

/** A compaction under way, and the lines written to the old file since its base was taken. */
interface Running {
  job: Compaction;
  /** The last append its base holds: later ones follow the base in the new file. */
  seq: number;
  carried: Buffer[][];
  carriedBytes: number;
  /** The new file, once its base is on disk: the drain switches to it between two batches. */
  ready?: CompactedFile;
}

/** A compaction that gave up is tried again after `retryMs` (this by default), doubling with each try, up to a minute. */
const RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;
/**
 * Past this many times the thresholds, after a compaction in steps gave up (a large store changing all the
 * time), the file is compacted in one go: one long pause rather than a file that grows without end.
 */
const AT_ONCE_FACTOR = 4;

/**
 * A record's line. A snapshot import's body (the parsed snapshot, whose objects the store goes on to change)
 * is written as the bytes it was parsed from, when they were recorded (see source-json.ts): the rest of the
 * record is small and encoded now, and the line is made fit for one line, checksummed and written later, in
 * steps (see client-json.ts). Bytes that are not UTF-8 would not read back the same (the reader decodes the
 * line, and the body's parser had decoded them with replacement characters), so such a body is encoded now.
 */
function lineOf(record: StateEntry): Line {
  const body = record.t === 'op' ? record.body : undefined;
  const source = sourceJsonOf(body);
  if (source !== undefined && isUtf8(source)) {
    return { pieces: [...jsonPieces(record, { textOf: (value) => (value === body ? source : undefined) })], sent: source };
  }
  // Any other record is encoded now: its objects may change after this turn. A large one (an import whose bytes
  // were not recorded) in pieces, in one go: for 150 MB, JSON.stringify and the encoding of its one string took
  // 3.5 s here, the pieces about 1 s.
  if (nodesUpTo(record, LARGE_RECORD_NODES) === undefined) return lineFromPiecesNow(jsonPieces(record));
  return [encodeLine(record)];
}

/** A record with more JSON nodes than this is encoded in pieces. */
const LARGE_RECORD_NODES = 4096;

/**
 * Opens (or creates) a state file. Reading it happens here, synchronously, so a damaged file refuses before
 * anything listens; the engine is then made from `restore` and handed to `start`.
 */
export function openStateFile(path: string, options: StateFileOptions = {}): StateFile {
  const compactBytes = options.compactBytes ?? 64 * 1024 * 1024;
  const compactOperations = options.compactOperations ?? 100_000;
  const retryMs = options.retryMs ?? RETRY_MS;
  const read = existsSync(path) ? readStateFile(path) : { restore: undefined, validBytes: 0, baseEnd: 0, notes: [] };
  const header = encodeLine(HEADER);
  let handle: FileHandle | undefined;
  let baseOf: ((options?: { data?: boolean; live?: boolean }) => StateBase) | undefined;
  let bytesSinceBase = 0;
  let operationsSinceBase = 0;
  let appended = 0;
  let pending: Waiting[] = [];
  let writing: Promise<void> | undefined;
  let closed = false;
  let failure: Error | undefined;
  let compaction: Running | undefined;
  /** Compactions in steps that gave up in a row, and when the next may start. */
  let gaveUp = 0;
  let retryAt = 0;

  const due = (factor: number): boolean => bytesSinceBase >= factor * compactBytes || operationsSinceBase >= factor * compactOperations;

  /** After a compaction gave up: the next waits a while (a store written to all the time would spoil it again). */
  const backOff = (): void => {
    gaveUp += 1;
    retryAt = Date.now() + Math.min(MAX_RETRY_MS, retryMs * 2 ** (gaveUp - 1));
  };

  /**
   * Starts a compaction in steps when the changes since the base call for one. The base is taken here, in the
   * turn right after a batch was written: it holds every change appended so far (each was made in the turn it
   * was appended in), and those not yet written go to the old file only.
   */
  const maybeCompact = (): void => {
    if (compaction || closed || failure || !due(1) || Date.now() < retryAt) return;
    const running: Running = { job: startCompaction(`${path}.compact`, header, baseOf!({ live: true })), seq: appended, carried: [], carriedBytes: 0 };
    compaction = running;
    void running.job.done.then((file) => {
      if (compaction !== running) {
        // Dropped meanwhile (closing, or compacted in one go): the new file is not wanted.
        if (file) void file.handle.close().then(() => unlink(file.temporary)).catch(() => {});
        return;
      }
      if (!file) {
        compaction = undefined;
        backOff();
        return;
      }
      gaveUp = 0;
      running.ready = file;
      if (baseOf && !closed) writing ??= drain();
    });
  };

  /** Drops the compaction under way; its file is removed once it stops. */
  const dropCompaction = (why: string): void => {
    const running = compaction;
    if (!running) return;
    compaction = undefined;
    running.job.cancel(why);
    const file = running.ready;
    if (file) void file.handle.close().then(() => unlink(file.temporary)).catch(() => {});
  };

  /**
   * Puts the compacted file in place: the lines written since its base follow the base, fsynced, then the rename.
   * Until the rename the old file holds every acknowledged change, after it the new one does.
   */
  const switchToCompacted = async (running: Running): Promise<void> => {
    const file = running.ready!;
    compaction = undefined;
    try {
      await writeParts(file.handle, running.carried.flat(), file.bytes);
      await file.handle.datasync();
      await file.handle.close();
      await rename(file.temporary, path);
    } catch {
      // The old file is still whole and open: carry on with it, and compact again later.
      await file.handle.close().catch(() => {});
      await unlink(file.temporary).catch(() => {});
      backOff();
      return;
    }
    syncDirectory(path);
    const old = handle!;
    handle = await open(path, 'a');
    await old.close();
    bytesSinceBase = running.carriedBytes;
    operationsSinceBase = running.carried.length;
  };

  /** Compacts in one go (see AT_ONCE_FACTOR): the base holds `batch`, which is then acknowledged with it. */
  const compactAtOnce = async (): Promise<void> => {
    // The base's pieces are made in this turn (faster than one JSON.stringify, and consistent), written after.
    const pieces = [header, ...lineFromPiecesNow(jsonPieces(baseOf!({ live: true })))];
    await replaceFile(path, pieces);
    const old = handle!;
    handle = await open(path, 'a');
    await old.close();
    bytesSinceBase = 0;
    operationsSinceBase = 0;
    gaveUp = 0;
    retryAt = 0;
  };

  const drain = async (): Promise<void> => {
    const pace = pacer();
    for (;;) {
      // The switch waits for the appends its base holds to be written to the old file first.
      const ready = compaction?.ready ? compaction : undefined;
      if (ready && !(pending.length > 0 && pending[0]!.seq <= ready.seq)) {
        try {
          await switchToCompacted(ready);
        } catch (error) {
          failure ??= new Error(`the state file ${path} cannot be written: ${(error as Error).message}`);
        }
        continue;
      }
      if (pending.length === 0) break;
      const batch = pending;
      pending = [];
      try {
        if (failure) throw failure;
        if (gaveUp > 0 && !compaction && due(AT_ONCE_FACTOR)) {
          await compactAtOnce();
        } else {
          const lines: Buffer[][] = [];
          for (const waiting of batch) {
            lines.push(Array.isArray(waiting.line) ? waiting.line : await runPaced(lineFromPieces(waiting.line.pieces, waiting.line.sent), pace));
          }
          await writeParts(handle!, lines.flat());
          await handle!.datasync();
          for (const [i, line] of lines.entries()) {
            let bytes = 0;
            for (const part of line) bytes += part.length;
            bytesSinceBase += bytes;
            operationsSinceBase += 1;
            const running = compaction;
            if (running && batch[i]!.seq > running.seq) {
              running.carried.push(line);
              running.carriedBytes += bytes;
            }
          }
        }
        for (const waiting of batch) waiting.settle();
      } catch (error) {
        // A change that is not on disk must not be acknowledged, nor any after it (the log would have a gap).
        failure ??= new Error(`the state file ${path} cannot be written: ${(error as Error).message}`);
        dropCompaction(failure.message);
        for (const waiting of batch) waiting.settle(failure);
        continue;
      }
      maybeCompact();
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
        bytesSinceBase = read.validBytes - read.baseEnd;
        operationsSinceBase = (read.restore.operations as StateEntry[]).length;
      } else {
        replaceFileNow(path, Buffer.concat([header, encodeLine(base({ data: false }))]));
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
      let line: Line;
      try {
        line = lineOf(record);
      } catch (error) {
        // The change is made but cannot be logged: later ones must not be logged past the gap either.
        failure = new Error(`the state file ${path} cannot take a change: ${(error as Error).message}`);
        dropCompaction(failure.message);
        return Promise.reject(failure);
      }
      appended += 1;
      compaction?.job.heard(record);
      const seq = appended;
      return new Promise<void>((resolve, reject) => {
        pending.push({ seq, line, settle: (error) => (error ? reject(error) : resolve()) });
        // Before `start` the file is not open yet: what is appended waits for it (start drains it).
        if (baseOf) writing ??= drain();
      });
    },
    flush,
    async idle() {
      for (;;) {
        if (writing) await writing;
        else if (compaction && !compaction.ready) await compaction.job.done;
        else return;
      }
    },
    async close() {
      closed = true;
      dropCompaction(`the state file ${path} is closing`);
      await flush();
      await handle?.close();
      handle = undefined;
    },
  };
}

/** A line made from pieces in one go (see `lineFromPieces`), as its parts. */
function lineFromPiecesNow(pieces: Generator<Uint8Array, boolean>): Buffer[] {
  const steps = lineFromPieces(pieces);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}
