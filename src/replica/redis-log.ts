import { Redis, type RedisOptions } from 'ioredis';
import { sourceJsonOf } from '../engine/source-json.ts';
import { clientJsonParts } from '../state/client-json.ts';
import type { OrderedChange, PendingWebhook, StateBase } from '../engine/state-log.ts';

/**
 * The shared state log in Redis: one stream for the store registry (stores made and deleted) and one per store
 * (every other change), each entry numbered 1, 2, 3 … within its stream by the same atomic script that appends
 * it, so a replica can tell a gap (entries trimmed before it read them) from an empty read. A compacted base
 * (the stores as they stood, and where in each stream that was) lets a new replica start without replaying
 * everything. Redis orders and keeps the changes; what a change does is decided by each replica, the same way
 * (the domain is deterministic).
 */

/** Where one stream stands: its last entry's Redis ID and number (`0-0` and 0 before the first). */
export interface StreamPosition {
  id: string;
  n: number;
}

/** A compacted base: the stores as they stood and how far into each stream that was. */
export interface SharedBase {
  format: 'purple-dot-sim/shared-base';
  version: 1;
  base: StateBase;
  registry: StreamPosition;
  stores: Record<string, StreamPosition>;
}

/** One entry of a stream, as read. */
export interface SharedEntry {
  id: string;
  n: number;
  /** The time the log gave it: its Redis ID's milliseconds (Redis keeps them rising within a stream). */
  wall: number;
  change: OrderedChange;
  /** Who proposed it: the proposing instance waits for its own entries by this. */
  proposal: string;
}

/** Where the shared log lives: a Redis URL and a namespace for its keys (several simulators may share one Redis). */
export interface RedisLocation {
  url: string;
  /** Prefix of every key (default `purple-dot-sim`); from the URL's `?namespace=` when given there. */
  namespace: string;
  options: RedisOptions;
}

/** Reads `redis://[user:password@]host[:port][/db][?namespace=name]`; refuses anything else, naming what is wrong. */
export function parseRedisUrl(text: string): RedisLocation {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--state ${text} is not a URL; expected redis://HOST:PORT[/DB]`);
  }
  if (url.protocol !== 'redis:') throw new Error(`--state ${text}: only redis:// URLs are supported`);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw new Error(`--state ${text}: the database must be a number (redis://HOST:PORT/DB)`);
  const namespace = url.searchParams.get('namespace') ?? 'purple-dot-sim';
  if (!/^[\w.-]{1,100}$/.test(namespace)) throw new Error(`--state ${text}: the namespace must be 1 to 100 letters, digits, '.', '_' or '-'`);
  return {
    url: `redis://${url.host}${db ? `/${db}` : ''}`,
    namespace,
    options: {
      host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
      port: url.port ? Number(url.port) : 6379,
      db: db ? Number(db) : 0,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    },
  };
}

/** Redis could not be reached or refused a command: the change or read cannot be vouched for. */
export class SharedLogUnavailable extends Error {}

// Numbered and appended in one step, so numbers follow the stream's order exactly.
const APPEND = `
local n = redis.call('INCR', KEYS[2])
local id = redis.call('XADD', KEYS[1], '*', 'n', n, 'c', ARGV[1], 'p', ARGV[2])
return {id, n}`;

// Redis's time, then what the streams hold after the given IDs, in one atomic step: every entry appended later
// gets an ID (milliseconds) no earlier than that time, so a replica that applied the result may run its clocks
// up to it without getting ahead of any change still to come.
const CATCH_UP = `
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local args = {'COUNT', ARGV[1], 'STREAMS'}
for i = 1, #KEYS do args[#args + 1] = KEYS[i] end
for i = 2, #ARGV do args[#args + 1] = ARGV[i] end
return {ms, redis.call('XREAD', unpack(args))}`;

// Takes the lease when free, or renews it when this holder has it; 1 when held by this holder after the call.
const LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
elseif holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

// Gives a lease up only when this holder still has it.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type RawStreams = [key: string, entries: [id: string, fields: string[]][]][] | null;

