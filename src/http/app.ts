import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { DomainError } from '../domain/errors.ts';
import { answerError, errorEnvelope, refusal, reporter, type Answer } from '../engine/answer.ts';
import { routeTable, type EngineRequest, type OperationId, type Route } from '../engine/dispatch.ts';
import { createEngine, type Engine, type EngineOptions } from '../engine/engine.ts';
import { openStateFile, StateFileError, type StateFile, type StateFileOptions } from '../state/state-file.ts';
import { bodyRefusal } from './body-errors.ts';
import { allowedHostNames, controlPlaneRefusal, hostRefusal, isLoopback, type ControlPlaneOptions } from './control-plane.ts';
import { BodyChunks, readBodyChunks } from './body-chunks.ts';
import { runInSlices } from './sliced-work.ts';
import { HttpEngineRequest } from './engine-request.ts';
import { requestContext } from './request-context.ts';
import { createWorkQueue } from './work-queue.ts';
import { jsonBytes, sendJson } from './json-bytes.ts';
import type { Webhooks } from '../webhooks/hub.ts';
import { httpTransport } from '../webhooks/transport.ts';
import { guardServer, type CloseOptions } from './shutdown.ts';
import { answerTransportErrors } from './transport-errors.ts';
import { mountDashboard } from '../ui/routes.ts';
import type { Consistency, Replica, ReplicaOptions } from '../replica/replica.ts';

export interface SimulatorOptions extends Omit<EngineOptions, 'stateLog' | 'restore'>, ControlPlaneOptions {
  /** Serve an engine you already have (several apps may share one); by default the simulator makes its own. */
  engine?: Engine;
  /**
   * Keep every acknowledged change in this file (crash-safe: each answer waits for its fsync) and start from
   * it when it exists: its stores, their data and clocks, in place of `scenario`, `seed` and `credentials`.
   */
  stateFile?: string;
  /** When the state file is compacted (tests make it small). */
  stateFileOptions?: StateFileOptions;
}

/** One instance of a simulator shared by several (see README, "Share one simulator"): `createSimulator` then returns a promise. */
export interface SharedSimulatorOptions extends SimulatorOptions {
  /** `redis://HOST:PORT[/DB][?namespace=NAME]`: the log on Redis the stores are kept in. */
  state: string;
  /** `read-your-writes` (default) catches up with the log before each read; `eventual` does not. */
  consistency?: Consistency;
  /** When the log is compacted, how long leases last, this instance's name (tests make them small). */
  replicaOptions?: Pick<ReplicaOptions, 'compactAfter' | 'leaseMs' | 'instance'>;
}

export interface AppOptions extends ControlPlaneOptions {
  onBug?: (error: unknown) => void;
  /** Answers a request in place of `engine.dispatchRaw`: a replica of a shared log orders changes first (src/replica/). */
  dispatch?: (operationId: string, request: EngineRequest) => Answer | Promise<Answer>;
  /**
   * The Host names accepted (DNS-rebinding protection); every Host when left out. `listen()` on a loopback
   * address fills it in: the loopback names, the bound address and `allowedHosts`.
   */
  hosts?: () => ReadonlySet<string> | undefined;
}

export interface RunningSimulator {
  url: string;
  /** Stops accepting, lets requests under way finish within `graceMs` (0 by default: at once), then closes. */
  close(options?: CloseOptions): Promise<void>;
}

export interface ListenOptions {
  /** Connections beyond this many are answered 503 in the error envelope and closed. */
  maxConnections?: number;
}

export interface Simulator {
  /** The state file, when the simulator keeps one: what opening it found (`notes`), and `flush()`. */
  stateFile?: StateFile;
  /** With `state`: this instance of the shared log (`status()`, `sync()`, `close()`). */
  replica?: Replica;
  /**
   * The Express app: mount it in your own server, or add routes of your own to it; they are reachable, and
   * unknown paths still get the 404 in the error envelope.
   */
  app: Express;
  engine: Engine;
  /** The stores' webhooks: `on(event, fn)` hears them in-process, `deliveries()` shows what was sent, `idle()` waits for the rest. */
  webhooks: Webhooks;
  listen(port?: number, host?: string, options?: ListenOptions): Promise<RunningSimulator>;
}

