import { deepFreeze } from './freeze.ts';
import type { components } from '../../generated/simulator.ts';

export type FaultKind = components['schemas']['FaultKind'];

/** One request and what it was answered, as an integrator reads it back in a test (schema JournalEntry). */
export type JournalEntry = components['schemas']['JournalEntry'];

export interface JournalFilter {
  store?: string | null;
  operationId?: string;
  method?: string;
  path?: string;
  status?: number;
  conformed?: boolean;
}

/** The requests of one engine, newest last, at most `capacity` of them: the oldest give way. */
export interface Journal {
  readonly capacity: number;
  /** Numbers the entry and keeps it (unless the capacity is 0); returns it either way. */
  record(entry: Omit<JournalEntry, 'seq'>): JournalEntry;
  /** As `record`, for an entry made with a `seq` (first, as `record` puts it): numbered in place, not copied. */
  recordNumbered(entry: JournalEntry): JournalEntry;
  entries(filter?: JournalFilter): JournalEntry[];
  /** Forgets the entries of one store (or, without a store, every entry); returns how many went. */
  clear(store?: string | null): number;
}

const REDACTED = '[redacted]';
const SECRET_HEADERS = new Set(['x-purple-dot-access-token', 'authorization', 'cookie', 'proxy-authorization']);
const SECRET_QUERY = new Set(['token']);
/** Keys whose values are secrets wherever they appear in a body or an answer (store credentials, shopper tokens). */
const SECRET_KEYS = new Set(['private_access_token', 'shared_secret', 'token']);
/** Items of a list an entry keeps: a page of 200 pre-orders, kept 10,000 times, would be gigabytes. */
export const KEPT_LIST_ITEMS = 10;
const KEPT_STRING_LENGTH = 2_000;
const KEPT_DEPTH = 8;

let isoMs = NaN;
let isoText = '';

/** `new Date().toISOString()`, made once per millisecond (each request's journal entry has one). */
export function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoText = new Date(now).toISOString();
    isoMs = now;
  }
  return isoText;
}

/**
 * Whether `toLowerCase` would change the name: a letter A–Z, or any character beyond ASCII (which the test
 * leaves to `toLowerCase`). `toLowerCase` itself makes a new string even when nothing changes.
 */
export const hasUpperCase = (name: string): boolean => /[A-Z\u0080-\uffff]/.test(name);

// Both below are run on every request: plain loops over the keys (no array per entry), and a name already in
// lower case (as Node gives them) is not lower-cased again, which would make a new string each time.
export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = hasUpperCase(name) ? name.toLowerCase() : name;
    shown[lower] = SECRET_HEADERS.has(lower) ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
  }
  return shown;
}

/** The query as HTTP carries it (text), the shopper token hidden. */
export function redactQuery(query: Record<string, unknown>): Record<string, string | string[]> {
  const shown: Record<string, string | string[]> = {};
  for (const name of Object.keys(query)) {
    const value = query[name];
    if (value === undefined) continue;
    shown[name] = SECRET_QUERY.has(name) ? REDACTED : Array.isArray(value) ? value.map(String) : String(value);
  }
  return shown;
}

/**
 * A body or an answer as the journal keeps it: a copy (so a caller changing its object later cannot rewrite
 * history), with every list cut to its first items and every long string cut, secrets hidden, and a
 * `truncated` note at the top naming each cut list by its path (`data.orders`) with its full length. This
 * bounds an entry's size whatever was sent, so the journal is bounded in bytes, not only in entries.
 */
export function journalCopy(value: unknown): unknown {
  const truncated: Record<string, number> = {};
  const kept = keep(value, '', 0, truncated);
  if (Object.keys(truncated).length === 0) return kept;
  return kept !== null && typeof kept === 'object' && !Array.isArray(kept) ? { ...kept, truncated } : { value: kept, truncated };
}

/**
 * One value of journalCopy. Written as plain loops, and a child's path is built only for a child that is an
 * object or a list (only a cut list names its path): copying ten presented pre-orders with `Object.entries`,
 * `fromEntries` and a path string per field was a tenth of a page of 50's time.
 */
function keep(item: unknown, path: string, depth: number, truncated: Record<string, number>): unknown {
  if (typeof item === 'string') return item.length > KEPT_STRING_LENGTH ? `${item.slice(0, KEPT_STRING_LENGTH)}…(${item.length} characters)` : item;
  if (item === null || typeof item !== 'object') return item;
  if (depth >= KEPT_DEPTH) return '…(nested too deep to keep)';
  if (Object.isFrozen(item) && !Array.isArray(item)) return keepFrozen(item, path, depth, truncated);
  return copyOf(item, path, depth, truncated);
}

