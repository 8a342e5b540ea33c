import type { operations as PurpleDotSpecOperations } from '../../generated/purple-dot.ts';
import type { operations as ControlOperations } from '../../generated/simulator.ts';
import { DomainError, invalid } from '../domain/errors.ts';
import { tooDeep } from './integrity.ts';
import { authenticateOptionalPublic, authenticatePrivate, authenticatePublic, authenticateShopper } from './auth.ts';
import type { BodyOf, Handlers, HandlerInput } from './handler.ts';
import { controlHandlers } from './operations/control.ts';
import { privateHandlers } from './operations/private.ts';
import { publicHandlers } from './operations/public.ts';
import { listOperations, type SpecOperation } from './spec.ts';
import type { StoreRegistry } from './store-registry.ts';
import type { FaultTargets } from './faults.ts';
import type { HostedStore as Store } from './store.ts';
import { validatorFor, type OperationValidator } from './validate.ts';
import { hasUpperCase } from './journal.ts';

/**
 * The webhooks Purple Dot sends are operations of its spec too (OpenAPI 3.1 `webhooks`), but the simulator
 * sends them (src/webhooks/), it never answers them: they have no handler and no route.
 */
type WebhookOperationId = 'waitlistStockWebhook' | 'preOrderWebhook';
type PurpleDotOperations = Omit<PurpleDotSpecOperations, WebhookOperationId>;
type Operations = PurpleDotOperations & ControlOperations;
export type OperationId = keyof Operations;

interface RequestCommon {
  /** Header names in any case; a body given in-process needs no `content-type`. */
  headers?: Record<string, string | string[] | undefined>;
  /** The HTTP method and request path, for the journal and path-matched faults; the operation's own when left out. */
  method?: string;
  target?: string;
  /** The absolute URL of the request, from which the `Link` to the next page is made. */
  url?: string;
}

/** One request as an HTTP adapter hands it over: query values as they arrived (strings, arrays for repeated ones). */
export interface EngineRequest extends RequestCommon {
  query?: Record<string, unknown>;
  path?: Record<string, string>;
  /** The parsed JSON body. */
  body?: unknown;
  /** Why the body could not be read; refused only after the credentials are checked, as before any body is. */
  bodyError?: DomainError;
  /** The adapter can write a body in pieces (see Answer.stream): a snapshot export then comes as its text. */
  streamable?: boolean;
}

type ParametersOf<Op, In extends string> = Op extends { parameters: { [K in In]?: infer P } } ? ([P] extends [never | undefined] ? never : NonNullable<P>) : never;
type ResponsesOf<Op> = Op extends { responses: infer R } ? R : never;
type JsonBody<R> = R extends { content: { 'application/json': infer B } } ? B : never;

/** The credentials the spec's security schemes carry in the query (the public key, the shopper token). */
interface CredentialQuery {
  api_key?: string;
  timestamp?: string | number;
  token?: string;
}
type QueryIn<Op> = [ParametersOf<Op, 'query'>] extends [never] ? CredentialQuery : ParametersOf<Op, 'query'> & CredentialQuery;

/** A request to one operation, typed from generated/: the parameters and body the spec declares. */
export interface RequestOf<Id extends OperationId> extends RequestCommon {
  query?: QueryIn<Operations[Id]>;
  path?: ParametersOf<Operations[Id], 'path'>;
  body?: BodyOf<Operations[Id]>;
}

/** What a bug answers, whatever the operation. */
export interface BugAnswer {
  status: 500;
  headers: Record<string, string>;
  body: { meta: { result: 'error' }; error: { code: string; message: string; details: { field: string; problem: string }[] } };
}

/** The answer of one operation, typed from generated/: each status the spec declares with its body. */
export type AnswerOf<Id extends OperationId> =
  | { [S in keyof ResponsesOf<Operations[Id]> & number]: { status: S; headers: Record<string, string>; body: JsonBody<ResponsesOf<Operations[Id]>[S]> } }[keyof ResponsesOf<Operations[Id]> & number]
  | BugAnswer;

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
  /** `optional-public`: a public key or shop domain may name the store; without one the default store (the SDK's events). */
  credentials: 'public' | 'optional-public' | 'shopper' | 'private' | 'none';
  /** Takes its store from the `storeId` path parameter. */
  scoped: boolean;
}

function credentialsOf(op: SpecOperation): Route['credentials'] {
  const requirements = op.operation.security ?? [];
  const schemes = new Set(requirements.flatMap((requirement) => Object.keys(requirement)));
  const optional = requirements.some((requirement) => Object.keys(requirement).length === 0);
  if (schemes.has('publicApiKey')) return schemes.has('shopperToken') ? 'shopper' : optional ? 'optional-public' : 'public';
  return schemes.has('accessToken') ? 'private' : 'none';
}

let routes: Map<string, Route> | undefined;