// Not strict: `null` or `"x"` is valid JSON, and the schema then names what is wrong with it. The limits count
// the body after gzip or deflate is undone, and stay far below what V8 can hold as one string (about 512 MB):
// no body can bring the process down. Purple Dot's bodies are small objects.
const jsonBody = express.json({ limit: '1mb', strict: false });
// A snapshot of the large-catalogue scenario is about 150 MB: read as bytes, and parsed by the engine in steps
// (engine.importSteps), since JSON.parse of it in one go would hold every other store's answers for seconds.
const SNAPSHOT_LIMIT = 256 * 1024 * 1024;

/** A charset other than UTF-8 in the Content-Type, which the snapshot's byte parser cannot read. */
const otherCharset = (req: Request): boolean => {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.get('content-type') ?? '')?.[1];
  return charset !== undefined && charset.toLowerCase() !== 'utf-8';
};

/** The one place an answer is written, errors included; a fault's delivery (late, or lost) is carried out here. */
function writeAnswer(res: Response, answer: Answer): void {
  const { delivery } = answer;
  if (delivery && delivery.latencyMs > 0) {
    // Unref'd and dropped with the connection: a pending delay never keeps a process, or a closed server, alive.
    const timer = setTimeout(() => writeLater(res, { ...answer, delivery: { ...delivery, latencyMs: 0 } }), delivery.latencyMs);
    timer.unref();
    res.once('close', () => clearTimeout(timer));
    return;
  }
  if (res.destroyed) return;
  switch (delivery?.lose) {
    case 'reset':
      // A TCP reset (RST), as a dropped connection gives, not an orderly close.
      if (res.socket) res.socket.resetAndDestroy();
      return;
    case 'malformed':
      // The answer's own status with JSON that stops short, as a proxy cutting a response off would leave it.
      res.status(answer.status).type('application/json').end(JSON.stringify(answer.body).slice(0, 24));
      return;
    case 'timeout':
      // No answer at all: the connection stays open until the client gives up (or the server closes).
      return;
    default:
      if (writeDirect(res, answer)) return;
      res.status(answer.status);
      for (const [name, value] of Object.entries(answer.headers)) res.set(name, value);
      sendJson(res, answer.body);
  }
}

/**
 * An answer written straight through node:http, for the common case: the same status line, headers (in the
 * same order) and bytes as `res.status`, `res.set` and `sendJson` (`res.send`) write, without the work of
 * theirs that cannot apply here. Express's `res.send` costs a request several lookups and header reads, and on
 * this machine every object a request allocates is paid for again in garbage collection. Whenever `res.send`
 * could do something else, the answer is left to it (false): a Content-Type or Transfer-Encoding already set, a
 * header value that is not a plain string or a Content-Type among the answer's (`res.set` rewrites those), an
 * app's `json replacer`, `json spaces` or `json escape` (a parent app lends them to a mounted simulator), a
 * status whose body `res.send` strips (204, 205, 304), and a conditional GET or HEAD (`If-None-Match`,
 * `If-Modified-Since`), which `res.send` may answer 304.
 */
function writeDirect(res: Response, answer: Answer): boolean {
  const { req } = res;
  const status = answer.status;
  if (status === 204 || status === 205 || status === 304) return false;
  if (req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined) return false;
  if (res.getHeader('content-type') !== undefined || res.getHeader('transfer-encoding') !== undefined) return false;
  const { headers } = answer;
  const names = Object.keys(headers);
  for (const name of names) {
    if (typeof headers[name] !== 'string') return false;
    // Lower-cased only at the two lengths that could match (each toLowerCase is a new string).
    if ((name.length === 12 || name.length === 17) && /^(content-type|transfer-encoding)$/i.test(name)) return false;
  }
  const app = res.app;
  if (app.get('json replacer') || app.get('json spaces') || app.get('json escape')) return false;
  const bytes = jsonBytes(answer.body);
  if (bytes === undefined) return false;
  res.status(status);
  for (const name of names) res.setHeader(name, headers[name]!);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(bytes.length));
  if (req.method === 'HEAD') res.end();
  else res.end(bytes);
  return true;
}

