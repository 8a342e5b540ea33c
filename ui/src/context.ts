import type { components as Sim } from '../../generated/simulator.ts';
import type { Api } from './api.ts';

export type Store = Sim['schemas']['Store'];
export type ScenarioSummary = Sim['schemas']['ScenarioSummary'];

/** What a panel may use: the API, the store picked, and `act` for every change it makes. */
export interface Context {
  api: Api;
  store: Store;
  scenarios: ScenarioSummary[];
  /** Runs a change, shows its refusal with the simulator's message (or says it is done), then refreshes every panel. */
  act(label: string, change: () => Promise<unknown>): Promise<void>;
  /** Picks another store (after creating one). */
  pick(storeId: string): Promise<void>;
}

/** A panel of the page: its element, and how it fetches and shows the picked store. */
export interface Panel {
  element: HTMLElement;
  load(ctx: Context): Promise<void>;
}
