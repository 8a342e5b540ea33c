import type { operations as PurpleDotOperations } from '../../generated/purple-dot.ts';
import type { operations as ControlOperations } from '../../generated/simulator.ts';
import { DomainError } from '../domain/errors.ts';
import { authenticatePrivate, authenticatePublic, authenticateShopper } from './auth.ts';
import type { Handlers, HandlerInput } from './handler.ts';
import { controlHandlers } from './operations/control.ts';
import { privateHandlers } from './operations/private.ts';
import { publicHandlers } from './operations/public.ts';
import { listOperations, type SpecOperation } from './spec.ts';
import type { StoreRegistry } from './store-registry.ts';
import type { Store } from './store.ts';
import { validatorFor, type OperationValidator } from './validate.ts';

export type OperationId = keyof PurpleDotOperations | keyof ControlOperations;

/** One request as the engine sees it: what HTTP carried, already split into its parts. */
export interface EngineRequest {
  /** Query parameters as they arrived: strings, or arrays of strings for repeated ones. */
  query?: Record<string, unknown>;
  path?: Record<string, string>;
  /** Header names in lower case. */
  headers?: Record<string, string | string[] | undefined>;
  /** The parsed JSON body. */
  body?: unknown;
  /** Why the body could not be read; refused only after the credentials are checked, as before any body is. */
  bodyError?: DomainError;
  /** The absolute URL of the request, from which the `Link` to the next page is made. */
  url?: string;
}

// Typed against both generated contracts, so an operation added to a spec without a handler fails tsc.
const vendorHandlers: Handlers<PurpleDotOperations> = { ...publicHandlers, ...privateHandlers };
const allHandlers: Handlers<PurpleDotOperations> & Handlers<ControlOperations> = { ...vendorHandlers, ...controlHandlers };

// Each handler is typed against its own operation; here they are only looked up by operationId.
type AnyHandler = (input: HandlerInput<never>) => { status: number; data: unknown; nextCursor?: string | null };

/** How the engine answers one operation: its handler, its compiled validator and how it picks its store. */
export interface Route {
  operation: SpecOperation;
  handler: AnyHandler;
  validator: OperationValidator;
  hasBody: boolean;
  credentials: 'public' | 'shopper' | 'private' | 'none';
  /** Takes its store from the `storeId` path parameter. */
  scoped: boolean;
}

function credentialsOf(op: SpecOperation): Route['credentials'] {
  const schemes = new Set((op.operation.security ?? []).flatMap((requirement) => Object.keys(requirement)));
  if (schemes.has('publicApiKey')) return schemes.has('shopperToken') ? 'shopper' : 'public';
  return schemes.has('accessToken') ? 'private' : 'none';
}

let routes: Map<string, Route> | undefined;

/** Every operation of both specs, compiled once per process: routes hold no state. */
export function routeTable(): Map<string, Route> {
  routes ??= new Map(listOperations().map((op) => {
    const id = op.operation.operationId;
    const handler = (allHandlers as unknown as Record<string, AnyHandler>)[id];
    if (!handler) throw new Error(`no handler for operation ${id}`);
    // Compiled on the operation's first request: compiling all of them up front doubled the start-up time.
    let validator: OperationValidator | undefined;
    const route: Route = {
      operation: op,
      handler,
      validator: { check: (parts) => (validator ??= validatorFor(op)).check(parts) },
      hasBody: op.operation.requestBody !== undefined,
      credentials: credentialsOf(op),
      scoped: (op.operation.parameters ?? []).some((p) => p.name === 'storeId' || p.$ref?.endsWith('/StoreId')),
    };
    return [id, route];
  }));
  return routes;
}

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** The store a request acts on: the one its credentials name, the one its path names, or the default. */
export function storeFor(route: Route, request: EngineRequest, stores: StoreRegistry, fallback: () => Store): Store {
  switch (route.credentials) {
    case 'public':
    case 'shopper':
      return authenticatePublic(stores, request.query ?? {});
    case 'private':
      return authenticatePrivate(stores, single(request.headers?.['x-purple-dot-access-token']));
    default:
      return route.scoped ? stores.require(String(request.path?.storeId ?? '')) : fallback();
  }
}

const isJson = (contentType: string | undefined): boolean => {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json';
};

/** Checks what the store and time do not decide, in the order callers have always been told about it. */
export function admitRequest(route: Route, request: EngineRequest, store: Store, now: Date): void {
  if (route.credentials === 'shopper') authenticateShopper(store.state, request.query ?? {}, now);
  if (route.hasBody && !isJson(single(request.headers?.['content-type']))) {
    throw new DomainError('unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE', 'The request body must be application/json.', [
      { field: 'Content-Type', problem: 'must be application/json' },
    ]);
  }
  if (request.bodyError) throw request.bodyError;
}

/** RFC 8288 link to the next page: the same request with `starting_after` moved to the cursor. */
export function nextLink(url: string, cursor: string): string {
  const next = new URL(url);
  next.searchParams.set('starting_after', cursor);
  return `<${next.toString()}>; rel="next"`;
}