/** writeAnswer from a timer or a promise: nothing a callback throws may escape and take the process down. */
function writeLater(res: Response, answer: Answer): void {
  try {
    writeAnswer(res, answer);
  } catch (error) {
    console.error(error);
    res.destroy();
  }
}

/**
 * Writes a body made in pieces (a snapshot export), a few milliseconds of pieces per turn of the event loop
 * and no faster than the client reads, so other stores are answered in between. The store stays held (its
 * requests wait) until the last piece is out or the client goes away.
 */
function writeInPieces(res: Response, answer: Answer, release: () => void): void {
  const pieces = answer.stream!.pieces()[Symbol.iterator]();
  res.once('close', release);
  res.status(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) res.set(name, value);
  res.type('application/json');
  const pump = (): void => {
    try {
      const until = performance.now() + 5;
      for (;;) {
        if (res.destroyed) return release();
        const next = pieces.next();
        if (next.done) {
          res.end();
          return release();
        }
        // A drain can come in the same tick as the write (a fast reader on loopback): the next slice still waits
        // for a turn of the event loop, or one slice would follow another without end.
        if (!res.write(next.value)) return void res.once('drain', () => setImmediate(pump));
        if (performance.now() >= until) return void setImmediate(pump);
      }
    } catch (error) {
      release();
      console.error(error);
      res.destroy();
    }
  };
  pump();
}

const decodable = (path: string): boolean => {
  // Nothing to decode, nothing to fail: most paths.
  if (!path.includes('%')) return true;
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
};

/** Reads the JSON body the operation takes; a refusal is handed to the engine, which answers it after the credentials. */
function readBody(route: Route, req: Request, res: Response): Promise<DomainError | undefined> {
  if (!route.hasBody) return Promise.resolve(undefined);
  const snapshot = route.operation.operation.operationId.startsWith('importSnapshot');
  if (snapshot && otherCharset(req)) return Promise.resolve(bodyRefusal({ type: 'charset.unsupported' }));
  if (snapshot) {
    // Not JSON, or no body: left unread, and the engine refuses it as it refuses any such body.
    if (!req.is('application/json')) return Promise.resolve(undefined);
    return readBodyChunks(req, SNAPSHOT_LIMIT).then(
      // An empty body reads as {}, as the JSON parser gives it (the schema then names what is missing).
      (body) => void (req.body = body.length === 0 ? {} : body),
      (error: unknown) => {
        const refused = bodyRefusal(error);
        if (!refused) throw error;
        return refused;
      },
    );
  }
  return new Promise((resolve, reject) => {
    jsonBody(req, res, (error?: unknown) => {
      if (error === undefined) return resolve(undefined);
      const refused = bodyRefusal(error);
      return refused ? resolve(refused) : reject(error);
    });
  });
}

/**
 * A path whose percent-encoding is broken cannot name a resource; Express would fail while decoding its
 * parameters. Answer as the matching operation declares: 404 where it has one, else 400.
 */
function undecodablePath(routes: MatchedRoute[], req: Request): Answer {
  const hit = routes.find((r) => r.operation.method === req.method.toLowerCase() && r.matcher.test(req.path));
  const field = hit?.params[0] ?? 'path';
  const details = [{ field, problem: 'is not valid percent-encoded UTF-8' }];
  const declares404 = hit ? '404' in (hit.operation.operation.responses ?? {}) : true;
  return refusal(new DomainError(declares404 ? 'not_found' : 'invalid', declares404 ? 'NOT_FOUND' : 'INVALID_REQUEST', `${field}: is not valid percent-encoded UTF-8`, details));
}

/**
 * Whether `path` starts with `prefix` (lower-case ASCII) in any case of its letters A–Z, without lower-casing the
 * path (a new string per call). A necessary condition for a case-insensitive route pattern to match: its regular
 * expression (flag `i`, not `u`) matches an ASCII letter only with the same letter in either case.
 */
