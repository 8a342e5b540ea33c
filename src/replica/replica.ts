import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError } from '../domain/errors.ts';
import { answerError, reporter, type Answer } from '../engine/answer.ts';
import { routeTable, type EngineRequest } from '../engine/dispatch.ts';
import { createEngine, type Engine, type EngineOptions } from '../engine/engine.ts';
import { changesState, type OrderedChange, type PendingWebhook, type StateWebhookRecord } from '../engine/state-log.ts';
import { sourceJsonOf, withSourceJson } from '../engine/source-json.ts';
import { PreparedRestore } from '../engine/store.ts';
import { steppedBase, type SteppedBase } from '../state/compaction.ts';
import { connectRedisLog, parseRedisUrl, SharedLogUnavailable, type RedisLog, type SharedBase, type SharedEntry, type StreamPosition } from './redis-log.ts';

/**
 * One instance of a simulator whose stores live in a shared log (Redis Streams): a replicated state machine.
 * A change is not run where it arrives: it is appended to its store's stream (or the registry's, for stores
 * made and deleted), and every instance applies the streams' entries in order to its own copy of the stores;
 * the instance that took the request answers with what applying its entry gave, once it has. Reads are answered
 * from the local copy, after catching up with the streams' tails (one round trip) unless the consistency is
 * `eventual`.
 */

export type Consistency = 'read-your-writes' | 'eventual';

export interface ReplicaOptions extends Omit<EngineOptions, 'stateLog' | 'restore' | 'webhookSends' | 'clock'> {
  /** `redis://HOST:PORT[/DB][?namespace=NAME]`. */
  state: string;
  /** `read-your-writes` (default): a read first catches up with the log; `eventual` answers from what this instance has. */
  consistency?: Consistency;
  /** Manual (default) or system; a shared log cannot carry an injected clock. */
  clock?: 'manual' | 'system';
  /** Entries across the streams after which the instance holding the compaction lease writes a new base (default 10,000). */
  compactAfter?: number;
  /** How long a lease lasts unless renewed (default 6 s); renewed every third of it. */
  leaseMs?: number;
  /** Names this instance in leases; random unless given. */
  instance?: string;
}

export interface ReplicaStatus {
  instance: string;
  consistency: Consistency;
  redis: string;
  namespace: string;
  /** Whether the last command to Redis succeeded. */
  connected: boolean;
  /** How far this instance has applied each stream. */
  positions: Record<string, StreamPosition>;
  /** The leases this instance holds: `store:<id>` for a store's webhooks, `compaction`. */
  leases: string[];
  /** Set when this instance cannot go on (it fell behind a trimmed log): it refuses until restarted. */
  broken?: string;
}

export interface Replica {
  readonly engine: Engine;
  readonly instance: string;
  readonly consistency: Consistency;
  /** Whether this instance began the log (it was empty): one started later joins what is there. */
  readonly began: boolean;
  /** Answers one request as this instance of the shared log: the HTTP adapter's dispatch. */
  dispatch(operationId: string, request: EngineRequest): Answer | Promise<Answer>;
  /** Catches up with every stream's tail (a test or a harness waiting for another instance's changes). */
  sync(): Promise<void>;
  status(): ReplicaStatus;
  /** Stops tailing, gives up its leases and disconnects; the engine stays usable for reading. */
  close(): Promise<void>;
}

/** Changes that make or delete a store go to the registry's stream: every instance must know a store before its changes. */
const REGISTRY_OPERATIONS = new Set(['createStore', 'deleteStore']);
const EXPORTS = new Set(['exportSnapshot', 'exportSnapshotInStore']);
const REGISTRY_LEASE = 'compaction';
/** How long a proposer waits for its own change to be applied here once Redis has it. */
const APPLY_WAIT_MS = 10_000;

/** A wait that keeps no process alive. */
const delay = (ms: number): Promise<undefined> => sleep(Math.max(0, ms), undefined, { ref: false });

/** The snapshot a prepared import holds, keeping the bytes it was parsed from when they were kept (the log writes those). */
const preparedSnapshot = (prepared: PreparedRestore): unknown => {
  const bytes = sourceJsonOf(prepared);
  return bytes ? withSourceJson(prepared.snapshot, bytes) : prepared.snapshot;
};