export interface RedisLog {
  readonly location: RedisLocation;
  /** The stream of a store's changes, or of the registry's when `store` is undefined. */
  streamOf(store: string | undefined): string;
  /** Appends a change to a stream, tagged with the proposer's key; resolves with its ID and number once Redis has it. */
  append(stream: string, change: OrderedChange, proposal: string): Promise<StreamPosition>;
  /** What the streams hold after the given IDs, oldest first per stream; with `blockMs`, waits that long for something. */
  read(after: ReadonlyMap<string, string>, options?: { blockMs?: number; count?: number }): Promise<Map<string, SharedEntry[]>>;
  /**
   * Redis's time and what the streams hold after the given IDs, read in one atomic step: no entry appended
   * later has an earlier time. `complete` is false when a stream had more than `count` (the rest follow later).
   */
  catchUp(after: ReadonlyMap<string, string>, count?: number): Promise<{ time: number; entries: Map<string, SharedEntry[]>; complete: boolean }>;
  /** Redis's time, in milliseconds. */
  time(): Promise<number>;
  /** Every entry of a stream after an ID, read in pages. */
  readAll(stream: string, after: string): Promise<SharedEntry[]>;
  base(): Promise<SharedBase | undefined>;
  /** Stores a base: only when none exists with `onlyIfNone` (the first start); resolves whether it was stored. */
  saveBase(base: SharedBase, options?: { onlyIfNone?: boolean }): Promise<boolean>;
  /**
   * Stores a base given as the pieces of its JSON text: appended to a key of its own piece by piece, then renamed
   * over the base, so a reader sees the old base or the whole new one. Stops (storing nothing) once `spoilt`
   * says why; resolves whether it was stored.
   */
  saveBaseInPieces(pieces: Iterator<Uint8Array, unknown>, spoilt: () => string | undefined): Promise<boolean>;
  /** Drops entries of a stream older than the ID (kept by a base taken at or after it). */
  trim(stream: string, beforeId: string): Promise<void>;
  /** Keeps (or updates) one undelivered webhook under `field` (`<instance>:<its id there>`), for whoever sends next. */
  keepWebhook(field: string, webhook: PendingWebhook): Promise<void>;
  dropWebhooks(fields: readonly string[]): Promise<void>;
  /** Every undelivered webhook kept, by field. */
  webhooksLeft(): Promise<Map<string, PendingWebhook>>;
  /** Takes or renews leases for `holder`, for `ttlMs`; resolves with the names held after the call. */
  lease(names: readonly string[], holder: string, ttlMs: number): Promise<Set<string>>;
  release(names: readonly string[], holder: string): Promise<void>;
  /** Resolves once Redis answers a PING (after a restart of Redis, say). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const entryOf = ([id, fields]: [string, string[]]): SharedEntry => {
  const values: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) values[fields[i]!] = fields[i + 1]!;
  return { id, n: Number(values.n), wall: Number(id.slice(0, id.indexOf('-'))), change: JSON.parse(values.c ?? 'null') as OrderedChange, proposal: values.p ?? '' };
};

/**
 * A change as the JSON an entry holds. A body parsed from bytes that were kept (a snapshot import over HTTP, see
 * source-json.ts) is written as those bytes: encoding 150 MB of parsed snapshot again would hold the event loop
 * for seconds, and the bytes are JSON that reads back as the same value.
 */
function changeText(change: OrderedChange): string | Buffer {
  const bytes = sourceJsonOf(change.body);
  if (!bytes) return JSON.stringify(change);
  const { body: _body, ...rest } = change;
  const head = JSON.stringify(rest);
  // As the state file writes them: a byte JSON does not allow outside strings (a byte order mark) becomes a space.
  return Buffer.concat([Buffer.from(`${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"body":`), ...clientJsonParts(bytes), Buffer.from('}')]);
}

/** Why a command failed, in words for the client's error message rather than the Redis client's own. */
function why(error: unknown): string {
  const message = (error as Error).message ?? String(error);
  // Commands fail at once while disconnected (no offline queue, no retries), saying so in the client's words.
  if (/enableOfflineQueue|max retries per request|Connection is closed/i.test(message)) return 'is not connected';
  if (/timed? ?out/i.test(message)) return 'did not answer in time';
  return `refused the command (${message})`;
}

const unavailable = (location: RedisLocation, error: unknown): SharedLogUnavailable =>
  error instanceof SharedLogUnavailable ? error : new SharedLogUnavailable(`Redis at ${location.url} ${why(error)}`);

/**
 * Connects to the shared log. Commands fail at once while Redis is unreachable (no offline queue) and after a
 * few seconds when it does not answer, so a request is refused with a clear error rather than left waiting; the
 * client reconnects by itself. The blocking reads that tail the streams use a connection of their own.
 */
export async function connectRedisLog(location: RedisLocation): Promise<RedisLog> {
  const common: RedisOptions = {
    ...location.options,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Reconnects soon after Redis comes back, and never stops trying.
    retryStrategy: (times) => Math.min(100 * times, 1000),
  };
  const commands = new Redis({ ...common, commandTimeout: 5_000 });
  const tail = new Redis({ ...common, commandTimeout: 15_000 });
  // Errors reach the commands that fail; the connection's own events would otherwise be unhandled.
  commands.on('error', () => undefined);
  tail.on('error', () => undefined);
  try {
    await Promise.all([commands.connect(), tail.connect()]);
  } catch (error) {
    commands.disconnect();
    tail.disconnect();
    throw new SharedLogUnavailable(`cannot connect to Redis at ${location.url}: ${(error as Error).message}`);
  }
  commands.defineCommand('pdsAppend', { numberOfKeys: 2, lua: APPEND });
  commands.defineCommand('pdsCatchUp', { lua: CATCH_UP });
  commands.defineCommand('pdsLease', { numberOfKeys: 1, lua: LEASE });
  commands.defineCommand('pdsRelease', { numberOfKeys: 1, lua: RELEASE });
  type Scripted = Redis & {
    pdsAppend(stream: string, counter: string, change: string | Buffer, proposal: string): Promise<[string, number]>;
    pdsLease(key: string, holder: string, ttl: number): Promise<number>;
    pdsCatchUp(keyCount: number, ...keysThenArgs: (string | number)[]): Promise<[number, RawStreams]>;
    pdsRelease(key: string, holder: string): Promise<number>;
  };
  const scripted = commands as Scripted;
  const key = (...parts: string[]): string => [location.namespace, ...parts].join(':');
  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw unavailable(location, error);
    }
  };
  const readRaw = (connection: Redis, after: ReadonlyMap<string, string>, blockMs: number | undefined, count: number): Promise<RawStreams> => {
    const streams = [...after.keys()];
    const ids = streams.map((s) => after.get(s)!);
    const args: (string | number)[] = ['COUNT', count, ...(blockMs === undefined ? [] : ['BLOCK', blockMs]), 'STREAMS', ...streams, ...ids];
    return connection.call('XREAD', ...args) as Promise<RawStreams>;
  };
  return {
    location,
    streamOf: (store) => (store === undefined ? key('registry') : key('store', store)),
    append: (stream, change, proposal) => guarded(async () => {
      const [id, n] = await scripted.pdsAppend(stream, `${stream}:n`, changeText(change), proposal);
      return { id, n: Number(n) };
    }),
    read: (after, options = {}) => guarded(async () => {
      const result = new Map<string, SharedEntry[]>();
      if (after.size === 0) return result;
      const raw = await readRaw(options.blockMs === undefined ? commands : tail, after, options.blockMs, options.count ?? 10_000);
      for (const [stream, entries] of raw ?? []) result.set(stream, entries.map(entryOf));
      return result;
    }),
    catchUp: (after, count = 10_000) => guarded(async () => {
      const streams = [...after.keys()];
      const [time, raw] = await scripted.pdsCatchUp(streams.length, ...streams, count, ...streams.map((stream) => after.get(stream)!));
      const entries = new Map<string, SharedEntry[]>();
      let complete = true;
      for (const [stream, found] of raw ?? []) {
        entries.set(stream, found.map(entryOf));
        if (found.length >= count) complete = false;
      }
      return { time: Number(time), entries, complete };
    }),
    time: () => guarded(async () => {
      const [seconds, micros] = await commands.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    }),
    readAll: (stream, after) => guarded(async () => {
      const all: SharedEntry[] = [];
      for (let from = after; ;) {
        const page = await commands.xrange(stream, `(${from}`, '+', 'COUNT', 10_000);
        all.push(...page.map(entryOf));
        if (page.length < 10_000) return all;
        from = page[page.length - 1]![0];
      }
    }),
    base: () => guarded(async () => {
      const text = await commands.get(key('base'));
      return text === null ? undefined : (JSON.parse(text) as SharedBase);
    }),
    saveBase: (base, options = {}) => guarded(async () => {
      const text = JSON.stringify(base);
      const stored = options.onlyIfNone ? await commands.set(key('base'), text, 'NX') : await commands.set(key('base'), text);
      return stored === 'OK';
    }),
    saveBaseInPieces: (pieces, spoilt) => guarded(async () => {
      const next = key('base', 'next');
      await commands.del(next);
      for (let piece = pieces.next(); !piece.done; piece = pieces.next()) {
        if (spoilt()) break;
        await commands.append(next, Buffer.from(piece.value.buffer, piece.value.byteOffset, piece.value.byteLength));
      }
      if (spoilt()) {
        await commands.del(next);
        return false;
      }
      await commands.rename(next, key('base'));
      return true;
    }),
    trim: (stream, beforeId) => guarded(async () => {
      await commands.xtrim(stream, 'MINID', beforeId);
    }),
    keepWebhook: (field, webhook) => guarded(async () => {
      await commands.hset(key('webhooks'), field, JSON.stringify(webhook));
    }),
    dropWebhooks: (fields) => guarded(async () => {
      if (fields.length > 0) await commands.hdel(key('webhooks'), ...fields);
    }),
    webhooksLeft: () => guarded(async () => {
      const all = await commands.hgetall(key('webhooks'));
      return new Map(Object.entries(all).map(([field, text]) => [field, JSON.parse(text) as PendingWebhook]));
    }),
    lease: (names, holder, ttlMs) => guarded(async () => {
      const held = new Set<string>();
      const answers = await Promise.all(names.map((name) => scripted.pdsLease(key('lease', name), holder, ttlMs)));
      names.forEach((name, i) => {
        if (Number(answers[i]) === 1) held.add(name);
      });
      return held;
    }),
    release: (names, holder) => guarded(async () => {
      await Promise.all(names.map((name) => scripted.pdsRelease(key('lease', name), holder)));
    }),
    ping: () => guarded(async () => {
      await commands.ping();
    }),
    async close() {
      commands.disconnect();
      tail.disconnect();
    },
  };
}
