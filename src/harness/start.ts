import { isDeepStrictEqual } from 'node:util';
import { createControlClient, type ControlClient } from '../client/control.ts';
import { createPurpleDotClient, type PurpleDotClient } from '../client/purple-dot.ts';
import type { ClockMode } from '../domain/clock.ts';
import { coverageShortfall, formatCoverage, type CoverageExpectation, type CoverageReport } from '../engine/coverage.ts';
import { DEFAULT_STORE_ID } from '../engine/defaults.ts';
import type { AnswerOf, OperationId, RequestOf } from '../engine/dispatch.ts';
import type { Engine } from '../engine/engine.ts';
import type { Webhooks } from '../webhooks/hub.ts';
import type { FaultInput, FaultRule } from '../engine/faults.ts';
import type { JournalEntry, JournalFilter } from '../engine/journal.ts';
import type { Credentials } from '../engine/store.ts';
import { createSimulator, type RunningSimulator, type SimulatorOptions } from '../http/app.ts';

export type FaultProfile = 'flaky-network' | 'rate-limited' | 'launch-day';

export interface StartOptions extends Omit<SimulatorOptions, 'engine'> {
  /** Fault rules, or a named profile, in force from the first request. */
  faults?: FaultInput[] | FaultProfile;
  /** Where to listen; a random port on loopback unless given. */
  port?: number;
  host?: string;
}

export interface StoreOptions {
  scenario?: string;
  seed?: number;
  clock?: ClockMode;
  faults?: FaultInput[] | FaultProfile;
}

/** What a test expects of the requests its integration sent; every field left out matches anything. */
export interface RequestMatch extends Omit<JournalFilter, 'store'> {
  /** The query had at least these parameters with these values (numbers and booleans match their text). */
  query?: Record<string, unknown>;
  /** The body had at least these fields with these values; nested objects match partly too, arrays item by item. */
  body?: Record<string, unknown>;
  /** Which requests: the Purple Dot API (default), the control API under `/__sim`, or both. */
  api?: 'purple-dot' | 'control' | 'all';
}

export interface JournalHandle {
  /** This store's requests to the Purple Dot API (see `api` for the control API), oldest first. */
  entries(filter?: RequestMatch): JournalEntry[];
  count(filter?: RequestMatch): number;
  /** Throws, listing what was sent, unless exactly `times` requests (at least one when left out) match. */
  expectRequest(match: RequestMatch, options?: { times?: number }): JournalEntry[];
  /** Throws, naming each request and what was wrong with it, when any request broke the spec. */
  expectAllConforming(): void;
  clear(): void;
}

export interface FaultsHandle {
  add(rule: FaultInput): FaultRule;
  list(): FaultRule[];
  remove(id: string): FaultRule;
  clear(): void;
  useProfile(profile: FaultProfile): FaultRule[];
}

export interface ClockHandle {
  now(): Date;
  /** Moves the store's clock (never back); launches and pauses that fall due happen now. */
  set(to: Date | string): Date;
  advance(seconds: number): Date;
}

/** One store of a running simulator, and everything a test needs to drive and inspect it. */
export interface SimulatorHandle {
  readonly url: string;
  /** The store's ID: `default` for the simulator's own store. */
  readonly store: string;
  readonly credentials: Readonly<Credentials>;
  /** The typed Purple Dot client with this store's credentials. */
  readonly client: PurpleDotClient;
  /** The typed control client; its `/__sim/…` paths act on this store. */
  readonly control: ControlClient;
  readonly journal: JournalHandle;
  readonly faults: FaultsHandle;
  readonly clock: ClockHandle;
  /** This store's webhooks: `on(event, fn)` hears them in-process, `deliveries()` shows what was sent, `idle()` waits for the rest. */
  readonly webhooks: Webhooks;
  readonly engine: Engine;
  coverage(): CoverageReport;
  /** The coverage report as a table. */
  formatCoverage(): string;
  /** Throws, listing what is missing, when the coverage falls short of what is asked. */
  expectCoverage(expected: CoverageExpectation): void;
  /** Rebuilds the store's scenario from its seed; its journal, faults and coverage stay. */
  reset(): void;
  /** A store of its own on the same server, for one test: same handle shape, closed with `close()`. */
  createStore(options?: StoreOptions): Promise<SimulatorHandle>;
  /** The simulator: stops the server. A store: deletes it. */
  close(): Promise<void>;
}