/** An object or list as keep() copies it, its children through keep(). */
function copyOf(item: object, path: string, depth: number, truncated: Record<string, number>): unknown {
  if (Array.isArray(item)) {
    if (item.length > KEPT_LIST_ITEMS) truncated[path || '(root)'] = item.length;
    const list: unknown[] = item.slice(0, KEPT_LIST_ITEMS);
    for (let i = 0; i < list.length; i += 1) {
      if (!(i in list)) continue; // a hole stays a hole, as map leaves it
      const v = list[i];
      list[i] = v !== null && typeof v === 'object' ? keep(v, `${path}[${i}]`, depth + 1, truncated) : keep(v, '', depth + 1, truncated);
    }
    return list;
  }
  const copy: Record<string, unknown> = {};
  // for…in with an own-property test visits what Object.keys lists, in its order, without a new array per object.
  for (const key in item) {
    if (!Object.hasOwn(item, key)) continue;
    const v = (item as Record<string, unknown>)[key];
    const kept = SECRET_KEYS.has(key) && typeof v === 'string'
      ? REDACTED
      : keep(v, v !== null && typeof v === 'object' ? (path ? `${path}.${key}` : key) : '', depth + 1, truncated);
    // Defined, not assigned: a field named `__proto__` is kept as a field, not made the copy's prototype.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: kept, enumerable: true, writable: true, configurable: true });
    else copy[key] = kept;
  }
  return copy;
}

/** A frozen value's copy, made once per depth, with the lists it cut by their path inside it. */
interface FrozenCopy {
  depth: number;
  kept: unknown;
  cuts: [string, number][];
}

const frozenCopies = new WeakMap<object, FrozenCopy>();

/**
 * A frozen value (a presented pre-order shared by the answers that read it unchanged) never changes, so its copy
 * is made once and shared by every journal entry that holds it, frozen in turn; only the paths of the lists it
 * cuts depend on where it sits, and are named afresh each time.
 */
function keepFrozen(item: object, path: string, depth: number, truncated: Record<string, number>): unknown {
  let copy = frozenCopies.get(item);
  if (copy === undefined || copy.depth !== depth) {
    const inside: Record<string, number> = {};
    const kept = copyOf(item, '', depth, inside);
    copy = { depth, kept: deepFreeze(kept), cuts: Object.entries(inside) };
    frozenCopies.set(item, copy);
  }
  for (const [inner, length] of copy.cuts) truncated[inner.startsWith('[') ? `${path}${inner}` : path ? `${path}.${inner}` : inner] = length;
  return copy.kept;
}


const matches = (entry: JournalEntry, filter: JournalFilter): boolean =>
  (filter.store === undefined || entry.store === filter.store)
  && (filter.operationId === undefined || entry.operationId === filter.operationId)
  && (filter.method === undefined || entry.method === filter.method.toUpperCase())
  && (filter.path === undefined || entry.path === filter.path)
  && (filter.status === undefined || entry.status === filter.status)
  && (filter.conformed === undefined || entry.conformed === filter.conformed);

/** A ring buffer: recording is O(1) and never allocates past the bound. Capacity 0 keeps nothing. */
export function createJournal(capacity = 10_000): Journal {
  if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError('journalSize must be an integer >= 0');
  const ring: (JournalEntry | undefined)[] = new Array(capacity);
  let next = 0;
  let seq = 0;
  const inOrder = (): JournalEntry[] => {
    const ordered: JournalEntry[] = [];
    for (let i = 0; i < capacity; i += 1) {
      const entry = ring[(next + i) % capacity];
      if (entry) ordered.push(entry);
    }
    return ordered;
  };
  const keepEntry = (numbered: JournalEntry): JournalEntry => {
    if (capacity === 0) return numbered;
    ring[next] = numbered;
    next = (next + 1) % capacity;
    return numbered;
  };
  return {
    capacity,
    record(entry) {
      seq += 1;
      return keepEntry({ seq, ...entry });
    },
    recordNumbered(entry) {
      seq += 1;
      entry.seq = seq;
      return keepEntry(entry);
    },
    entries: (filter = {}) => inOrder().filter((entry) => matches(entry, filter)),
    clear(store) {
      let cleared = 0;
      for (let i = 0; i < capacity; i += 1) {
        const entry = ring[i];
        if (entry && (store === undefined || entry.store === store)) {
          ring[i] = undefined;
          cleared += 1;
        }
      }
      return cleared;
    },
  };
}
