/**
 * JSON text made a piece at a time, as UTF-8 bytes: the bytes of `JSON.stringify(value)` (no replacer, no
 * indent), cut into pieces of about a megabyte, so a caller can let the event loop turn between pieces. A state
 * file's base holds every store's data (150 MB of text for a store of 100,000 pre-orders): one
 * `JSON.stringify` of it held the event loop for about 2 s here, and encoding that one string to UTF-8 for
 * another 2 s.
 *
 * Large containers are walked here, member by member; anything small is handed to `JSON.stringify` whole,
 * which is exact for it and far faster than a walk in JavaScript. "Small" is weighed first, by a walk that gives
 * up past a few thousand nodes, so no single native call holds the loop for long whatever the shape of the data
 * (wide, long or deep). Each small text is written straight into the current piece (`Buffer#write`): joining
 * the texts into a string first, then encoding it, cost three times as much. Long strings are cut too, never
 * between the two halves of a surrogate pair (each half would be escaped on its own).
 *
 * Exactly as `JSON.stringify`: `toJSON(key)` is called with the member's key or the item's index; a value
 * `toJSON` returns is not asked again; `undefined`, functions and symbols are left out of objects and written
 * `null` in arrays; numbers that are not finite are `null`; a BigInt throws; so does a cycle. Own enumerable
 * string keys in `Object.keys` order, `__proto__` included. (A getter is read twice, once to weigh.)
 */

export interface JsonStepsOptions {
  /** Bytes per piece, about (default 1 MiB); a single text longer than a piece comes as a piece of its own. */
  pieceBytes?: number;
  /**
   * JSON text already known for an object (text made earlier, or the UTF-8 bytes it was parsed from): written as
   * it is, neither walked nor `toJSON`ed. Bytes come out as a piece of their own, as given.
   */
  textOf?: (value: object) => string | Uint8Array | undefined;
  /** Told once a watched object has been read to its end: its text is in the pieces yielded so far and the next. */
  watch?: ReadonlyMap<object, () => void>;
  /** Nodes a value may have to be written by one `JSON.stringify` call (default 4096); 0 walks everything. */
  leafNodes?: number;
}

/** Nodes a value may have to be written by one `JSON.stringify` call: well under a millisecond of work. */
const LEAF_NODES = 4096;
/** Characters of a string per cut of it. */
const STRING_CHARS = 256 * 1024;
/** Marks a value that is walked here rather than written by `JSON.stringify`. */
const WALK = Symbol('walk');

/**
 * What a value weighs, up to `budget` nodes: the budget left, or a negative number once past it. Objects that
 * must be written here rather than by `JSON.stringify` (watched ones, ones with known text, ones whose
 * `toJSON` must be asked with their key) weigh too much on purpose.
 */
function weigh(value: unknown, budget: number, special: (value: object) => boolean): number {
  if (value === null || typeof value !== 'object') return budget - 1 - (typeof value === 'string' ? value.length >> 6 : 0);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function' || special(value)) return -1;
  let left = budget - 1;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && left >= 0; i += 1) left = weigh(value[i], left, special);
    return left;
  }
  for (const key of Object.keys(value)) {
    if (left < 0) break;
    left = weigh((value as Record<string, unknown>)[key], left - (key.length >> 6), special);
  }
  return left;
}

const isBoxed = (value: object): boolean => value instanceof Number || value instanceof String || value instanceof Boolean || value instanceof BigInt;

/** UTF-8 written into pieces of about `size` bytes; sealed pieces wait in `ready` until the walk hands them on. */
class Utf8Pieces {
  readonly ready: Uint8Array[] = [];
  private piece: Buffer;
  private at = 0;

  constructor(private readonly size: number) {
    this.piece = Buffer.allocUnsafe(size);
  }

  text(text: string): void {
    // A UTF-16 unit is at most 3 bytes of UTF-8: room for that, or a new piece (a long text gets one of its own).
    if (this.at + text.length * 3 > this.size) {
      this.seal();
      if (text.length * 3 > this.size) {
        this.ready.push(Buffer.from(text, 'utf8'));
        return;
      }
    }
    this.at += this.piece.write(text, this.at, 'utf8');
  }

  bytes(bytes: Uint8Array): void {
    this.seal();
    this.ready.push(bytes);
  }

  seal(): void {
    if (this.at === 0) return;
    this.ready.push(this.piece.subarray(0, this.at));
    this.piece = Buffer.allocUnsafe(this.size);
    this.at = 0;
  }
}

/**
 * Yields the UTF-8 bytes of `JSON.stringify(value)` in pieces; returns false (having yielded nothing) when JSON
 * has no text for it, as `JSON.stringify` returns undefined for `undefined`, a function or a symbol. Pieces are
 * the caller's to keep: none is written into again.
 */
