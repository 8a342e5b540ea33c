import { createClock, type Clock, type ClockMode } from '../domain/clock.ts';
import { DomainError, notFound } from '../domain/errors.ts';
import { buildIndex, type StoreState } from '../domain/store.ts';
import type { StoreData } from '../domain/types.ts';
import { applyDueTransitions } from '../domain/waitlists.ts';
import { findScenario } from '../../scenarios/index.ts';
import { presentFulfillmentOrder, presentPreOrder, presentWaitlist } from './present/private.ts';
import { presentAvailability } from './present/public.ts';

/** The latest time a store's state records; a clock behind it would break time-ordered indexes. */
function latestTime(store: StoreState): number {
  const times = [
    ...store.data.waitlists.map((w) => w.updated_at),
    ...store.data.pre_orders.map((o) => o.updated_at),
    ...store.data.fulfillment_orders.map((fo) => fo.updated_at),
  ];
  return times.reduce((max, t) => Math.max(max, Date.parse(t)), 0);
}

/**
 * Presents every entity once, so a snapshot with dangling references or missing fields is refused at
 * import instead of failing later, request by request.
 */
function checkIntegrity(store: StoreState): void {
  for (const product of store.data.products) presentAvailability(store, product);
  for (const waitlist of store.data.waitlists) presentWaitlist(store, waitlist);
  for (const order of store.data.pre_orders) {
    presentPreOrder(order);
    for (const line of order.line_items) {
      if (!store.index.waitlistsById.has(line.waitlist_id)) throw new Error(`line ${line.id} names unknown waitlist ${line.waitlist_id}`);
    }
  }
  for (const fo of store.data.fulfillment_orders) {
    if (!store.index.preOrdersById.has(fo.pre_order_id)) throw new Error(`fulfillment order ${fo.id} names unknown pre-order ${fo.pre_order_id}`);
    for (const entry of fo.lines) {
      if (!store.index.lineItems.has(entry.line_item_id)) throw new Error(`fulfillment order ${fo.id} names unknown line ${entry.line_item_id}`);
    }
    presentFulfillmentOrder(store, fo);
  }
}

export interface Snapshot {
  version: 1;
  scenario: string;
  seed: number;
  clock: { now: string; mode: ClockMode };
  stores: Record<string, StoreData>;
}

/**
 * Everything the simulator holds: the clock and the stores, keyed by store so that several stores with
 * their own credentials can live side by side. Loading, resetting and restoring replace the stores whole.
 */
export interface Simulation {
  readonly scenario: string;
  readonly seed: number;
  readonly clock: Clock;
  readonly stores: readonly StoreState[];
  defaultStore(): StoreState;
  storeByApiKey(key: string): StoreState | undefined;
  storeByAccessToken(token: string): StoreState | undefined;
  /** Applies what the clock has reached (scheduled launches and pauses) and returns the current time. */
  tick(): Date;
  load(name: string, seed: number): void;
  reset(): void;
  snapshot(): Snapshot;
  restore(snapshot: Snapshot): void;
}

export interface SimulationOptions {
  scenario: string;
  seed: number;
  /** `manual` (default) starts at the scenario's reference time; `system` follows the machine clock; or bring your own. */
  clock?: ClockMode | Clock;
}

export function createSimulation(options: SimulationOptions): Simulation {
  const injected = typeof options.clock === 'object' ? options.clock : undefined;
  const mode: ClockMode = injected?.mode ?? (typeof options.clock === 'string' ? options.clock : 'manual');
  let scenario = options.scenario;
  let seed = options.seed;
  let clock: Clock = injected ?? createClock(mode, new Date(0));
  let stores: StoreState[] = [];
  let byApiKey = new Map<string, StoreState>();
  let byToken = new Map<string, StoreState>();

  const install = (next: StoreState[], startsAt: Date): void => {
    stores = next;
    byApiKey = new Map(next.map((s) => [s.data.settings.public_api_key, s]));
    byToken = new Map(next.map((s) => [s.data.settings.private_access_token, s]));
    // A manual clock restarts where the state ends; an injected or system clock keeps running.
    if (!injected && mode === 'manual') clock = createClock('manual', startsAt);
    else if (clock.nowMs() < startsAt.getTime()) clock.set(startsAt);
  };

  const load = (name: string, nextSeed: number): void => {
    const found = findScenario(name);
    if (!found) throw notFound('UNKNOWN_SCENARIO', 'name', `no scenario named ${name}`);
    const built = found.build(nextSeed);
    scenario = name;
    seed = nextSeed;
    install(built.stores, built.now);
  };

  load(scenario, seed);

  const simulation: Simulation = {
    get scenario() { return scenario; },
    get seed() { return seed; },
    get clock() { return clock; },
    get stores() { return stores; },
    defaultStore: () => stores[0]!,
    storeByApiKey: (key) => byApiKey.get(key),
    storeByAccessToken: (token) => byToken.get(token),
    tick() {
      const now = clock.now();
      for (const store of stores) applyDueTransitions(store, now);
      return now;
    },
    load,
    reset: () => load(scenario, seed),
    snapshot: () => ({
      version: 1,
      scenario,
      seed,
      clock: { now: clock.now().toISOString(), mode: clock.mode },
      stores: Object.fromEntries(stores.map((s) => [s.data.settings.id, structuredClone(s.data)])),
    }),
    restore(snapshot) {
      let next: StoreState[];
      try {
        next = Object.values(snapshot.stores).map((data) => {
          const copy = structuredClone(data);
          return { data: copy, index: buildIndex(copy) };
        });
        if (next.length === 0) throw new Error('a snapshot needs at least one store');
        if (!findScenario(snapshot.scenario)) throw new Error(`unknown scenario ${snapshot.scenario}`);
        const clockMs = Date.parse(snapshot.clock.now);
        for (const store of next) {
          checkIntegrity(store);
          const latest = latestTime(store);
          if (!(clockMs >= latest)) throw new Error(`the clock ${snapshot.clock.now} is before the state's latest time ${new Date(latest).toISOString()}`);
        }
      } catch (error) {
        throw new DomainError('invalid', 'INVALID_SNAPSHOT', `the snapshot cannot be loaded: ${(error as Error).message}`, [
          { field: 'stores', problem: (error as Error).message },
        ]);
      }
      scenario = snapshot.scenario;
      seed = snapshot.seed;
      install(next, new Date(snapshot.clock.now));
    },
  };
  return simulation;
}
