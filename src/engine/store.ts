import { createClock, type Clock, type ClockMode } from '../domain/clock.ts';
import { DomainError } from '../domain/errors.ts';
import { runSteps, type Steps } from '../domain/steps.ts';
import { stateSteps, type StoreState } from '../domain/store.ts';
import type { InventoryMode, StoreData, StoreSettings } from '../domain/types.ts';
import { applyDueTransitions } from '../domain/waitlists.ts';
import type { CoverageRecorder } from './coverage.ts';
import type { FaultSet } from './faults.ts';
import { createTrackedEvents, type TrackedEvents } from './tracked-events.ts';
import { checkNesting, integritySteps, latestTime } from './integrity.ts';
import { buildScenario, type Scenario } from './scenario.ts';
import { VALIDATED_BODY } from './validate.ts';

export interface Credentials {
  public_api_key: string;
  private_access_token: string;
  shared_secret: string;
}

/**
 * A store's shop domain, made from its id: the same on every run, never two stores' (ids are not handed out
 * twice), and a valid Shopify shop name (lowercase letters, digits, hyphens; inferred: simulator design).
 */
export const shopDomainOf = (storeId: string): string => `purple-dot-sim-${storeId.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}.myshopify.com`;

export interface Snapshot {
  version: 1;
  scenario: string;
  seed: number;
  clock: { now: string; mode: ClockMode };
  stores: Record<string, StoreData>;
}

/**
 * A snapshot made ready to load into one store: its state indexed and checked, or why it cannot load. The
 * long part of an import, done in steps (see `HostedStore.prepareRestore`) while the store is held; `restore`
 * then puts it in place at once. Stands for its snapshot wherever it is written out (the state log).
 */
export class PreparedRestore {
  /** Validated against the snapshot schema as it was read: the engine does not validate it whole again. */
  readonly [VALIDATED_BODY] = true;

  constructor(
    readonly storeId: string,
    readonly snapshot: Snapshot,
    readonly outcome: { state: StoreState; latest: number } | { failure: string },
  ) {}

  toJSON(): Snapshot {
    return this.snapshot;
  }
}

/**
 * A store as the public API shows it: read it freely, change it through `dispatch` and the engine's own
 * methods, which announce every change and keep scheduled launches on time.
 */
export interface Store {
  readonly id: string;
  readonly scenario: string;
  readonly seed: number;
  readonly clock: Pick<Clock, 'mode' | 'now' | 'nowMs'>;
  readonly state: StoreState;
  readonly credentials: Readonly<Credentials>;
  /** The store's `<name>.myshopify.com`, which the Purple Dot API takes as `shop` in place of `api_key` (observed in the SDK). */
  readonly shopDomain: string;
}

/**
 * One store the engine hosts: its own credentials, scenario, seed, clock and state. Loading, resetting and
 * restoring replace the state whole; the ID and credentials stay the store's for its whole life.
 */
export interface HostedStore extends Store {
  readonly clock: Clock;
  /** Fault rules for this store's Purple Dot requests; kept across reset and load (they are the test's, not the state's). */
  readonly faults: FaultSet;
  /** What this store's requests met of the Purple Dot API. */
  readonly coverage: CoverageRecorder;
  /** The analytics events `POST /api/v1/track` accepted for this store; session data, kept across reset and load. */
  readonly tracked: TrackedEvents;
  /** Applies what the clock has reached (scheduled launches and pauses) and returns the current time. */
  tick(): Date;
  load(name: string, seed: number): void;
  reset(): void;
  /**
   * The store's whole state as a snapshot: a copy, unless `live` (the state's own objects, for a caller that
   * serialises it before anything can change, as the state file's compaction does: a copy of 100,000
   * pre-orders takes seconds).
   */
  snapshot(options?: { live?: boolean }): Snapshot;
  /**
   * Checks and indexes a snapshot for this store, in steps; nothing changes until `restore` gets the result.
   * `copied: false` takes the snapshot's objects as they are (a body parsed for this import alone), and
   * `nestingChecked` skips the walk for values nested too deep when the parser refused those already.
   */
  prepareRestore(snapshot: Snapshot, options?: { copied?: boolean; nestingChecked?: boolean }): Steps<PreparedRestore>;
  /** Replaces the state with a snapshot's, or one prepared for this store; refuses (400 INVALID_SNAPSHOT) one that cannot load. */
  restore(snapshot: Snapshot | PreparedRestore): void;
}

export interface StoreOptions {
  id: string;
  scenario: string;
  seed: number;
  /** `manual` starts at the scenario's end and moves only when told; `system` follows the machine; or bring your own. */
  clock: ClockMode | Clock;
  /** The machine time a system clock follows; the engine pins it while replaying its state log. */
  systemNow?: () => number;
  credentials: Credentials;
  /** How `POST /inventory` sets the export budget at first (default `replace`, the documented reading). */
  inventoryMode?: InventoryMode;
  /** Resolves a scenario name; throws the refusal for an unknown one. */
  scenarioNamed(name: string): Scenario;
  faults: FaultSet;
  coverage: CoverageRecorder;
  /**
   * Start from this snapshot (a state log's base) instead of building the scenario: building 100,000 pre-orders
   * only to replace them was a fifth of a restart's time. Refused as an import of it would be.
   */
  snapshot?: Snapshot;
}