const unavailable = (why: string): DomainError => new DomainError('unavailable', 'STATE_UNAVAILABLE', why, [{ field: 'state', problem: why }]);

/** A waiter for one appended entry: resolves with the answer applying it gave. */
interface Waiter {
  resolve(answer: Answer): void;
  reject(error: Error): void;
}

/**
 * Connects to the shared log and builds this instance's copy of the stores: from the compacted base and the
 * entries after it, or, when the log is empty, from the options' scenario (which then becomes the log's base;
 * when several instances start at once on an empty log, the first base stored wins and the others adopt it).
 */
export async function createReplica(options: ReplicaOptions): Promise<Replica> {
  const location = parseRedisUrl(options.state);
  const log = await connectRedisLog(location);
  const instance = options.instance ?? randomUUID();
  const consistency = options.consistency ?? 'read-your-writes';
  const leaseMs = options.leaseMs ?? 6_000;
  const compactAfter = options.compactAfter ?? 10_000;
  const report = reporter(options.onBug);
  const { state: _state, consistency: _consistency, compactAfter: _compactAfter, leaseMs: _leaseMs, instance: _instance, ...engineOptions } = options;

  /** How far each live stream has been applied; a store's stream is dropped when the store is deleted. */
  const positions = new Map<string, StreamPosition>();
  const registry = log.streamOf(undefined);
  const waiters = new Map<string, Waiter>();
  let held = new Set<string>();
  let joining = true;
  let connected = true;
  let broken: string | undefined;
  let closed = false;
  let appliedSinceBase = 0;
  let proposals = 0;
  /** The base being written in steps, which hears each change applied meanwhile (see src/state/compaction.ts). */
  let compacting: SteppedBase | undefined;
  /**
   * The time system clocks read here: the log's (Redis's), as of the last catch-up, which applied every entry
   * up to it; any entry appended later is no earlier. A copy's clock (a read, a scheduled launch) never runs
   * ahead of a change it has not applied yet, so every copy meets scheduled transitions and changes in the
   * same order. With read-your-writes each read catches up first; otherwise the tail keeps it within a few
   * hundred milliseconds.
   */
  let logTime = await log.time();

  /**
   * The webhooks this instance queued and has not settled, kept in Redis as well: when it stops holding a store's
   * lease (it died, or stalled past the lease), the instance that takes the lease over sends them.
   */
  const undelivered = new Map<number, PendingWebhook>();
  const fieldOf = (id: number): string => `${instance}:${id}`;
  const keepWebhooks = (record: StateWebhookRecord): void => {
    if (record.t === 'webhook') {
      const { t: _t, ...webhook } = record;
      undelivered.set(record.id, { ...webhook, attempts: 0 });
    } else {
      const webhook = undelivered.get(record.id);
      if (!webhook) return;
      if (record.done) {
        undelivered.delete(record.id);
        void log.dropWebhooks([fieldOf(record.id)]).catch(() => undefined);
        return;
      }
      webhook.attempts = Math.max(webhook.attempts, record.attempt);
    }
    const kept = undelivered.get(record.id)!;
    // Not awaited: a webhook is sent whether or not Redis has its record; without it a takeover cannot resend it.
    void log.keepWebhook(fieldOf(record.id), kept).catch(() => undefined);
  };

  /** Sends what other instances left undelivered for stores whose leases this one has just taken. */
  const takeOver = async (stores: readonly string[]): Promise<void> => {
    const left = [...(await log.webhooksLeft())].filter(([field, webhook]) => !field.startsWith(`${instance}:`) && stores.includes(webhook.store));
    if (left.length === 0) return;
    // In the order they were queued where they were queued; instances' numbers are their own.
    left.sort(([a, x], [b, y]) => (a.slice(0, a.lastIndexOf(':')) === b.slice(0, b.lastIndexOf(':')) ? x.id - y.id : a < b ? -1 : 1));
    for (const webhook of engine.resumeWebhooks(left.map(([, webhook]) => webhook))) {
      undelivered.set(webhook.id, webhook);
      await log.keepWebhook(fieldOf(webhook.id), webhook);
    }
    await log.dropWebhooks(left.map(([field]) => field));
  };

  const makeEngine = (restore?: SharedBase): Engine => createEngine({
    ...engineOptions,
    clock: options.clock ?? 'manual',
    machineTime: () => logTime,
    ...(restore ? { restore: { base: restore.base, operations: [] } } : {}),
    // Every instance hears every event; the one holding the store's lease sends its webhooks (none while joining:
    // those events are the past).
    webhookSends: (storeId) => !joining && held.has(`store:${storeId}`),
    webhookLog: keepWebhooks,
  });

  let shared = await log.base();
  let engine: Engine;
  let began = false;
  if (shared) {
    engine = makeEngine(shared);
  } else {
    const scratch = makeEngine();
    // Pending webhooks are the sender's own business (see `compact`): a base carries none.
    const { webhooks: _webhooks, ...base } = scratch.checkpoint({ data: false });
    scratch.close();
    const first: SharedBase = { format: 'purple-dot-sim/shared-base', version: 1, base, registry: { id: '0-0', n: 0 }, stores: {} };
    began = await log.saveBase(first, { onlyIfNone: true });
    shared = began ? first : (await log.base())!;
    // Made from the base even by the instance that wrote it: a system clock's store is then built at the base's
    // time, exactly as every instance joining later builds it.
    engine = makeEngine(shared);
  }
  if (shared.format !== 'purple-dot-sim/shared-base' || shared.version !== 1) {
    throw new Error(`the shared state in Redis at ${location.url} (namespace ${location.namespace}) is not a purple-dot-sim base of version 1`);
  }
  positions.set(registry, shared.registry);
  for (const store of engine.stores.list()) positions.set(log.streamOf(store.id), shared.stores[store.id] ?? { id: '0-0', n: 0 });

  const storeOfStream = (stream: string): string => stream.slice(log.streamOf('').length);

  /** Applies one stream's entries in order; a gap (entries trimmed before this instance read them) breaks it. */
  const applyEntries = (stream: string, entries: readonly SharedEntry[]): void => {
    for (const entry of entries) {
      const position = positions.get(stream);
      if (!position || entry.n <= position.n) continue;
      if (entry.n !== position.n + 1) {
        broken = `this instance missed entries ${position.n + 1} to ${entry.n - 1} of ${stream} (compacted away before it read them); restart it`;
        for (const [id, waiter] of waiters) {
          waiters.delete(id);
          waiter.reject(unavailable(broken));
        }
        return;
      }
      if (stream !== registry) compacting?.changed(entry.change.store);
      const answer = engine.applyOrdered(entry.change, entry.wall);
      positions.set(stream, { id: entry.id, n: entry.n });
      logTime = Math.max(logTime, entry.wall);
      appliedSinceBase += 1;
      if (stream === registry && answer.status < 300) {
        // A store made or deleted: tail its stream from its beginning, or stop tailing it.
        const id = entry.change.op === 'createStore' ? (answer.body as { data?: { id?: string } }).data?.id : entry.change.store;
        if (id !== undefined && entry.change.op === 'createStore') positions.set(log.streamOf(id), { id: '0-0', n: 0 });
        else if (id !== undefined && entry.change.op === 'deleteStore') positions.delete(log.streamOf(id));
      }
      const waiter = waiters.get(entry.proposal);
      if (waiter) {
        waiters.delete(entry.proposal);
        waiter.resolve(answer);
      }
    }
  };

  /** Applies what a read returned: the registry's first, since a store's changes need the store. */
  const applyRead = (read: Map<string, SharedEntry[]>): void => {
    if (broken) return;
    const made = read.get(registry);
    if (made) applyEntries(registry, made);
    for (const [stream, entries] of read) if (stream !== registry && !broken) applyEntries(stream, entries);
  };

  const reading = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      const result = await work();
      connected = true;
      return result;
    } catch (error) {
      connected = false;
      throw error instanceof SharedLogUnavailable ? unavailable(`${error.message}; nothing was read or changed`) : error;
    }
  };

  // Joining: the registry's entries after the base, then each store's. Entries appended meanwhile come with the tail.
  applyEntries(registry, await log.readAll(registry, shared.registry.id));
  for (const [stream, position] of [...positions]) {
    if (stream !== registry) applyEntries(stream, await log.readAll(stream, position.id));
  }
  if (broken) throw new Error(`cannot join the shared state: ${broken}`);
  joining = false;

  /**
   * Reads every live stream to its tail with the log's time, again while the read made stores whose streams were
   * not in it (or a stream had more than one read returns), then moves this copy's time up to the log's.
   */
  const catchUpAll = async (): Promise<void> => {
    for (;;) {
      const asked = new Map<string, string>([...positions].map(([stream, position]) => [stream, position.id]));
      const { time, entries, complete } = await log.catchUp(asked);
      applyRead(entries);
      if (broken) throw unavailable(broken);
      if (complete && [...positions.keys()].every((stream) => asked.has(stream))) {
        logTime = Math.max(logTime, time);
        return;
      }
    }
  };

  // Catch-ups asked for while one is under way share the next one: one round trip serves them all.
  let next: { resolve(): void; reject(error: unknown): void }[] | undefined;
  let inFlight = false;
  const sendNext = (): void => {
    const batch = next;
    next = undefined;
    if (!batch) return;
    inFlight = true;
    reading(catchUpAll)
      .then(() => {
        for (const waiting of batch) waiting.resolve();
      }, (error: unknown) => {
        for (const waiting of batch) waiting.reject(error);
      })
      .finally(() => {
        inFlight = false;
        sendNext();
      });
  };
  const catchUp = (): Promise<void> => new Promise((resolve, reject) => {
    (next ??= []).push({ resolve, reject });
    if (!inFlight) sendNext();
  });

  const order = async (change: OrderedChange): Promise<Answer> => {
    if (broken) throw unavailable(broken);
    const stream = REGISTRY_OPERATIONS.has(change.op) ? registry : log.streamOf(change.store);
    // Waited for by its own key, set before appending: the tail may apply it before the append's answer arrives.
    const proposal = `${instance}:${(proposals += 1)}`;
    const applied = new Promise<Answer>((resolve, reject) => waiters.set(proposal, { resolve, reject }));
    let appended: StreamPosition;
    try {
      appended = await log.append(stream, change, proposal);
      connected = true;
    } catch (error) {
      connected = false;
      waiters.delete(proposal);
      // Not known to be in the log: a client may send it again.
      throw unavailable(`${(error as Error).message}; the change may not have been recorded, so check before sending it again`);
    }
    // Until it is applied here, ask again now and then (Redis may be away for a moment), for 10 s at most in all:
    // a catch-up Redis never answers takes its command timeout each time.
    const giveUpAt = performance.now() + APPLY_WAIT_MS;
    for (;;) {
      const done = await Promise.race([applied, catchUp().then(() => undefined, () => undefined), delay(giveUpAt - performance.now())]);
      if (done) return done;
      if ((positions.get(stream)?.n ?? Number.POSITIVE_INFINITY) >= appended.n) return applied;
      if (performance.now() >= giveUpAt) {
        waiters.delete(proposal);
        throw unavailable(`the change is recorded in the shared log (${appended.id}) but this instance could not apply it: Redis at ${location.url} does not answer; do not send it again`);
      }
      await delay(250);
    }
  };

  const dispatch = (operationId: string, request: EngineRequest): Answer | Promise<Answer> => {
    const route = routeTable().get(operationId);
    // Not journaled: the instance is out of service, and says so.
    if (broken) return answerError(unavailable(broken), report);
    // A prepared import (parsed and checked in steps by the adapter) goes into the log as the snapshot it holds.
    // (A spread of the HTTP adapter's request drops `url`, a getter of its class: neither copy here is paged.)
    const given = request.body instanceof PreparedRestore ? { ...request, body: preparedSnapshot(request.body) } : request;
    if (!route || changesState(operationId, route.operation.method)) return engine.dispatchOrdered(operationId, given, order);
    // A snapshot written in pieces would let the tail change the store between pieces: it is made whole.
    const read = EXPORTS.has(operationId) ? { ...given, streamable: false } : given;
    if (consistency === 'eventual') return engine.dispatchRaw(operationId, read);
    return catchUp().then(() => engine.dispatchRaw(operationId, read), (error: unknown) => answerError(error, report));
  };

  // The tail: a catch-up (which also brings the log's time), then a blocking read that wakes as soon as any live
  // stream gets an entry, or after a quarter of a second: a copy stays close to the log without being asked.
  const tailing = (async () => {
    while (!closed && !broken) {
      try {
        await catchUp();
        const after = new Map<string, string>([...positions].map(([stream, position]) => [stream, position.id]));
        applyRead(await log.read(after, { blockMs: 250 }));
        connected = true;
      } catch {
        if (closed) return;
        connected = false;
        await delay(200);
      }
    }
  })();

  /** Where the last base this instance knows of stood: the next compaction trims each stream to it. */
  let lastBase: Pick<SharedBase, 'registry' | 'stores'> = { registry: shared.registry, stores: shared.stores };
  /**
   * A new base when the streams have grown: the stores as this copy has them, exactly at the positions it has
   * applied (taken in one synchronous step), written in pieces while the copy goes on applying changes; given up
   * (and tried again at the next renewal) when a large store it is still reading changes, or at once when the
   * streams have grown to four times the threshold. Then each stream is trimmed to where the previous base
   * stood, so a copy still reading from that base finds what follows it.
   */
  const compact = async (): Promise<void> => {
    const { webhooks: _webhooks, ...base } = engine.checkpoint({ live: true });
    const stores: Record<string, StreamPosition> = {};
    for (const [stream, position] of positions) if (stream !== registry) stores[storeOfStream(stream)] = { ...position };
    const taken: SharedBase = { format: 'purple-dot-sim/shared-base', version: 1, base, registry: { ...positions.get(registry)! }, stores };
    const inOneGo = appliedSinceBase >= 4 * compactAfter;
    const since = appliedSinceBase;
    appliedSinceBase = 0;
    let stored: boolean;
    if (inOneGo) {
      // Every piece made in this turn, before any change can reach the stores: about a second at 137 MiB (one
      // JSON.stringify and its encoding took several), then sent while the copy goes on.
      const pieces = [...steppedBase(taken, []).pieces];
      stored = await log.saveBaseInPieces(pieces.values(), () => undefined);
    } else {
      compacting = steppedBase(taken, base.stores);
      try {
        const stepped = compacting;
        stored = await log.saveBaseInPieces(stepped.pieces, () => stepped.reason);
      } finally {
        compacting = undefined;
      }
    }
    if (!stored) {
      appliedSinceBase += since;
      return;
    }
    const previous = lastBase;
    lastBase = { registry: taken.registry, stores: taken.stores };
    await log.trim(registry, previous.registry.id);
    for (const [store, position] of Object.entries(previous.stores)) await log.trim(log.streamOf(store), position.id);
  };

  // Leases: each store's webhooks and the compaction are one instance's job at a time, taken over when it stops renewing.
  const renew = async (): Promise<void> => {
    const names = [REGISTRY_LEASE, ...engine.stores.list().map((store) => `store:${store.id}`)];
    const before = held;
    try {
      held = await log.lease(names, instance, leaseMs);
      connected = true;
      const taken = [...held].filter((name) => name.startsWith('store:') && !before.has(name)).map((name) => name.slice('store:'.length));
      if (taken.length > 0) await takeOver(taken).catch(() => undefined);
    } catch {
      // Unsure whether the leases still hold: send nothing until they are renewed.
      held = new Set();
      connected = false;
      return;
    }
    if (held.has(REGISTRY_LEASE) && appliedSinceBase >= compactAfter) await compact().catch(() => undefined);
  };
  await renew();
  let renewing = Promise.resolve();
  const renewal = setInterval(() => {
    renewing = renewing.then(renew);
  }, Math.max(50, Math.floor(leaseMs / 3)));
  renewal.unref();

  return {
    engine,
    instance,
    consistency,
    began,
    dispatch,
    sync: catchUp,
    status: () => ({
      instance,
      consistency,
      redis: location.url,
      namespace: location.namespace,
      connected,
      positions: Object.fromEntries(positions),
      leases: [...held].sort(),
      ...(broken ? { broken } : {}),
    }),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(renewal);
      await renewing;
      await log.release([...held], instance).catch(() => undefined);
      held = new Set();
      await log.close();
      await tailing;
      for (const [id, waiter] of waiters) {
        waiters.delete(id);
        waiter.reject(unavailable('this instance closed before the change was applied here'));
      }
    },
  };
}
