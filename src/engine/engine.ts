import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock, ClockMode } from '../domain/clock.ts';
import { conflict, DomainError, invalid, notFound } from '../domain/errors.ts';
import type { DomainEvent } from '../domain/events.ts';
import { DEFAULT_SCENARIO, DEFAULT_SEED, scenarios as builtInScenarios } from '../../scenarios/index.ts';
import { answerError, reporter, type Answer } from './answer.ts';
import {
  admitRequest, checkDepth, faultTargets, lowerCaseHeaders, nextLink, PURPLE_DOT_OPERATIONS, routeTable, storeFor, utcText, type AnswerOf, type EngineRequest,
  type OperationId, type ReceivedRequest, type RequestOf, type Route,
} from './dispatch.ts';
import { requestProblems } from './conformance.ts';
import { createCoverage } from './coverage.ts';
import { createFaultSet, faultAnswer, type FaultEffect } from './faults.ts';
import { createJournal, isoNow, journalCopy, redactHeaders, redactQuery, type Journal, type JournalEntry } from './journal.ts';
import type { EngineContext, NewStore } from './handler.ts';
import { DEFAULT_CREDENTIALS, DEFAULT_STORE_ID } from './defaults.ts';
import type { Scenario } from './scenario.ts';
import { createScheduler } from './scheduler.ts';
import { createStoreRegistry, type StoreLookup, type StoreRegistry } from './store-registry.ts';
import { changesState, pendingWebhooks, type OrderedChange, type PendingWebhook, type StateBase, type StateEntry, type StateLog, type StateOperation, type StateRestore, type StateWebhookRecord } from './state-log.ts';
import { snapshotAnswerPieces } from './snapshot-text.ts';
import { prepareSnapshotImport } from './snapshot-import.ts';
import type { Steps } from '../domain/steps.ts';
import { createStore, type Credentials, type HostedStore, type Snapshot, type Store } from './store.ts';
import { createWebhookHub, type Webhooks } from '../webhooks/hub.ts';
import { noTransport, type WebhookTransport } from '../webhooks/transport.ts';

export { DEFAULT_CREDENTIALS, DEFAULT_STORE_ID };

/** What changed in which store, in the order it changed; `seq` counts every event of the engine. */
export type StoreLifecycleEvent =
  | { type: 'store.created'; at: string }
  | { type: 'store.loaded'; at: string; scenario: string; seed: number }
  | { type: 'store.deleted'; at: string };
export type EngineEvent = (DomainEvent | StoreLifecycleEvent) & { store: string; seq: number };
export type EngineListener = (event: EngineEvent) => void;

export interface EngineOptions {
  /** The default store's scenario (default `on-preorder`) and seed (default 1). */
  scenario?: string;
  seed?: number;
  /**
   * The default store's clock: `manual` (default) starts at the scenario's end and moves only when told;
   * `system` follows the machine; or bring your own. Stores created later get a clock of their own, of the
   * mode they ask for or else this clock's mode, so moving one store's time never moves another's.
   */
  clock?: ClockMode | Clock;
  /** Scenarios of your own, next to the ten built in; a name may be used once. */
  scenarios?: readonly Scenario[];
  /** The default store's credentials; the documented defaults unless given. */
  credentials?: Partial<Credentials>;
  /** How many requests the journal keeps, newest last (default 10,000; 0 keeps none and skips the work). */
  journalSize?: number;
  /** Hears each request once answered, as its journal entry (e.g. a request log); called even with journalSize 0. */
  onRequest?: (entry: JournalEntry) => void;
  /** Where a bug (an answer 500) is reported; `console.error` unless given. */
  onBug?: (error: unknown) => void;
  /**
   * Where every acknowledged change is written (e.g. the state file); an answer that changed state carries
   * `durable`, which settles once the change is there. Clocks must be `manual` or `system`, not injected.
   */
  stateLog?: StateLog;
  /** Start from a state log instead of `scenario`, `seed` and `credentials`: its base, then its operations replayed. */
  restore?: StateRestore;
  /**
   * How webhooks reach their subscribed URLs. The engine has no network of its own, so by default nothing is
   * sent (each delivery is logged as not sent); `createSimulator` passes `httpTransport`. In-process
   * subscribers (`engine.webhooks.on`) hear every webhook either way.
   */
  webhookTransport?: WebhookTransport;
  /**
   * The machine time system clocks follow (`Date.now` unless given). A replica of a shared log gives the log's
   * time, which no change still to come can precede, so no copy's clock runs ahead of changes it has not applied.
   */
  machineTime?: () => number;
  /** Whether this engine sends a store's webhooks (always when left out): a replica sends only those it holds the lease of. */
  webhookSends?: (storeId: string) => boolean;
  /**
   * Hears each webhook queued and each attempt that ended, as a state log would (without one): a replica keeps the
   * undelivered ones in Redis, so the instance that takes a store's lease over sends what its holder left.
   */
  webhookLog?: (record: StateWebhookRecord) => void;
}