/** Control paths that are about the whole simulator, not one store. */
const ENGINE_PATHS = /^\/__sim(\/stores(\/|$)|\/scenarios$|$)/;

/** A control client whose `/__sim/…` paths act on one store, so the same typed calls serve any store handle. */
function storeControlClient(baseUrl: string, store: string, controlToken: string | undefined): ControlClient {
  const client = createControlClient({ baseUrl, controlToken });
  if (store === DEFAULT_STORE_ID) return client;
  client.use({
    onRequest({ request }) {
      const url = new URL(request.url);
      if (!url.pathname.startsWith('/__sim') || ENGINE_PATHS.test(url.pathname)) return request;
      url.pathname = `/__sim/stores/${encodeURIComponent(store)}${url.pathname.slice('/__sim'.length)}`;
      return new Request(url, request);
    },
  });
  return client;
}

/** Whether `actual` has what `expected` asks: objects partly, arrays item by item, anything else exactly. */
function contains(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) return Array.isArray(actual) && actual.length === expected.length && expected.every((item, i) => contains(actual[i], item));
  if (expected !== null && typeof expected === 'object') {
    return actual !== null && typeof actual === 'object' && !Array.isArray(actual)
      && Object.entries(expected).every(([key, value]) => contains((actual as Record<string, unknown>)[key], value));
  }
  return isDeepStrictEqual(actual, expected);
}

/** Query values arrive as text: a number or boolean a test expects matches its text. */
const asQuery = (expected: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(expected).map(([key, value]) => [key, typeof value === 'number' || typeof value === 'boolean' ? String(value) : value]));

const isControl = (entry: JournalEntry): boolean => entry.path === '/__sim' || entry.path.startsWith('/__sim/');

const describeEntry = (e: JournalEntry): string =>
  `  #${e.seq} ${e.method} ${e.path}${Object.keys(e.query).length ? `?${new URLSearchParams(e.query as Record<string, string>)}` : ''} → ${e.status}`
  + `${e.operationId ? ` (${e.operationId})` : ''}${e.body === null ? '' : ` body ${JSON.stringify(e.body).slice(0, 200)}`}`;

interface Shared {
  engine: Engine;
  url: string;
  controlToken: string | undefined;
  /** The store handles made from this simulator, closed with it. */
  owned: Set<SimulatorHandle>;
}