export function createStore(options: StoreOptions): HostedStore {
  const injected = typeof options.clock === 'object' ? options.clock : undefined;
  const mode: ClockMode = injected?.mode ?? (options.clock as ClockMode);
  const credentials = Object.freeze({ ...options.credentials });
  const settings = { id: options.id, ...credentials };
  let scenario = options.scenario;
  let seed = options.seed;
  let clock: Clock = injected ?? createClock(mode, new Date(0), options.systemNow);
  let state: StoreState | undefined;
  const current = (): StoreState => state!;

  const install = (next: StoreState, startsAt: Date): void => {
    state = next;
    // New state, new clock: manual starts where the state ends, system follows the machine again (so a
    // reset undoes an advance that would otherwise expire wall-clock shopper tokens until a restart).
    // Either way it never starts behind the state. An injected clock is the caller's to run.
    if (!injected) clock = createClock(mode, startsAt, options.systemNow);
    if (clock.nowMs() < startsAt.getTime()) clock.set(startsAt);
  };

  /**
   * What a rebuild keeps of the store's settings besides its ID and credentials: the inventory mode and the
   * integration flags are the merchant's configuration, not the scenario's data, so a reset or a scenario load
   * keeps them (as it keeps the credentials), and an import brings the snapshot's.
   */
  const kept = (): Partial<StoreSettings> => (state
    ? { inventory_mode: state.data.settings.inventory_mode, flags: structuredClone(state.data.settings.flags) }
    : { inventory_mode: options.inventoryMode ?? 'replace' });

  const load = (name: string, nextSeed: number): void => {
    const built = buildScenario(options.scenarioNamed(name), nextSeed, { ...settings, ...kept() });
    // IDs and references never repeat within a store's life: what the API creates after a reset or a load
    // continues the counters from where they stood, while the scenario's own data, built from its own
    // counters, stays byte-identical per seed. A connector keeping its own table across resets would otherwise
    // take a new order for an update of an old one with the same ID. (An import restores its counters too:
    // going back to a snapshot replays the same history, on purpose.)
    if (state) {
      const counters = built.state.data.counters;
      for (const name of Object.keys(counters) as (keyof typeof counters)[]) counters[name] = Math.max(counters[name], state.data.counters[name]);
      // Webhook subscriptions are the merchant's settings, like the credentials: a reset or a load keeps them.
      if (state.data.webhooks) built.state.data.webhooks = state.data.webhooks;
    }
    scenario = name;
    seed = nextSeed;
    install(built.state, built.now);
  };

  const hosted: HostedStore = {
    id: options.id,
    credentials,
    shopDomain: shopDomainOf(options.id),
    faults: options.faults,
    coverage: options.coverage,
    tracked: createTrackedEvents(options.id),
    get scenario() { return scenario; },
    get seed() { return seed; },
    get clock() { return clock; },
    get state() { return current(); },
    tick() {
      const now = clock.now();
      applyDueTransitions(current(), now);
      return now;
    },
    load,
    reset: () => load(scenario, seed),
    snapshot: (snapshotOptions = {}) => ({
      version: 1,
      scenario,
      seed,
      clock: { now: clock.now().toISOString(), mode: clock.mode },
      stores: { [options.id]: snapshotOptions.live ? current().data : structuredClone(current().data) },
    }),
    *prepareRestore(snapshot, prepareOptions = {}) {
      try {
        const entries = Object.values(snapshot.stores);
        if (entries.length !== 1) throw new Error(`a snapshot holds exactly one store, this one holds ${entries.length}`);
        // The whole body, not only its stores: anything the snapshot carries is logged with it, and a value nested
        // thousands deep anywhere would break every copy of that record.
        if (!prepareOptions.nestingChecked) for (const [key, value] of Object.entries(snapshot)) checkNesting(value, key);
        yield;
        // The store keeps its own ID and credentials, so a snapshot of one store loads into any other.
        const data = prepareOptions.copied === false ? { ...entries[0]! } : structuredClone(entries[0]!);
        data.settings = { ...data.settings, ...settings };
        yield;
        const next = yield* stateSteps(data);
        yield* integritySteps(next);
        return new PreparedRestore(options.id, snapshot, { state: next, latest: latestTime(next) });
      } catch (error) {
        return new PreparedRestore(options.id, snapshot, { failure: (error as Error).message });
      }
    },
    restore(given) {
      const prepared = given instanceof PreparedRestore && given.storeId === options.id ? given : runSteps(this.prepareRestore(given instanceof PreparedRestore ? given.snapshot : given));
      const { snapshot, outcome } = prepared;
      const refuse = (why: string): never => {
        throw new DomainError('invalid', 'INVALID_SNAPSHOT', `the snapshot cannot be loaded: ${why}`, [{ field: 'stores', problem: why }]);
      };
      if ('failure' in outcome) return refuse(outcome.failure);
      const next = outcome.state;
      try {
        options.scenarioNamed(snapshot.scenario);
      } catch (error) {
        return refuse((error as Error).message);
      }
      const clockMs = Date.parse(snapshot.clock.now);
      if (!(clockMs >= outcome.latest)) refuse(`the clock ${snapshot.clock.now} is before the state's latest time ${new Date(outcome.latest).toISOString()}`);
      // A snapshot made before webhooks existed keeps the store's subscriptions.
      if (!next.data.webhooks && state?.data.webhooks) next.data.webhooks = state.data.webhooks;
      scenario = snapshot.scenario;
      seed = snapshot.seed;
      install(next, new Date(snapshot.clock.now));
    },
  };
  if (options.snapshot) hosted.restore(options.snapshot);
  else load(scenario, seed);
  return hosted;
}