/** The engine as its users see it: stores to read, operations to dispatch, events to hear. */
export interface Engine {
  readonly scenarios: readonly Scenario[];
  readonly stores: StoreLookup;
  defaultStore(): Store;
  /** Adds a store, as `POST /__sim/stores` does; throws the same refusals as a DomainError. */
  createStore(input: NewStore): Store;
  /** Removes a store, as `DELETE /__sim/stores/{storeId}` does; its credentials stop working at once. */
  deleteStore(id: string): Store;
  /**
   * Answers one operation of either spec, typed from generated/: refusals are 4xx answers in the error
   * envelope, never thrown. Query, path and body as the spec declares them; header names in any case.
   */
  dispatch<Id extends OperationId>(operationId: Id, request?: RequestOf<Id>): AnswerOf<Id>;
  /** The untyped form an HTTP adapter uses: query and path values as they arrived, a body refusal to report. */
  dispatchRaw(operationId: string, request?: EngineRequest): Answer;
  /**
   * For a replica of a shared log (src/replica/): as `dispatchRaw`, but a request that changes state is not run
   * here. Once routed, faulted and admitted, it goes to `order`, which puts it in the log and resolves with what
   * applying it (`applyOrdered`, in the log's order) answered. Reads and refusals are answered at once.
   */
  dispatchOrdered(operationId: string, request: EngineRequest, order: (change: OrderedChange) => Promise<Answer>): Answer | Promise<Answer>;
  /**
   * Applies one change of a shared log at the time the log gave it, without checking credentials again (its
   * proposer did): every replica applies the same changes in the same order and so answers the same.
   */
  applyOrdered(change: OrderedChange, wall: number): Answer;
  /** Hears every change of every store after it commits, in order; returns the unsubscribe function. */
  subscribe(listener: EngineListener): () => void;
  /** Every request and its answer, newest last, bounded (see `journalSize`). */
  readonly journal: Pick<Journal, 'capacity' | 'entries' | 'clear'>;
  /** Hears each journal entry as it is kept (the dashboard's live journal); returns the unsubscribe function. */
  watchJournal(listener: (entry: JournalEntry) => void): () => void;
  /**
   * The ID of the store a request would act on, or undefined when it names none that exists (it will be
   * refused); changes nothing. An adapter uses it to keep a store's requests in order around long work.
   */
  storeOf(operationId: string, request?: EngineRequest): string | undefined;
  /**
   * For an adapter that read a snapshot import's body as bytes: parsing, validating, indexing and checking
   * it as work in steps (a 150 MB snapshot is seconds of it), ending with the body to dispatch; a refusal is
   * thrown as the DomainError to hand to dispatch as `bodyError`. The store (`storeOf`) must be held while
   * the steps run. Undefined when the request is no snapshot import or names no store: dispatch answers it.
   */
  importSteps(operationId: string, request: EngineRequest, bytes: Uint8Array | readonly Uint8Array[]): Steps<unknown> | undefined;
  /**
   * Queues webhooks another engine left undelivered (a replica taking over a store's lease), after those queued
   * here, with the attempts they have left; they are numbered anew, here. Returns them as queued.
   */
  resumeWebhooks(pending: readonly PendingWebhook[]): PendingWebhook[];
  /** Journals a request no operation answers (the HTTP adapter's unknown paths). */
  recordUnrouted(request: EngineRequest & { method: string; target: string }, answer: Answer): void;
  /**
   * The stores as they stand, as the base of a state log: with `data: false`, only how each was made (valid
   * while every store is still its scenario as built, e.g. just after start); with `live`, the stores' own
   * data, not copies, for a caller that serialises the base at once.
   */
  checkpoint(options?: { data?: boolean; live?: boolean }): StateBase;
  /** The webhooks the stores send: in-process subscribers, the delivery log, `idle()` (see src/webhooks/). */
  readonly webhooks: Webhooks;
  /**
   * Stops the timers of scheduled launches and pauses for good, and sends no more webhooks (attempts under way
   * are aborted); dispatch still answers. With a state log, webhooks not yet delivered stay pending there.
   */
  close(): void;
  /** As `close`, but webhook attempts under way may finish within `graceMs` (default 0) and their outcome is logged. */
  shutdown(options?: { graceMs?: number }): Promise<void>;
}

