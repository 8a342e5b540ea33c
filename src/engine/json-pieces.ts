/**
 * JSON text parsed a piece at a time. `JSON.parse` of a 150 MB snapshot holds the event loop for seconds; here
 * the text is scanned for structure only (strings skipped with a native search for the next quote), and the
 * arrays a caller names (a store's lists of 100,000 pre-orders) are parsed in batches of their items, each
 * batch a `JSON.parse` of its own text, with a pause for the caller between batches. What is left once those
 * arrays are cut out (the skeleton) is small and parsed in one go; the batches are then put back in place.
 *
 * Every byte still goes through `JSON.parse`: the skeleton and each batch, re-wrapped in brackets, so text
 * that is not JSON is refused as `JSON.parse` would refuse it. Duplicate keys resolve as `JSON.parse`
 * resolves them (the last one wins).
 */

/** A JSON string key or array position, from the root to a value. */
export type JsonPath = readonly string[];

export interface PieceOptions {
  /** Whether the array at `path` (object keys only: arrays at these paths sit in objects) is parsed in batches. */
  split: (path: JsonPath) => boolean;
  /** Hears each batch of a split array, in order, with the index of its first item; may throw to stop. */
  onItems?: (path: JsonPath, start: number, items: unknown[]) => void;
  /** Text deeper than this many nested containers is refused before anything is parsed. */
  maxDepth: number;
  /** Bytes of items per batch (a batch ends at the first item boundary past it). */
  batchBytes?: number;
}