/** The operations of the Purple Dot contract: what faults and coverage are about. */
export const PURPLE_DOT_OPERATIONS: readonly string[] = listOperations().filter((op) => op.spec === 'purpleDot').map((op) => op.operation.operationId);
const purpleDotOperations = new Set(PURPLE_DOT_OPERATIONS);
const purpleDotPaths = listOperations().filter((op) => op.spec === 'purpleDot').map((op) => ({
  template: op.path,
  matcher: new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

/** What a fault rule may name: a Purple Dot operation, or a path (or template) one of them answers. */
export const faultTargets: FaultTargets = {
  operation: (id) => purpleDotOperations.has(id),
  path: (path) => purpleDotPaths.some((p) => p.template === path || p.matcher.test(path)),
};

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

/** A request with its headers in lower case and one value each. */
export interface ReceivedRequest extends Omit<EngineRequest, 'headers'> {
  headers: Record<string, string | undefined>;
}

/** Header names in lower case, as Node gives them; in-process callers may write them in any case. */
export function lowerCaseHeaders(headers: EngineRequest['headers'] = {}): Record<string, string | undefined> {
  const names = Object.keys(headers);
  // Node's headers are already so (names in lower case, one value each): they are read as they are, not copied
  // (twice per request, with an array per header, it was a good part of what a small answer allocated). The
  // result is only ever read. Only a plain object: what a read finds beyond its own keys is then what it would
  // find on a copy.
  let asGiven = Object.getPrototypeOf(headers) === Object.prototype;
  for (const name of names) {
    if (!asGiven) break;
    if (hasUpperCase(name) || Array.isArray(headers[name])) {
      asGiven = false;
      break;
    }
  }
  if (asGiven) return headers as Record<string, string | undefined>;
  const lower: Record<string, string | undefined> = {};
  for (const name of names) {
    const value = headers[name];
    lower[name.toLowerCase()] = Array.isArray(value) ? value[0] : value;
  }
  return lower;
}


/** The store a request acts on: the one its credentials name, the one its path names, or the default. */
export function storeFor(route: Route, request: ReceivedRequest, stores: StoreRegistry, fallback: () => Store): Store {
  switch (route.credentials) {
    case 'public':
    case 'shopper':
      return authenticatePublic(stores, request.query ?? {});
    case 'optional-public':
      return authenticateOptionalPublic(stores, request.query ?? {}) ?? fallback();
    case 'private':
      return authenticatePrivate(stores, request.headers['x-purple-dot-access-token']);
    default:
      return route.scoped ? stores.require(String(request.path?.storeId ?? '')) : fallback();
  }
}

const isJson = (contentType: string | undefined): boolean => {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json';
};

/** Checks what the store and time do not decide, in the order callers have always been told about it. */
export function admitRequest(route: Route, request: ReceivedRequest, store: Store, now: Date): void {
  if (route.credentials === 'shopper') authenticateShopper(store.state, request.query ?? {}, now);
  checkBody(route, request);
}

/** A body where the operation takes one, declared as JSON and readable as JSON. */
export function checkBody(route: Route, request: ReceivedRequest): void {
  const contentType = request.headers['content-type'];
  // A body handed over in-process is JSON already; one over HTTP is only parsed when it says it is JSON.
  if (route.hasBody && (contentType === undefined ? request.body === undefined : !isJson(contentType))) {
    throw new DomainError('unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE', 'The request body must be application/json.', [
      { field: 'Content-Type', problem: 'must be application/json' },
    ]);
  }
  if (request.bodyError) throw request.bodyError;
}

/**
 * A body the schema let through (an open shape) may still nest deeper than the stack can copy or log. Checked
 * after the schema, so a closed shape's refusal names the unknown field first.
 */
export function checkDepth(body: unknown): void {
  const deep = tooDeep(body, 'body', MAX_BODY_DEPTH);
  if (!deep) return;
  // Named by its top-level field: the full path of a value nested thousands deep is no help to anyone.
  const field = deep.split('.')[1] || 'body';
  throw invalid('INVALID_REQUEST', field, `nests deeper than ${MAX_BODY_DEPTH} levels, which no request of either API does`);
}

/** Deeper than any body of either API (a snapshot's store data included), far below what would exhaust the stack. */
const MAX_BODY_DEPTH = 40;

let utcSecond = NaN;
let utcString = '';

/** `date.toUTCString()`, made once per second (every answer's Date header). */
export function utcText(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  // An invalid date (NaN) is never equal, so never kept.
  if (second !== utcSecond) {
    utcString = date.toUTCString();
    utcSecond = second;
  }
  return utcString;
}

/** RFC 8288 link to the next page: the same request with `starting_after` moved to the cursor; none without a usable URL. */
export function nextLink(url: string | undefined, cursor: string): string | undefined {
  if (!url) return undefined;
  // The same page asked again (a poller, a storefront) has the same link: kept per URL and cursor.
  const key = `${cursor}\n${url}`;
  const kept = nextLinks.get(key);
  // (Both compared: a key alone could be made by two pairs if either held a line break.)
  if (kept !== undefined && kept.url === url && kept.cursor === cursor) return kept.link;
  const link = makeNextLink(url, cursor);
  if (nextLinks.size >= KEPT_LINKS) nextLinks.clear();
  nextLinks.set(key, { url, cursor, link });
  return link;
}

const nextLinks = new Map<string, { url: string; cursor: string; link: string | undefined }>();
const KEPT_LINKS = 256;

function makeNextLink(url: string, cursor: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const next = new URL(url);
  next.searchParams.set('starting_after', cursor);
  return `<${next.toString()}>; rel="next"`;
}
