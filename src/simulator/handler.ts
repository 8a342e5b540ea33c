import type { StoreState } from '../domain/store.ts';
import type { Simulation } from './simulation.ts';

type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type DataOf<R> = JsonOf<R> extends { data: infer D } ? D : never;

type QueryOf<Op> = Op extends { parameters: { query?: infer Q } } ? ([Q] extends [never] ? Record<string, never> : NonNullable<Q>) : never;
type PathOf<Op> = Op extends { parameters: { path?: infer P } } ? ([P] extends [never] ? Record<string, never> : NonNullable<P>) : never;
type BodyOf<Op> = Op extends { requestBody?: infer B } ? ([B] extends [never] ? undefined : JsonOf<NonNullable<B>>) : undefined;

type SuccessStatus = 200 | 201;

/** What a handler returns: a documented success status and its `data`, typed from generated/. */
export type Success<Op> = Op extends { responses: infer R }
  ? { [S in keyof R & SuccessStatus]: { status: S; data: DataOf<R[S]>; nextCursor?: string | null } }[keyof R & SuccessStatus]
  : never;

export interface HandlerInput<Op> {
  query: QueryOf<Op>;
  path: PathOf<Op>;
  body: BodyOf<Op>;
  /** The store the credentials name (the default store for control operations). */
  store: StoreState;
  now: Date;
  sim: Simulation;
}

export type Handler<Op> = (input: HandlerInput<Op>) => Success<Op>;
export type Handlers<Ops> = { [K in keyof Ops]: Handler<Ops[K]> };