export class JsonTextError extends Error {
  constructor(message: string, readonly kind: 'malformed' | 'too_deep', readonly path?: string) {
    super(message);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

interface Frame {
  array: boolean;
  /** The key this container sits under in its parent object, when its path is tracked (shallow containers). */
  path: JsonPath | undefined;
  /** Object frames: the byte range of the last key read, and whether a value is expected next. */
  keyStart: number;
  keyEnd: number;
  /** Split arrays: where the current batch's text starts, and the items parsed before it. */
  split: boolean;
  batchStart: number;
  done: number;
  items: unknown[];
}

/** Bytes scanned between pauses: about a millisecond of scanning on a slow machine. */
const SCAN_BYTES_PER_STEP = 1 << 20;

const malformed = (): JsonTextError => new JsonTextError('is not valid JSON', 'malformed');

/** Parses `[` + text + `]`, which must hold an item: a batch ends at a comma or starts after one. */
function parseBatch(text: string): unknown[] {
  let items: unknown;
  try {
    items = JSON.parse(`[${text}]`);
  } catch {
    throw malformed();
  }
  if ((items as unknown[]).length === 0) throw malformed();
  return items as unknown[];
}

/**
 * Parses `bytes` (UTF-8 JSON) and returns the value, yielding between pieces of work so the caller can let
 * other work run; each piece is at most a batch's parse or about a megabyte of scanning.
 */
export function* parseJsonInPieces(bytes: Uint8Array, options: PieceOptions): Generator<void, unknown> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const batchBytes = options.batchBytes ?? 256 * 1024;
  const stack: Frame[] = [];
  /** The skeleton's text: everything but the split arrays' insides. */
  const skeleton: string[] = [];
  let copiedTo = 0;
  /** Each split array's items, by its path; a later array at the same path replaces an earlier one, as a duplicate key would. */
  const lists = new Map<string, { path: JsonPath; items: unknown[] }>();
  let nextPause = SCAN_BYTES_PER_STEP;

  const endBatch = (frame: Frame, end: number, last: boolean): void => {
    const text = buffer.toString('utf8', frame.batchStart, end);
    // Only an empty array's one batch holds no item: every other batch ends at a comma or starts after one.
    // JSON's whitespace only: String.prototype.trim also drops a no-break space or a byte order mark, which
    // JSON.parse refuses.
    const empty = last && frame.done === 0 && /^[ \t\n\r]*$/.test(text);
    const items = empty ? [] : parseBatch(text);
    if (items.length > 0) options.onItems?.(frame.path!, frame.done, items);
    for (const item of items) frame.items.push(item);
    frame.done += items.length;
    frame.batchStart = end + 1;
  };

  const keyOf = (frame: Frame): string => {
    try {
      return JSON.parse(buffer.toString('utf8', frame.keyStart, frame.keyEnd)) as string;
    } catch {
      throw malformed();
    }
  };

  let i = 0;
  const length = buffer.length;
  while (i < length) {
    if (i >= nextPause) {
      nextPause = i + SCAN_BYTES_PER_STEP;
      yield;
    }
    const byte = buffer[i]!;
    if (byte === QUOTE) {
      // The string's end: the next quote not escaped by an odd run of backslashes.
      let end = buffer.indexOf(QUOTE, i + 1);
      for (;;) {
        if (end < 0) throw malformed();
        let slashes = 0;
        while (buffer[end - 1 - slashes] === BACKSLASH) slashes += 1;
        if (slashes % 2 === 0) break;
        end = buffer.indexOf(QUOTE, end + 1);
      }
      const top = stack[stack.length - 1];
      if (top && !top.array && top.keyEnd < 0) {
        top.keyStart = i;
        top.keyEnd = end + 1;
      }
      i = end + 1;
      continue;
    }
    if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      const parent = stack[stack.length - 1];
      if (stack.length >= options.maxDepth) {
        // Named by the deepest container whose path is followed (the store's list, say), not the exact spot.
        let named: JsonPath = [];
        for (const frame of stack) if (frame.path) named = frame.path;
        throw new JsonTextError(`nests deeper than ${options.maxDepth} levels`, 'too_deep', named.join('.'));
      }
      // Paths are followed only through objects, from the root: the only arrays split sit at such paths.
      let path: JsonPath | undefined;
      if (!parent) path = [];
      else if (parent.path && !parent.array && parent.keyEnd >= 0) path = [...parent.path, keyOf(parent)];
      const split = byte === OPEN_ARRAY && path !== undefined && path.length > 0 && options.split(path);
      if (split) {
        // The skeleton keeps the brackets; the inside comes back from the batches.
        skeleton.push(buffer.toString('utf8', copiedTo, i + 1));
      }
      stack.push({
        array: byte === OPEN_ARRAY, path, keyStart: -1, keyEnd: -1,
        split, batchStart: i + 1, done: 0, items: [],
      });
      i += 1;
      continue;
    }
    if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      const frame = stack.pop();
      if (!frame || frame.array !== (byte === CLOSE_ARRAY)) throw malformed();
      if (frame.split) {
        endBatch(frame, i, true);
        copiedTo = i;
        lists.set(JSON.stringify(frame.path), { path: frame.path!, items: frame.items });
        yield;
      }
      i += 1;
      continue;
    }
    const top = stack[stack.length - 1];
    if (byte === COMMA && top) {
      if (!top.array) {
        top.keyEnd = -1;
      } else if (top.split) {
        if (i - top.batchStart >= batchBytes) {
          endBatch(top, i, false);
          yield;
        }
      }
    } else if (byte === COLON && top && !top.array && top.keyEnd < 0) {
      throw malformed();
    }
    i += 1;
  }
  if (stack.length > 0) throw malformed();
  skeleton.push(buffer.toString('utf8', copiedTo));
  let value: unknown;
  try {
    value = JSON.parse(skeleton.join(''));
  } catch {
    throw malformed();
  }
  // Each split array's items go back where JSON.parse left its (empty) array; a path whose value is no longer
  // an array there (a later duplicate key replaced it) keeps that later value.
  for (const { path, items } of lists.values()) {
    let holder: unknown = value;
    for (const key of path.slice(0, -1)) holder = ownValue(holder, key);
    const last = path[path.length - 1]!;
    if (Array.isArray(ownValue(holder, last))) setOwnValue(holder as object, last, items);
  }
  return value;
}

/** An object's own property (JSON.parse makes `__proto__` an own property; `object[key]` would read the prototype). */
export const ownValue = (holder: unknown, key: string): unknown =>
  holder !== null && typeof holder === 'object' && Object.hasOwn(holder, key) ? (holder as Record<string, unknown>)[key] : undefined;

/** Sets an own property, `__proto__` included, as JSON.parse would have. */
export const setOwnValue = (holder: object, key: string, value: unknown): void => {
  Object.defineProperty(holder, key, { value, writable: true, enumerable: true, configurable: true });
};