function startsWithInAnyCase(path: string, prefix: string): boolean {
  if (path.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i += 1) {
    let c = path.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== prefix.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Node's request and response classes for the simulator's own server (`listen`), whose instances have the app's
 * Express prototypes one link up from birth. Express gives every request and response the app's prototypes
 * (`Object.setPrototypeOf`), and V8 pays for that on every object: measured with a one-route Express app here, a
 * request allocated 23.7 KB with the transition and 9 KB without it, and on this machine allocation is most of
 * what a request costs. The prototypes of these classes add nothing of their own (no `constructor` either), so
 * every property a request or response has is the one it would have had; a server that is not ours (the app
 * mounted elsewhere) gets Express's usual handling.
 */
function bornClasses(request: object, response: object): { IncomingMessage: typeof IncomingMessage; ServerResponse: typeof ServerResponse } {
  class SimIncomingMessage extends IncomingMessage {}
  class SimServerResponse extends ServerResponse {}
  for (const [born, proto] of [[SimIncomingMessage, request], [SimServerResponse, response]] as const) {
    delete (born.prototype as { constructor?: unknown }).constructor;
    Object.setPrototypeOf(born.prototype, proto);
  }
  return { IncomingMessage: SimIncomingMessage, ServerResponse: SimServerResponse as unknown as typeof ServerResponse };
}

/** Whether `object` is of the born class, whose prototype's prototype is (still) the app's `proto`. */
const bornOf = (object: object, born: { prototype: object }, proto: object): boolean =>
  Object.getPrototypeOf(object) === born.prototype && Object.getPrototypeOf(born.prototype) === proto;

/** The born classes of each app made by createApp, for `listen`. */
const serverClasses = new WeakMap<Express, ReturnType<typeof bornClasses>>();

/** On a request `front` has been through, for the router's first layer: pass it on, with this error. */
const PASSED: unique symbol = Symbol('purple-dot-sim: front passed');
interface Passed {
  [PASSED]?: { error: unknown } | undefined;
}

/** A layer of Express's router (router 2.x): a route's, with its own path matcher. */
interface RouteLayer {
  route: { _handlesMethod(method: string): boolean } | undefined;
  rawPath: unknown;
  match(path: string): { params: Record<string, string> } | false;
}

interface MatchedRoute extends Route {
  matcher: RegExp;
  params: string[];
}

/** The paths the simulator answers for, even when mounted in another app. */
const OWN_PATHS = /^\/(api|admin\/api|__sim)(\/|$)/;

/** The public API, which browsers on any origin may call. */
const PUBLIC_PATHS = /^\/api(\/|$)/;

/**
 * Read by any origin; `Link` (the next page) and `Date` (the store's clock) exposed to scripts. No credentials
 * mode: the public key travels in the query, not in cookies (documented: `api_key` query parameter).
 */
const PUBLIC_CORS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Link, Date, WWW-Authenticate' } as const;

/** A preflight's answer: the methods the path takes, and the one header a JSON body needs. */
const preflight = (allowed: string[]): Record<string, string> => ({
  'Access-Control-Allow-Methods': allowed.join(', '),
  'Access-Control-Allow-Headers': 'Content-Type',
  'Access-Control-Max-Age': '600',
});

/** An error from a route a caller added: its own 4xx status kept, anything else a bug. */
function callerError(error: unknown, report: (error: unknown) => void): Answer {
  const status = (error as { status?: unknown } | null)?.status;
  if (!(error instanceof DomainError) && typeof status === 'number' && status >= 400 && status < 500) {
    const message = error instanceof Error && error.message ? error.message : 'The request was refused.';
    return { status, headers: {}, body: errorEnvelope('REQUEST_REFUSED', message, []) };
  }
  return answerError(error, report);
}

/** The methods the spec gives a path, in the spec's order; none for a path it does not have. */
function allowedMethods(routes: MatchedRoute[], path: string): string[] {
  const methods = routes.filter((r) => r.matcher.test(path)).map((r) => r.operation.method.toUpperCase());
  return [...new Set(methods.includes('GET') ? [...methods, 'HEAD'] : methods)];
}

/** A method the path does not take: 405 with the ones it does (RFC 9110), in the envelope. */
function wrongMethod(req: Request, allowed: string[]): Answer {
  const problem = `${req.path} takes ${allowed.join(', ')}`;
  const answer = refusal(new DomainError('invalid', 'METHOD_NOT_ALLOWED', `${req.method} is not allowed: ${problem}.`, [{ field: 'method', problem }]));
  return { ...answer, status: 405, headers: { Allow: allowed.join(', ') } };
}

const unknownRoute = (req: Request): Answer =>
  refusal(new DomainError('not_found', 'NOT_FOUND', `No route for ${req.method} ${req.path}.`, [{ field: 'path', problem: `no route ${req.method} ${req.path}` }]));

/**
 * The Express adapter of an engine: one route per spec operation, each running parse → dispatch → write.
 * Validation, credentials and the store are the engine's; this only carries HTTP in and out.
 */
/** A change the state file could not take: the answer is not sent as a success, since a restart would not have it. */
function notSaved(error: unknown, report: (error: unknown) => void): Answer {
  report(error);
  return { status: 500, headers: {}, body: errorEnvelope('STATE_NOT_SAVED', `The change was made but could not be saved: ${(error as Error).message}`, []) };
}

export function createApp(engine: Engine, options: AppOptions = {}): Express {
  const report = reporter(options.onBug);
  const dispatch = options.dispatch ?? engine.dispatchRaw;
  const work = createWorkQueue();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Paths as the spec writes them: `DELETE /__sim/faults/` is not `DELETE /__sim/faults` (it would clear every rule).
  app.set('strict routing', true);
  // Every key, not the first 1,000 (Node's default): a dropped parameter would be a check silently skipped. The
  // request line's size (Node's header limit) bounds how many there can be.
  app.set('query parser', (query: string) => parseQuery(query, '&', '=', { maxKeys: 0 }));
  const routes: MatchedRoute[] = [...routeTable().values()].map((route) => ({
    ...route,
    matcher: new RegExp(`^${route.operation.path.replace(/\{([^}]+)\}/g, '[^/]+')}$`),
    params: [...route.operation.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
  }));

  let requests = 0;
  /**
   * What every request goes through, in this order, in its own context (one function, not five middlewares:
   * each layer of Express's router costs a request a match, closures and a turn through `next`): the Host check,
   * a path that must decode, CORS on the public API, OPTIONS on our paths; then, for the Purple Dot API, its
   * route (`vendorRoute`, below). Anything else is handed on to the router.
   */
  const front = (req: Request, res: Response, next: NextFunction): void => {
    const hosts = options.hosts?.();
    const wrongHost = hosts ? hostRefusal(req, hosts) : undefined;
    if (wrongHost) return writeAnswer(res, refusal(wrongHost));
    const path = req.path;
    if (!decodable(path)) return writeAnswer(res, undecodablePath(routes, req));
    // The public API is meant for browsers (a storefront's own pages call it): any origin may read every answer
    // of it, refusals included. The private and control APIs send no CORS headers, so a page on another origin
    // can neither read them nor pass a preflight for them. (What res.set(PUBLIC_CORS) sets, header by header.)
    const isPublic = PUBLIC_PATHS.test(path);
    if (isPublic) {
      res.setHeader('Access-Control-Allow-Origin', PUBLIC_CORS['Access-Control-Allow-Origin']);
      res.setHeader('Access-Control-Expose-Headers', PUBLIC_CORS['Access-Control-Expose-Headers']);
    }
    // OPTIONS on a path of ours says which methods it takes; on the public API it is also the CORS preflight.
    if (req.method === 'OPTIONS') {
      if (!OWN_PATHS.test(path)) return next();
      const allowed = allowedMethods(routes, path);
      if (allowed.length === 0) return next();
      res.status(204).set('Allow', ['OPTIONS', ...allowed].join(', '));
      if (isPublic) res.set(preflight(allowed));
      res.end();
      return;
    }
    const hit = vendorRoute(req.method, path);
    if (!hit) return next();
    // What Express's router sets before it calls a route's handler.
    req.params = hit.params;
    (req as { route?: unknown }).route = hit.layer.route;
    serve(hit.route, req, res, next);
  };
  // Every request runs in its own context, so an exception escaping its asynchronous work can still answer it.
  // A request `handle` (below) already took through `front` is passed on at once, with the error it brought;
  // one that reached the router some other way goes through `front` here.
  app.use((req, res, next) => {
    const passed = (req as Passed)[PASSED];
    if (passed) {
      (req as Passed)[PASSED] = undefined;
      return next(passed.error);
    }
    requestContext.run({ id: (requests += 1), method: req.method, path: req.path, res }, front, req, res, next);
  });
  // The dashboard's page and its live journal, ahead of the spec's routes (src/ui/).
  mountDashboard(app, engine, options);

  /** Parse → dispatch → write, for one operation: run by its Express route, or found by `front` for the Purple Dot API. */
  const serve = (route: MatchedRoute, req: Request, res: Response, next: NextFunction): void => {
    const locked = route.operation.spec === 'simulator' ? controlPlaneRefusal(req, options) : undefined;
    if (locked) {
      writeAnswer(res, refusal(locked));
      return;
    }
    // Without a body to read there is nothing to wait for: no promise, no turn of the microtask queue.
    if (!route.hasBody) return admit(route, req, res, next, undefined);
    readBody(route, req, res).then((bodyError) => admit(route, req, res, next, bodyError)).catch(next);
  };

  /** The request handed to the engine, queued for its store (see work-queue.ts). */
  const admit = (route: MatchedRoute, req: Request, res: Response, next: NextFunction, bodyError: DomainError | undefined): void => {
    const operationId = route.operation.operation.operationId as OperationId;
    const request = new HttpEngineRequest(req, req.body, bodyError);
    const write = (answer: Answer): void => {
      // A change is acknowledged only once the state log has it.
      if (answer.durable) answer.durable.then(() => writeLater(res, answer), (error: unknown) => writeLater(res, notSaved(error, report)));
      else if (answer.stream) writeInPieces(res, answer, work.hold(answer.stream.store));
      else writeAnswer(res, answer);
    };
    const respond = (given: EngineRequest, release?: () => void): void => {
      try {
        const answer = dispatch(operationId, given);
        if (!(answer instanceof Promise)) {
          release?.();
          write(answer);
          return;
        }
        // A replica's change: answered once the shared log has ordered it and this instance has applied it.
        answer.then((settled) => {
          release?.();
          write(settled);
        }, (error: unknown) => {
          release?.();
          next(error);
        });
      } catch (error) {
        release?.();
        next(error);
      }
    };
    // Only what picks a store: a copy of the whole request (which storeOf makes) would also work out `url`.
    const store = engine.storeOf(operationId, { query: request.query, path: request.path, headers: request.headers });
    work.push(() => {
      const bytes = req.body instanceof BodyChunks ? req.body.chunks : undefined;
      const steps = bytes && !bodyError ? engine.importSteps(operationId, request, bytes) : undefined;
      // A body read as bytes is never handed on as such; any other request goes as it is.
      if (!steps || store === undefined) return respond(bytes ? request.withBody(undefined) : request);
      // The store's other requests wait until the import is in (or refused): they must see one state or the other.
      const release = work.hold(store);
      res.once('close', release);
      runInSlices(steps, () => res.destroyed, (outcome) => {
        if ('value' in outcome) return respond(request.withBody(outcome.value), release);
        const refused = outcome.error instanceof DomainError ? outcome.error : undefined;
        if (refused) return respond(request.withBody(undefined, refused), release);
        release();
        return next(outcome.error);
      });
    }, store);
  };

  const stack = (app as unknown as { router: { stack: RouteLayer[] } }).router.stack;
  const byLayer = new Map<RouteLayer, MatchedRoute>();
  for (const route of routes) {
    const expressPath = route.operation.path.replace(/\{([^}]+)\}/g, ':$1');
    app[route.operation.method](expressPath, (req: Request, res: Response, next: NextFunction) => serve(route, req, res, next));
    byLayer.set(stack[stack.length - 1]!, route);
  }

  /**
   * The Purple Dot operation Express's router would run for a request, found without it: the route layers after
   * `front` (the dashboard's, then one per operation), tried in their order with their own `match`, as the
   * router tries them. Undefined whenever the router would run anything else (a control operation, the
   * dashboard, a route a caller added, the final handler) or a match fails to decode: `front` then hands the
   * request on and the router decides, as before.
   */
  const candidates = stack.filter((layer) => layer.route !== undefined).map((layer) => {
    const route = byLayer.get(layer);
    // The path's text before its first parameter, lower-cased: a path that does not start with it (in any case)
    // cannot match, so most layers are passed over without running their pattern. (Only an ASCII prefix.)
    const raw = layer.rawPath;
    const text = typeof raw === 'string' ? raw.slice(0, raw.search(/[:*{}()[\]+?!\\]|$/)).toLowerCase() : '';
    const prefix = /^[\x20-\x7e]*$/.test(text) ? text : '';
    return { layer, prefix, route: route?.operation.spec === 'purpleDot' ? route : undefined };
  });
  const vendorRoute = (method: string, path: string): { route: MatchedRoute; layer: RouteLayer; params: Record<string, string> } | undefined => {
    for (const candidate of candidates) {
      if (!startsWithInAnyCase(path, candidate.prefix)) continue;
      let match: { params: Record<string, string> } | false;
      try {
        match = candidate.layer.match(path);
      } catch {
        return undefined;
      }
      // A route that does not take the method is passed over, as the router does (for HEAD, by its dispatch).
      if (!match || !candidate.layer.route!._handlesMethod(method)) continue;
      return candidate.route ? { route: candidate.route, layer: candidate.layer, params: match.params } : undefined;
    }
    return undefined;
  };

  // Whatever no route answered (an unknown path, or an error in a route a caller added) is answered here,
  // after every route, including those added once the app was made. Mounted in another app, paths the
  // simulator does not own and errors of the caller's own routes go on to the parent.
  type Handle = (req: Request, res: Response, done?: (error?: unknown) => void) => void;
  const withHandle = app as unknown as { handle: Handle; request: object; response: object };
  const born = bornClasses(withHandle.request, withHandle.response);
  serverClasses.set(app, born);
  const handle = withHandle.handle.bind(app);
  const routed = (req: Request, res: Response, done: ((error?: unknown) => void) | undefined): void => {
    handle(req, res, (error?: unknown) => {
      // Express passes 'router' or 'route' when a route gives up on a request: nothing answered it.
      const unanswered = error === undefined || error === null || error === 'router' || error === 'route';
      if (done && !(unanswered && OWN_PATHS.test(req.path))) return done(unanswered ? undefined : error);
      if (res.headersSent) return void res.destroy();
      const allowed = unanswered ? allowedMethods(routes, req.path) : [];
      const answer = !unanswered ? callerError(error, report) : allowed.length > 0 ? wrongMethod(req, allowed) : unknownRoute(req);
      if (unanswered) {
        engine.recordUnrouted({ method: req.method, target: req.path, query: req.query as Record<string, unknown>, headers: req.headers }, answer);
      }
      writeAnswer(res, answer);
    });
  };
  /**
   * Every request enters here. It goes through `front` first, as the router's first layer would run it, so that
   * a Purple Dot operation is answered without Express's router: its dispatch of a request (closures, a restore
   * of request fields, a walk of the layers) allocated about a quarter of what a small answer costs, and on this
   * machine allocation is most of the cost. What `front` hands on (the control API, the dashboard, a caller's
   * route, an unknown path, an error) goes to the router as before; its first layer then passes the request on
   * at once, with the error if there is one, so the router carries on exactly as if `front` had run as its layer.
   */
  withHandle.handle = (req, res, done) => {
    // What app.handle (express 5.x) and router.handle (router 2.x) set up before the first layer runs. Requests
    // of the simulator's own server are born one link below the app's prototypes (see `bornClasses`): giving
    // them those prototypes again would only cost the transition.
    if (app.enabled('x-powered-by')) res.setHeader('X-Powered-By', 'Express');
    req.res = res;
    res.req = req;
    if (!bornOf(req, born.IncomingMessage, withHandle.request)) Object.setPrototypeOf(req, withHandle.request);
    if (!bornOf(res, born.ServerResponse, withHandle.response)) Object.setPrototypeOf(res, withHandle.response);
    if (!res.locals) res.locals = Object.create(null) as Response['locals'];
    req.baseUrl = req.baseUrl || '';
    req.originalUrl = req.originalUrl || req.url;
    let handed = false;
    const onward = (error?: unknown): void => {
      handed = true;
      (req as Passed)[PASSED] = { error };
      routed(req, res, done);
    };
    req.next = onward;
    requestContext.run({ id: (requests += 1), method: req.method, path: req.path, res }, () => {
      try {
        front(req, res, onward);
      } catch (error) {
        // As the router's layer would: a throw is handed on as the request's error (never twice).
        if (handed) throw error;
        onward(error);
      }
    });
  };
  return app;
}

/**
 * Builds the simulator: an engine answering every operation of both specs, and the Express app serving it. With
 * `state` (a Redis URL) it is one instance of a shared simulator, and resolves once it has caught up with the log.
 */
export function createSimulator(options: SharedSimulatorOptions): Promise<Simulator>;
export function createSimulator(options?: SimulatorOptions): Simulator;
export function createSimulator(options: SimulatorOptions | SharedSimulatorOptions = {}): Simulator | Promise<Simulator> {
  if ('state' in options && options.state !== undefined) return createSharedSimulator(options);
  if (options.engine && options.stateFile) throw new Error('purple-dot-sim: stateFile makes the engine; it cannot be given with engine');
  const stateFile = options.stateFile ? openStateFile(options.stateFile, options.stateFileOptions) : undefined;
  let engine: Engine;
  try {
    // A simulator is a server on the network: its webhooks go out over HTTP unless the caller says otherwise.
    engine = options.engine ?? createEngine({ ...options, webhookTransport: options.webhookTransport ?? httpTransport, stateLog: stateFile, restore: stateFile?.restore });
  } catch (error) {
    if (!stateFile?.restore) throw error;
    throw new StateFileError(`the state file ${stateFile.path} cannot be replayed: ${(error as Error).message}`);
  }
  stateFile?.start(engine.checkpoint);
  return serving(engine, options, { stateFile });
}

async function createSharedSimulator(options: SharedSimulatorOptions): Promise<Simulator> {
  if (options.engine || options.stateFile) throw new Error('purple-dot-sim: state (a shared log) makes the engine; it cannot be given with engine or stateFile');
  if (typeof options.clock === 'object') throw new Error('purple-dot-sim: a shared simulator needs a manual or system clock, not an injected one');
  const { engine: _engine, stateFile: _stateFile, stateFileOptions: _options, controlToken: _token, allowedHosts: _hosts, replicaOptions, ...engineOptions } = options;
  // Loaded only for a shared log: its Redis client is a tenth of a second of every other start.
  const { createReplica } = await import('../replica/replica.ts');
  const replica = await createReplica({ ...engineOptions, ...replicaOptions, clock: options.clock, webhookTransport: options.webhookTransport ?? httpTransport });
  return serving(replica.engine, options, { replica });
}

/** The app and `listen` around an engine, whichever way it was made. */
function serving(engine: Engine, options: SimulatorOptions, made: { stateFile?: StateFile; replica?: Replica }): Simulator {
  const { stateFile, replica } = made;
  // Names are checked from the start only when the caller names the hosts it accepts; see listen() for loopback.
  let hosts: ReadonlySet<string> | undefined = options.allowedHosts ? allowedHostNames('localhost', options.allowedHosts) : undefined;
  const app = createApp(engine, {
    onBug: options.onBug, controlToken: options.controlToken, allowedHosts: options.allowedHosts, hosts: () => hosts, ...(replica ? { dispatch: replica.dispatch } : {}),
  });
  return {
    app,
    engine,
    ...(replica ? { replica } : {}),
    webhooks: engine.webhooks,
    stateFile,
    listen(port = 0, host = '127.0.0.1', listenOptions = {}) {
      return new Promise((resolve, reject) => {
        // As app.listen does (http.createServer(app)), with requests and responses born with the app's prototypes.
        const classes = serverClasses.get(app);
        const server = classes ? createServer({ IncomingMessage: classes.IncomingMessage, ServerResponse: classes.ServerResponse }, app).listen(port, host) : app.listen(port, host);
        answerTransportErrors(server);
        const guard = guardServer(server, listenOptions.maxConnections);
        // On loopback, only this machine's names (and those allowed) may reach it: the DNS-rebinding guard.
        if (isLoopback(host)) hosts = allowedHostNames(host, options.allowedHosts);
        server.once('error', reject);
        server.once('listening', () => {
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({
            url: `http://${shownHost}:${address.port}`,
            // The engine outlives the server (the app may serve elsewhere too); `engine.close()` stops its timers.
            // Closing writes out what the state file still holds; the file stays open for the engine.
            close: async (closeOptions) => {
              await guard.close(closeOptions);
              await stateFile?.flush();
            },
          });
        });
      });
    },
  };
}