function combineScenarios(extra: readonly Scenario[]): readonly Scenario[] {
  const all = [...builtInScenarios];
  for (const scenario of extra) {
    if (all.some((s) => s.name === scenario.name)) throw new Error(`purple-dot-sim: a scenario named "${scenario.name}" already exists`);
    all.push(scenario);
  }
  return all;
}

const CREDENTIAL = /^[!-~]{8,200}$/;

/**
 * The rules `POST /__sim/stores` checks through its schema, for callers in-process too; returns the
 * credentials actually given (a key present but undefined is not given).
 */
function checkNewStore(input: NewStore): Partial<Credentials> {
  if (input.clock !== undefined && input.clock !== 'manual' && input.clock !== 'system') throw invalid('INVALID_REQUEST', 'clock', 'must be one of "manual", "system"');
  if (input.inventory_mode !== undefined && input.inventory_mode !== 'replace' && input.inventory_mode !== 'difference') {
    throw invalid('INVALID_REQUEST', 'inventory_mode', 'must be one of "replace", "difference"');
  }
  if (input.seed !== undefined && !(Number.isInteger(input.seed) && input.seed >= 0 && input.seed <= 4_294_967_295)) {
    throw invalid('INVALID_REQUEST', 'seed', 'must be an integer from 0 to 4294967295');
  }
  const given: Partial<Credentials> = {};
  for (const name of ['public_api_key', 'private_access_token', 'shared_secret'] as const) {
    const value = input.credentials?.[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !CREDENTIAL.test(value)) throw invalid('INVALID_REQUEST', `credentials.${name}`, 'must be 8 to 200 visible ASCII characters, no spaces');
    given[name] = value;
  }
  return given;
}

/** Reading or clearing the journal is not worth journaling: it would only crowd out the requests under test. */
const JOURNAL_OPERATIONS = new Set(['getJournal', 'getJournalInStore', 'clearJournal', 'clearJournalInStore', 'streamJournal', 'streamJournalInStore']);

/**
 * A GET the dashboard sends to look at a store (`X-Purple-Dot-Sim-Dashboard: 1`): not journaled, counted or faulted,
 * so the page's refreshes neither crowd the journal nor fail under the fault profiles it switches on (spec: info).
 */
const isDashboardLook = (method: string, headers: Record<string, string | undefined>): boolean => method === 'GET' && headers['x-purple-dot-sim-dashboard'] === '1';

/** Operations that make a store, whose generated credentials are part of the change. */
const NEW_STORES = new Set(['createStore']);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const SNAPSHOT_EXPORTS = new Set(['exportSnapshot', 'exportSnapshotInStore']);
const SNAPSHOT_IMPORTS = new Set(['importSnapshot', 'importSnapshotInStore']);

/** Snapshots can be 150 MB: the journal notes the call, not the body. */
const SNAPSHOTS = new Set(['exportSnapshot', 'exportSnapshotInStore', 'importSnapshot', 'importSnapshotInStore']);

const generatedCredentials = (): Credentials => ({
  public_api_key: randomUUID(),
  private_access_token: `pd_sim_${randomBytes(24).toString('base64url')}`,
  shared_secret: randomUUID(),
});

/**
 * A headless Purple Dot: stores, the operations of both specs and the events of every change, with no
 * HTTP in it. Everything it holds belongs to this instance; two engines share nothing.
 */
