import type { StoreState } from '../domain/store.ts';
import type { InventoryMode } from '../domain/types.ts';
import type { Journal } from './journal.ts';
import type { Scenario } from './scenario.ts';
import type { StoreRegistry } from './store-registry.ts';
import type { Credentials, HostedStore } from './store.ts';
import type { WebhookHub } from '../webhooks/hub.ts';

type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type DataOf<R> = JsonOf<R> extends { data: infer D } ? D : never;

export type QueryOf<Op> = Op extends { parameters: { query?: infer Q } } ? ([Q] extends [never] ? Record<string, never> : NonNullable<Q>) : never;
// `storeId` picks the store (see dispatch.ts); handlers see only the rest, so a scoped copy of an operation
// shares its handler.
export type PathOf<Op> = Op extends { parameters: { path?: infer P } } ? ([P] extends [never] ? Record<string, never> : Omit<NonNullable<P>, 'storeId'>) : never;
export type BodyOf<Op> = Op extends { requestBody?: infer B } ? ([B] extends [never] ? undefined : JsonOf<NonNullable<B>>) : undefined;

type SuccessStatus = 200 | 201 | 202;

/** What a handler returns: a documented success status and its `data`, typed from generated/. */
export type Success<Op> = Op extends { responses: infer R }
  ? { [S in keyof R & SuccessStatus]: { status: S; data: DataOf<R[S]>; nextCursor?: string | null } }[keyof R & SuccessStatus]
  : never;

export interface HandlerInput<Op> {
  query: QueryOf<Op>;
  path: PathOf<Op>;
  body: BodyOf<Op>;
  /** The state of the store the request names: by its credentials, its `storeId`, else the default store. */
  state: StoreState;
  store: HostedStore;
  /** The store's time for this request. */
  now: Date;
  engine: EngineContext;
  /**
   * The answer goes to an adapter that only writes it out (HTTP): its objects may be shared, frozen ones kept
   * across answers. In-process callers get objects of their own, which they may change.
   */
  shared: boolean;
}

export interface NewStore {
  scenario: string;
  seed?: number;
  clock?: 'manual' | 'system';
  credentials?: Partial<Credentials>;
  inventory_mode?: InventoryMode;
}

/** What control operations may ask of the engine beyond their own store. */
export interface EngineContext {
  readonly scenarios: readonly Scenario[];
  readonly stores: StoreRegistry;
  readonly journal: Journal;
  defaultStore(): HostedStore;
  createStore(input: NewStore): HostedStore;
  deleteStore(id: string): HostedStore;
  readonly webhooks: WebhookHub;
}

export type Handler<Op> = (input: HandlerInput<Op>) => Success<Op>;
export type Handlers<Ops> = { [K in keyof Ops]: Handler<Ops[K]> };