function handleFor(shared: Shared, storeId: string, close: () => Promise<void>): SimulatorHandle {
  const { engine, url, owned } = shared;
  const store = engine.stores.require(storeId);
  const scoped = storeId !== DEFAULT_STORE_ID;
  /** A control operation on this store, typed; a refusal becomes an Error with the envelope's message. */
  const control = <Base extends OperationId, Scoped extends OperationId>(base: Base, inStore: Scoped, request: RequestOf<Base> = {}): AnswerOf<Base>['body'] => {
    const answer = scoped
      ? engine.dispatch(inStore, { ...request, path: { ...(request.path as object), storeId } } as RequestOf<Scoped>)
      : engine.dispatch(base, request);
    if (answer.status >= 400) {
      const error = (answer.body as { error?: { code: string; message: string } }).error;
      throw new Error(`purple-dot-sim: ${base} answered ${answer.status} ${error?.code ?? ''}: ${error?.message ?? ''}`);
    }
    return answer.body as AnswerOf<Base>['body'];
  };
  const dataOf = <T>(body: unknown): T => (body as { data: T }).data;
  // The default store also owns the requests that named no store (a wrong credential lands there).
  const mine = (entry: JournalEntry): boolean => entry.store === storeId || (!scoped && entry.store === null);
  const journalEntries = (filter: RequestMatch = {}): JournalEntry[] => {
    const { query, body, api = 'purple-dot', ...rest } = filter;
    const wanted = query && asQuery(query);
    return engine.journal.entries(rest).filter((e) => mine(e)
      && (api === 'all' || (api === 'control') === isControl(e))
      && (!wanted || contains(e.query, wanted)) && (!body || contains(e.body, body)));
  };
  const coverage = (): CoverageReport => dataOf<CoverageReport>(control('getCoverage', 'getCoverageInStore'));

  const handle: SimulatorHandle = {
    url,
    store: storeId,
    credentials: store.credentials,
    client: createPurpleDotClient({ baseUrl: url, apiKey: store.credentials.public_api_key, accessToken: store.credentials.private_access_token }),
    control: storeControlClient(url, storeId, shared.controlToken),
    engine,
    webhooks: {
      on: (event, listener) => engine.webhooks.on(event, (notice) => {
        if (notice.store === storeId) listener(notice);
      }),
      deliveries: (id = storeId) => engine.webhooks.deliveries(id),
      idle: () => engine.webhooks.idle(),
    },
    journal: {
      entries: journalEntries,
      count: (filter) => journalEntries(filter).length,
      expectRequest(match, options = {}) {
        const found = journalEntries(match);
        const ok = options.times === undefined ? found.length > 0 : found.length === options.times;
        if (!ok) {
          const sent = journalEntries().map(describeEntry);
          throw new Error([
            `expected ${options.times === undefined ? 'at least one request' : `${options.times} request(s)`} matching ${JSON.stringify(match)}, found ${found.length}.`,
            sent.length ? `Requests to store ${storeId}, oldest first:` : `No requests reached store ${storeId}.`,
            ...sent.slice(-30),
          ].join('\n'));
        }
        return found;
      },
      expectAllConforming() {
        const broken = journalEntries({ conformed: false });
        if (broken.length > 0) {
          throw new Error([`${broken.length} request(s) broke the spec:`, ...broken.map((e) => `${describeEntry(e)}\n    ${e.problems.map((p) => `${p.field}: ${p.problem}`).join('; ')}`)].join('\n'));
        }
      },
      clear: () => void control('clearJournal', 'clearJournalInStore'),
    },
    faults: {
      add: (rule) => dataOf<FaultRule>(control('addFault', 'addFaultInStore', { body: rule as RequestOf<'addFault'>['body'] })),
      list: () => dataOf<FaultRule[]>(control('listFaults', 'listFaultsInStore')),
      remove: (id) => dataOf<FaultRule>(control('removeFault', 'removeFaultInStore', { path: { faultId: id } })),
      clear: () => void control('clearFaults', 'clearFaultsInStore'),
      useProfile: (profile) => dataOf<FaultRule[]>(control('applyFaultProfile', 'applyFaultProfileInStore', { path: { profile } })),
    },
    clock: {
      now: () => store.clock.now(),
      set: (to) => new Date(dataOf<{ now: string }>(control('setClock', 'setClockInStore', { body: { now: new Date(to).toISOString() } })).now),
      advance: (seconds) => new Date(dataOf<{ now: string }>(control('advanceClock', 'advanceClockInStore', { body: { seconds } })).now),
    },
    coverage,
    formatCoverage: () => formatCoverage(coverage()),
    expectCoverage(expected) {
      const missing = coverageShortfall(coverage(), expected);
      if (missing.length > 0) throw new Error([`API coverage of store ${storeId} falls short:`, ...missing.map((m) => `  ${m}`)].join('\n'));
    },
    reset: () => void control('reset', 'resetInStore'),
    async createStore(options = {}) {
      // Like this store unless told otherwise: same scenario and seed, so a test's store starts as this one did.
      const created = engine.createStore({ scenario: options.scenario ?? store.scenario, seed: options.seed ?? store.seed, clock: options.clock });
      const child = handleFor(shared, created.id, async () => {
        owned.delete(child);
        if (engine.stores.get(created.id)) engine.deleteStore(created.id);
      });
      owned.add(child);
      try {
        applyFaults(child, options.faults);
      } catch (error) {
        await child.close();
        throw error;
      }
      return child;
    },
    close,
  };
  return handle;
}

function applyFaults(handle: SimulatorHandle, faults: StoreOptions['faults']): void {
  if (typeof faults === 'string') handle.faults.useProfile(faults);
  else for (const rule of faults ?? []) handle.faults.add(rule);
}

/**
 * Starts a simulator for a test: its own engine and server on a random loopback port, and a handle on its
 * default store. Many can run in one process; they share nothing.
 */
export async function startSimulator(options: StartOptions = {}): Promise<SimulatorHandle> {
  const { faults, port, host, ...simulatorOptions } = options;
  const simulator = createSimulator(simulatorOptions);
  const running: RunningSimulator = await simulator.listen(port ?? 0, host ?? '127.0.0.1');
  const owned = new Set<SimulatorHandle>();
  const handle = handleFor({ engine: simulator.engine, url: running.url, controlToken: options.controlToken, owned }, DEFAULT_STORE_ID, async () => {
    await Promise.all([...owned].map((child) => child.close()));
    simulator.engine.close();
    await running.close();
  });
  try {
    applyFaults(handle, faults);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}
