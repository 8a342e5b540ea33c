import type { ErrorDetail } from '../domain/errors.ts';

export type FaultKind = 'latency' | 'status' | 'reset' | 'malformed' | 'timeout';

/** One request and what it was answered, as an integrator reads it back in a test. */
export interface JournalEntry {
  /** The engine's order of requests. */
  seq: number;
  /** Wall-clock time the request arrived. */
  at: string;
  /** The store the request named; null when it named none (e.g. a wrong credential). */
  store: string | null;
  /** Null for a path no operation has. */
  operationId: string | null;
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  body: unknown;
  status: number;
  response: unknown;
  durationMs: number;
  /** Whether the request itself met the spec; a wrong credential value or an unknown ID still conforms. */
  conformed: boolean;
  problems: ErrorDetail[];
  fault: { id: string; kind: FaultKind } | null;
  /** Whether the operation ran to completion: false when a fault answered in its place or the request was refused. */
  executed: boolean;
}

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
  entries(filter?: JournalFilter): JournalEntry[];
  /** Forgets the entries of one store (or, without a store, every entry); returns how many went. */
  clear(store?: string | null): number;
}

const REDACTED = '[redacted]';
const SECRET_HEADERS = new Set(['x-purple-dot-access-token', 'authorization', 'cookie', 'proxy-authorization']);
const SECRET_QUERY = new Set(['token']);
/** Items of a list an entry keeps: a page of 200 pre-orders, kept 10,000 times, would be gigabytes. */
export const KEPT_LIST_ITEMS = 10;

export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    shown[lower] = SECRET_HEADERS.has(lower) ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
  }
  return shown;
}

export function redactQuery(query: Record<string, unknown>): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) shown[name] = SECRET_QUERY.has(name) ? REDACTED : value;
  return shown;
}

/**
 * The answer body as the journal keeps it: every list inside `data` cut to its first items, with a note of
 * its full length. The answer object is kept by reference otherwise (it is made fresh for each request).
 */
export function keptResponse(body: unknown): unknown {
  const data = (body as { data?: unknown } | null)?.data;
  if (Array.isArray(data)) {
    return data.length > KEPT_LIST_ITEMS ? { ...(body as object), data: data.slice(0, KEPT_LIST_ITEMS), truncated: { data: data.length } } : body;
  }
  if (data === null || typeof data !== 'object') return body;
  let cut: Record<string, unknown> | undefined;
  const truncated: Record<string, number> = {};
  for (const [key, value] of Object.entries(data)) {
    if (Array.isArray(value) && value.length > KEPT_LIST_ITEMS) {
      cut ??= { ...(data as Record<string, unknown>) };
      cut[key] = value.slice(0, KEPT_LIST_ITEMS);
      truncated[key] = value.length;
    }
  }
  return cut ? { ...(body as object), data: cut, truncated } : body;
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
  return {
    capacity,
    record(entry) {
      seq += 1;
      const numbered = { seq, ...entry };
      if (capacity === 0) return numbered;
      ring[next] = numbered;
      next = (next + 1) % capacity;
      return numbered;
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