export function createEngine(options: EngineOptions = {}): Engine {
  const scenarios = combineScenarios(options.scenarios ?? []);
  const clock = options.clock ?? 'manual';
  const clockMode: ClockMode = typeof clock === 'object' ? clock.mode : clock;
  const report = reporter(options.onBug);
  const journal = createJournal(options.journalSize ?? 10_000);
  const onRequest = options.onRequest;
  /** Whether anyone reads what requests were: the journal, or a listener such as the request log. */
  const observed = journal.capacity > 0 || onRequest !== undefined;
  const journalWatchers = new Set<(entry: JournalEntry) => void>();
  const observe = (entry: Omit<JournalEntry, 'seq'> | JournalEntry): void => {
    // An entry made with its `seq` (dispatchWith) is numbered in place rather than copied.
    const recorded = 'seq' in entry ? journal.recordNumbered(entry) : journal.record(entry);
    if (journal.capacity > 0) {
      for (const watcher of journalWatchers) {
        try {
          watcher(recorded);
        } catch (error) {
          report(error);
        }
      }
    }
    if (!onRequest) return;
    try {
      onRequest(recorded);
    } catch (error) {
      report(error);
    }
  };
  const stores: StoreRegistry = createStoreRegistry();
  const listeners = new Set<EngineListener>();
  const stateLog = options.stateLog;
  if ((stateLog || options.restore) && typeof clock === 'object') throw new Error('purple-dot-sim: a state log needs a manual or system clock, not an injected one');
  // The machine time system clocks read. Pinned while an operation runs, so its log record can say exactly
  // what time it saw, and pinned to that record's time when the log is replayed.
  let pinnedWall: number | undefined;
  const machineTime = options.machineTime ?? Date.now;
  const systemNow = (): number => pinnedWall ?? machineTime();
  const pinned = <T>(wall: number, work: () => T): T => {
    const outer = pinnedWall;
    pinnedWall = wall;
    try {
      return work();
    } finally {
      pinnedWall = outer;
    }
  };
  /** The credentials of the store the current operation created: a log replays them, not fresh random ones. */
  let created: HostedStore | undefined;
  /** Whether an operation's handler is running: the engine's own methods called from outside log themselves. */
  let executing = false;
  /** Whether the log is being replayed: what it already holds is not written again. */
  let replaying = false;
  const logDirect = (record: Omit<StateOperation, 't' | 'wall'>): void => {
    if (stateLog && !executing && !replaying) void stateLog.append({ t: 'op', wall: systemNow(), ...record }).catch(report);
  };
  let eventSeq = 0;
  let storeCount = 0;
  /** While a logged operation runs, the webhooks it queues: logged after it, as they follow from it. */
  let webhookRecords: StateEntry[] | undefined;
  const logWebhook = (record: StateWebhookRecord): void => {
    if (webhookRecords) webhookRecords.push(record);
    else if (stateLog) void stateLog.append(record).catch(report);
  };
  // Made before a restore (its clock operations reach it) but hearing events only after: replaying the log
  // must not send the webhooks of the past again. Those it left unsettled are resumed from their own records.
  const webhooks = createWebhookHub({
    store: (id) => stores.get(id), transport: options.webhookTransport ?? noTransport, report, sends: options.webhookSends,
    ...(stateLog ? { log: logWebhook } : options.webhookLog ? { log: options.webhookLog } : {}),
  });

  const scenarioNamed = (name: string): Scenario => {
    const found = scenarios.find((s) => s.name === name);
    if (!found) throw notFound('UNKNOWN_SCENARIO', 'name', `no scenario named ${name}; known: ${scenarios.map((s) => s.name).join(', ')}`);
    return found;
  };

  // Events wait in one queue, so a subscriber that dispatches (and so causes events) while hearing one
  // cannot make later listeners hear the newer events first.
  const queue: EngineEvent[] = [];
  let delivering = false;
  const emit = (store: string, event: DomainEvent | StoreLifecycleEvent): void => {
    eventSeq += 1;
    if (listeners.size === 0) return;
    // The same copy as a spread, made several times faster by V8 (an export of 10,000 lines emits 20,000 events).
    const copy = Object.assign({}, event) as EngineEvent;
    copy.store = store;
    copy.seq = eventSeq;
    queue.push(copy);
    if (delivering) return;
    delivering = true;
    try {
      for (let next = queue.shift(); next; next = queue.shift()) {
        for (const listener of listeners) {
          try {
            listener(next);
          } catch (error) {
            report(error);
          }
        }
      }
    } finally {
      delivering = false;
    }
  };

  /** Hands the store's committed changes to the subscribers and empties its outbox. */
  const flush = (store: HostedStore): void => {
    const outbox = store.state.outbox;
    if (outbox.length === 0) return;
    // When the hub is the only listener, nothing waits in the queue before them and it would read none of
    // them, the events are only numbered: every later event keeps the number it would have had.
    if (!delivering && listeners.size === 1 && listeners.has(webhooks.hear) && webhooks.ignores(store.id)) {
      eventSeq += outbox.length;
      outbox.length = 0;
      return;
    }
    for (const event of outbox.splice(0)) emit(store.id, event);
  };

  const scheduler = createScheduler((store) => {
    if (stores.get(store.id) !== store) return;
    store.tick();
    flush(store);
    scheduler.plan(store);
  });

  const addStore = (id: string, input: NewStore, storeClock: ClockMode | Clock, credentials: Credentials, snapshot?: Snapshot): HostedStore => {
    const store = createStore({
      id, scenario: input.scenario, seed: input.seed ?? DEFAULT_SEED, clock: storeClock, credentials, inventoryMode: input.inventory_mode, scenarioNamed, systemNow,
      faults: createFaultSet(faultTargets), coverage: createCoverage(PURPLE_DOT_OPERATIONS), ...(snapshot ? { snapshot } : {}),
    });
    stores.add(store);
    storeCount += 1;
    created = store;
    emit(id, { type: 'store.created', at: store.clock.now().toISOString() });
    scheduler.plan(store);
    return store;
  };

  /** Runs one operation for its store: tick, admit, validate, handle, announce, log. Throws refusals. */
  const execute = (route: Route, request: EngineRequest, received: ReceivedRequest | undefined, store: HostedStore): Answer => {
    const operationId = route.operation.operation.operationId;
    const logged = stateLog !== undefined && !replaying && changesState(operationId, route.operation.method);
    // What the request was, before validation fills in defaults; a replay validates it again.
    const record: StateOperation | undefined = logged
      ? { t: 'op', wall: systemNow(), store: store.id, op: operationId, query: withoutSecrets(request.query), path: request.path, body: request.body, status: 0 }
      : undefined;
    const outerRecords = webhookRecords;
    webhookRecords = logged ? [] : undefined;
    const now = store.tick();
    // Launches and pauses the clock reached are changes of their own, whatever this request comes to.
    flush(store);
    const before = store.state;
    const mark = before.outbox.length;
    created = undefined;
    try {
      // A replayed operation was admitted when it ran; its credentials and body are not checked twice.
      if (received) admitRequest(route, received, store, now);
      const query: Record<string, unknown> = { ...request.query };
      const path: Record<string, unknown> = { ...request.path };
      const body = request.body;
      route.validator.check({ query, path, body });
      // A snapshot's import checks its own nesting, as part of the snapshot (INVALID_SNAPSHOT).
      if (!SNAPSHOTS.has(operationId)) checkDepth(body);
      if (request.streamable && SNAPSHOT_EXPORTS.has(operationId)) {
        // The same answer as the handler's, as text made piece by piece from the live state (no clone).
        return { status: 200, headers: {}, body: null, stream: { store: store.id, pieces: () => snapshotAnswerPieces(store) } };
      }
      executing = true;
      let result: ReturnType<Route['handler']>;
      try {
        result = route.handler({ query, path, body, state: store.state, store, now, engine, shared: request.streamable === true } as never);
      } finally {
        executing = false;
      }
      if (store.state !== before) emit(store.id, { type: 'store.loaded', at: store.clock.now().toISOString(), scenario: store.scenario, seed: store.seed });
      flush(store);
      // A store deleted by this very request keeps no timer.
      if (stores.get(store.id) === store) scheduler.plan(store);
      const headers: Record<string, string> = {};
      const link = result.nextCursor ? nextLink(request.url, result.nextCursor) : undefined;
      if (link) headers.Link = link;
      const answer: Answer = { status: result.status, headers, body: { meta: { result: 'success' }, data: result.data } };
      if (record && stateLog) {
        record.status = result.status;
        // A new store's generated credentials are part of what happened: a replay must not draw new ones.
        // (The handler set `created` through engine.createStore; TypeScript cannot see that.)
        const made = created as HostedStore | undefined;
        if (made) record.body = { ...(request.body as object), credentials: { ...made.credentials } };
        // The webhooks it queued are acknowledged with it: a restart that has the change sends them.
        const appended = [stateLog.append(record), ...(webhookRecords ?? []).splice(0).map((r) => stateLog.append(r))];
        answer.durable = appended.length === 1 ? appended[0] : Promise.all(appended).then(() => undefined);
      }
      return answer;
    } catch (error) {
      // A refused change changed nothing, so it announces nothing; a bug may have changed something, so
      // whatever it recorded is announced.
      if (error instanceof DomainError) before.outbox.length = mark;
      else flush(store);
      throw error;
    } finally {
      const left = webhookRecords ?? [];
      webhookRecords = outerRecords;
      for (const r of left) logWebhook(r as StateWebhookRecord);
    }
  };

  /** Applies one logged operation again, at the machine time it first ran; it must answer as it did then. */
  const replay = (record: StateOperation, position: number): void => {
    const route = routeTable().get(record.op);
    const store = stores.get(record.store);
    const where = `state log entry ${position} (${record.op} on ${record.store})`;
    if (!route || !store) throw new Error(`${where} names ${route ? 'a store' : 'an operation'} this engine does not have`);
    let status: number;
    try {
      status = pinned(record.wall, () => execute(route, { query: record.query, path: record.path, body: record.body }, undefined, store)).status;
    } catch (error) {
      status = error instanceof DomainError ? answerError(error, report).status : 500;
      if (status === 500) throw new Error(`${where} failed on replay: ${(error as Error).message}`);
    }
    // 0: ordered by a shared log before it ran, so there is no first answer to hold it to.
    if (record.status !== 0 && status !== record.status) throw new Error(`${where} answered ${status} on replay where it first answered ${record.status}`);
  };

  /** Runs a routed, admitted-or-not request for its store; the local engine's is `execute`, a replica's orders it first. */
  type Runner = (route: Route, request: EngineRequest, received: ReceivedRequest, store: HostedStore) => Answer | Promise<Answer>;

  const runHere: Runner = (route, request, received, store) =>
    stateLog ? pinned(machineTime(), () => execute(route, request, received, store)) : execute(route, request, received, store);

  /**
   * Route, store, faults, then `run`, then what every answer gets (the store's Date, the journal, coverage). Sync
   * when `run` is; a replica's runner waits for the shared log, and then the rest happens when it answers.
   */
  const dispatchWith = (operationId: string, request: EngineRequest, run: Runner): Answer | Promise<Answer> => {
    const started = performance.now();
    const arrived = observed ? isoNow() : '';
    const route = routeTable().get(operationId);
    if (!route) return answerError(notFound('UNKNOWN_OPERATION', 'operationId', `no operation ${operationId}`), report);
    // Field by field, not a spread: a spread would call the adapter's `url` getter, worked out only for a page's Link.
    const received: ReceivedRequest = {
      method: request.method, target: request.target, query: request.query, path: request.path, body: request.body, bodyError: request.bodyError,
      streamable: request.streamable, headers: lowerCaseHeaders(request.headers),
    };
    const vendor = route.operation.spec === 'purpleDot';
    const method = request.method ?? route.operation.method.toUpperCase();
    // In-process requests name no path: the operation's, with its parameters filled in, as HTTP would send it.
    const target = request.target ?? route.operation.path.replace(/\{([^}]+)\}/g, (whole, name: string) => request.path?.[name] ?? whole);
    let store: HostedStore | undefined;
    let effect: FaultEffect | undefined;
    let ran: Answer | Promise<Answer>;
    let executed = false;
    const look = isDashboardLook(method, received.headers);
    try {
      store = storeFor(route, received, stores, engine.defaultStore);
      // Only the Purple Dot API is faulted: the control API is how a test steers, and must always answer.
      effect = vendor && !look ? store.faults.decide(operationId, method, target) : undefined;
      if (effect?.status !== undefined) {
        ran = faultAnswer(effect);
      } else {
        ran = run(route, request, received, store);
        executed = true;
      }
    } catch (error) {
      ran = answerError(error, report);
    }
    const finish = (given: Answer): Answer => {
      let answer = given;
      if (effect) answer = { ...answer, delivery: { latencyMs: effect.latencyMs, lose: effect.lose } };
      // The server's time is the store's: a connector that keeps its high-water mark from `Date` stays in step
      // with a manual clock too.
      if (store) answer = { ...answer, headers: { ...answer.headers, Date: utcText(store.clock.now()) } };
      const succeeded = answer.status < 400 && effect?.status === undefined;
      if ((vendor || observed) && !look) {
        const problems = succeeded ? [] : requestProblems(route, received);
        // Requests that named no store count for the default store, where an integrator looks first.
        if (vendor) {
          // An answer a fault lost never reached the client: it counts as a call and a fault, not as a status met.
          const statusSeen = effect?.lose === undefined ? answer.status : undefined;
          (store ?? stores.require(DEFAULT_STORE_ID)).coverage.record(operationId, statusSeen, request.query ?? {}, problems.length === 0, effect?.kind);
        }
        if (observed && !JOURNAL_OPERATIONS.has(operationId)) {
          observe({
            seq: 0,
            at: arrived,
            store: store?.id ?? null,
            operationId,
            method,
            path: target,
            query: redactQuery(request.query ?? {}),
            headers: redactHeaders(request.headers ?? {}),
            body: SNAPSHOTS.has(operationId) ? null : journalCopy(request.body ?? null),
            status: answer.status,
            response: SNAPSHOTS.has(operationId) ? null : journalCopy(answer.body),
            durationMs: performance.now() - started + (effect?.latencyMs ?? 0),
            conformed: problems.length === 0,
            problems,
            fault: effect ? { id: effect.rule.id, kind: effect.kind } : null,
            executed,
          });
        }
      }
      return answer;
    };
    if (ran instanceof Promise) return ran.catch((error: unknown) => answerError(error, report)).then(finish);
    return finish(ran);
  };

  const dispatchRaw = (operationId: string, request: EngineRequest = {}): Answer => dispatchWith(operationId, request, runHere) as Answer;

  /** A replica's runner: a change is admitted here, then ordered by the shared log and applied in its turn. */
  const runOrdered = (order: (change: OrderedChange) => Promise<Answer>): Runner => (route, request, received, store) => {
    const operationId = route.operation.operation.operationId;
    if (!changesState(operationId, route.operation.method)) return execute(route, request, received, store);
    // Credentials are checked against this replica's stores; the log carries no secrets (see withoutSecrets).
    admitRequest(route, received, store, store.clock.now());
    let body = request.body;
    // A new store's credentials are drawn once, here, so every replica makes it with the same ones.
    if (NEW_STORES.has(operationId) && isObject(body)) {
      body = { ...body, credentials: { ...generatedCredentials(), ...(isObject(body.credentials) ? body.credentials : {}) } };
    }
    return order({ store: store.id, op: operationId, query: withoutSecrets(request.query), path: request.path, body });
  };

  const applyOrdered = (change: OrderedChange, wall: number): Answer => {
    const route = routeTable().get(change.op);
    const store = stores.get(change.store);
    try {
      if (!route) throw notFound('UNKNOWN_OPERATION', 'operationId', `no operation ${change.op}`);
      // The store was deleted by a change ordered before this one.
      if (!store) throw notFound('UNKNOWN_STORE', 'storeId', `no store with ID ${change.store}`);
      return pinned(wall, () => execute(route, { query: change.query, path: change.path, body: change.body }, undefined, store));
    } catch (error) {
      return answerError(error, report);
    }
  };

  /** A request no operation answers (an unknown path), journaled for the store its credentials name. */
  const recordUnrouted = (request: EngineRequest & { method: string; target: string }, answer: Answer): void => {
    if (!observed) return;
    const headers = lowerCaseHeaders(request.headers);
    const key = request.query?.api_key;
    const token = headers['x-purple-dot-access-token'];
    const store = (typeof key === 'string' ? stores.byPublicKey(key) : undefined) ?? (token ? stores.byAccessToken(token) : undefined);
    observe({
      at: new Date().toISOString(), store: store?.id ?? null, operationId: null, method: request.method, path: request.target,
      query: redactQuery(request.query ?? {}), headers: redactHeaders(request.headers ?? {}), body: journalCopy(request.body ?? null),
      status: answer.status, response: journalCopy(answer.body), durationMs: 0, conformed: false,
      problems: [{ field: 'path', problem: `no operation answers ${request.method} ${request.target}` }], fault: null, executed: false,
    });
  };

  /** The webhooks still owed, for a base: a restart from it sends them. */
  const pendingPart = (): { webhooks?: NonNullable<StateBase['webhooks']> } => {
    const pending = webhooks.pending();
    return pending ? { webhooks: pending } : {};
  };

  const engine: Engine & EngineContext = {
    scenarios,
    stores,
    defaultStore: () => stores.require(DEFAULT_STORE_ID),
    createStore(input) {
      scenarioNamed(input.scenario);
      const given = checkNewStore(input);
      stores.checkFree(given);
      const store = addStore(`store-${storeCount + 1}`, input, input.clock ?? clockMode, { ...generatedCredentials(), ...given });
      logDirect({ store: DEFAULT_STORE_ID, op: 'createStore', body: { ...input, credentials: { ...store.credentials } }, status: 201 });
      return store;
    },
    deleteStore(id) {
      const store = stores.require(id);
      if (id === DEFAULT_STORE_ID) throw conflict('DEFAULT_STORE', 'storeId', 'the default store cannot be deleted');
      stores.remove(id);
      scheduler.cancel(store);
      // A deleted store's requests would only crowd the journal the other stores share.
      journal.clear(id);
      emit(id, { type: 'store.deleted', at: store.clock.now().toISOString() });
      logDirect({ store: id, op: 'deleteStore', path: { storeId: id }, status: 200 });
      return store;
    },
    // The typed form is the raw one with the spec's types laid over it: the engine validates either way. The
    // body is copied: the store must not share objects (an address, a list) the caller may change later.
    dispatch: (operationId, request) => dispatchRaw(operationId, { ...request, body: structuredClone(request?.body) } as EngineRequest) as never,
    dispatchRaw,
    dispatchOrdered: (operationId, request, order) => dispatchWith(operationId, request, runOrdered(order)),
    applyOrdered,
    importSteps(operationId, request, bytes) {
      const route = routeTable().get(operationId);
      const id = SNAPSHOT_IMPORTS.has(operationId) ? engine.storeOf(operationId, request) : undefined;
      const store = id === undefined ? undefined : stores.get(id);
      return route && store ? prepareSnapshotImport(store, route.operation, bytes) : undefined;
    },
    storeOf(operationId, request = {}) {
      const route = routeTable().get(operationId);
      if (!route) return undefined;
      try {
        return storeFor(route, { ...request, headers: lowerCaseHeaders(request.headers) }, stores, engine.defaultStore).id;
      } catch {
        return undefined;
      }
    },
    resumeWebhooks(pending) {
      const from = webhooks.pending()?.seq ?? 0;
      const numbered = pending.map((webhook, i) => ({ ...webhook, id: from + i + 1 }));
      webhooks.resume({ seq: from + numbered.length, pending: numbered });
      return numbered;
    },
    journal,
    watchJournal(listener) {
      journalWatchers.add(listener);
      return () => journalWatchers.delete(listener);
    },
    recordUnrouted,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    checkpoint(checkpointOptions = {}) {
      return pinned(machineTime(), () => ({
        t: 'base' as const,
        wall: systemNow(),
        storeCount,
        stores: stores.list().map((store) => ({
          id: store.id, credentials: { ...store.credentials }, scenario: store.scenario, seed: store.seed, clock: store.clock.mode,
          ...(checkpointOptions.data === false ? {} : { snapshot: store.snapshot({ live: checkpointOptions.live }) }),
        })),
        ...pendingPart(),
      }));
    },
    webhooks,
    close() {
      scheduler.close();
      webhooks.close();
    },
    async shutdown(shutdownOptions = {}) {
      scheduler.close();
      await webhooks.stop(shutdownOptions.graceMs ?? 0);
    },
  };

  if (options.restore) {
    const { base, operations } = options.restore;
    replaying = true;
    pinned(base.wall, () => {
      for (const saved of base.stores) {
        addStore(saved.id, { scenario: saved.scenario, seed: saved.seed }, saved.clock, saved.credentials, saved.snapshot);
      }
    });
    if (!stores.get(DEFAULT_STORE_ID)) throw new Error(`the state log's base holds no store "${DEFAULT_STORE_ID}"`);
    storeCount = base.storeCount;
    let position = 0;
    const webhookEntries: StateWebhookRecord[] = [];
    for (const record of operations) {
      position += 1;
      if (record.t === 'op') replay(record, position);
      else webhookEntries.push(record);
    }
    replaying = false;
    // Webhooks due and not delivered when the log ended go out again first, with the attempts they have left.
    webhooks.resume(pendingWebhooks(base, webhookEntries));
    listeners.add(webhooks.hear);
    return engine;
  }
  const defaults = checkNewStore({ scenario: options.scenario ?? DEFAULT_SCENARIO, seed: options.seed, credentials: options.credentials });
  stores.checkFree(defaults);
  addStore(DEFAULT_STORE_ID, { scenario: options.scenario ?? DEFAULT_SCENARIO, seed: options.seed ?? DEFAULT_SEED }, clock, { ...DEFAULT_CREDENTIALS, ...defaults });
  listeners.add(webhooks.hear);
  return engine;
}

/** Credentials that ride in a query are not state, and a log is no place for them. */
function withoutSecrets(query: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!query) return undefined;
  const { api_key: _key, token: _token, ...rest } = query;
  return rest;
}