export function* jsonPieces(value: unknown, options: JsonStepsOptions = {}): Generator<Uint8Array, boolean> {
  const { textOf, watch } = options;
  const leafNodes = options.leafNodes ?? LEAF_NODES;
  const out = new Utf8Pieces(options.pieceBytes ?? 1024 * 1024);
  const special = (object: object): boolean => (watch?.has(object) ?? false) || (textOf?.(object) !== undefined);
  /** Containers being walked: one met again inside itself is a cycle. */
  const open = new Set<object>();
  /** What `leaf` resolved a value to (its `toJSON`) when it answered WALK: `walk` must not ask again. */
  let resolved: unknown;

  function* handOn(): Generator<Uint8Array, void> {
    while (out.ready.length > 0) yield out.ready.shift()!;
  }

  /**
   * The text of a value JSON.stringify may write whole, undefined when it has none, or WALK (with `resolved`
   * set) when it is walked here: large, watched, known text, or a long string.
   */
  function leaf(key: string | number, given: unknown): string | undefined | typeof WALK {
    let value = given;
    // A function is an object too: JSON.stringify asks it for `toJSON` before leaving it out.
    if (value !== null && (typeof value === 'object' || typeof value === 'function' || typeof value === 'bigint')) {
      if (typeof value === 'object' && textOf?.(value) !== undefined) {
        resolved = value;
        return WALK;
      }
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') value = (toJSON as (key: string) => unknown).call(value, String(key));
    }
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'string' && value.length > STRING_CHARS) {
        resolved = value;
        return WALK;
      }
      return JSON.stringify(value);
    }
    // A value `toJSON` gave back is not asked again: one with a `toJSON` of its own is walked here, where
    // nothing asks it (`JSON.stringify` would). A watched value is walked, so the watcher is told.
    const asked = value !== given && typeof (value as { toJSON?: unknown }).toJSON === 'function';
    const watched = given !== null && typeof given === 'object' && (watch?.has(given) ?? false);
    if (!asked && !watched && (isBoxed(value) || weigh(value, leafNodes, special) >= 0)) return JSON.stringify(value);
    resolved = value;
    return WALK;
  }

  function* writeString(text: string): Generator<Uint8Array, void> {
    out.text('"');
    for (let at = 0; at < text.length;) {
      let end = Math.min(at + STRING_CHARS, text.length);
      // A high surrogate followed by its low one is a pair: cut before it, not through it.
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
      out.text(JSON.stringify(text.slice(at, end)).slice(1, -1));
      at = end;
      yield* handOn();
    }
    out.text('"');
  }

  /** Writes what `leaf` answered WALK for: `given` as found, `value` what it resolved to. */
  function* walk(given: unknown, value: unknown): Generator<Uint8Array, void> {
    const known = given !== null && typeof given === 'object' ? textOf?.(given) : undefined;
    if (known !== undefined) {
      if (typeof known === 'string') out.text(known);
      else out.bytes(known);
    } else if (typeof value === 'string') {
      yield* writeString(value);
    } else {
      const container = value as object;
      if (open.has(container)) throw new TypeError('Converting circular structure to JSON');
      open.add(container);
      if (Array.isArray(container)) {
        out.text('[');
        for (let i = 0; i < container.length; i += 1) {
          if (i > 0) out.text(',');
          const item: unknown = container[i];
          const text = leaf(i, item);
          if (text === WALK) yield* walk(item, resolved);
          else out.text(text ?? 'null');
          if (out.ready.length > 0) yield* handOn();
        }
        out.text(']');
      } else {
        out.text('{');
        let first = true;
        for (const key of Object.keys(container)) {
          const member: unknown = (container as Record<string, unknown>)[key];
          const text = leaf(key, member);
          // A member with no text is left out, key and all.
          if (text === undefined) continue;
          out.text(`${first ? '' : ','}${JSON.stringify(key)}:`);
          first = false;
          if (text === WALK) yield* walk(member, resolved);
          else out.text(text);
          if (out.ready.length > 0) yield* handOn();
        }
        out.text('}');
      }
      open.delete(container);
    }
    if (given !== null && typeof given === 'object') watch?.get(given)?.();
    yield* handOn();
  }

  const text = leaf('', value);
  if (text === undefined) return false;
  if (text === WALK) yield* walk(value, resolved);
  else out.text(text);
  out.seal();
  yield* handOn();
  return true;
}

/** The whole text as a string: what `JSON.stringify(value)` gives (tests, and small values). */
export function jsonText(value: unknown, options: JsonStepsOptions = {}): string | undefined {
  const pieces: Uint8Array[] = [];
  const steps = jsonPieces(value, options);
  for (let next = steps.next(); ; next = steps.next()) {
    if (next.done) return next.value ? Buffer.concat(pieces).toString('utf8') : undefined;
    pieces.push(next.value);
  }
}

/**
 * How many nodes `value` has, counted up to `limit` (a value with a `toJSON` counts as more): undefined past
 * it. Tells what is small enough to write in one go.
 */
export function nodesUpTo(value: unknown, limit: number): number | undefined {
  const left = weigh(value, limit, () => false);
  return left < 0 ? undefined : limit - left;
}
