import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Clock, ClockMode } from '../domain/clock.ts';
import { DomainError } from '../domain/errors.ts';
import type { StoreState } from '../domain/store.ts';
import { DEFAULT_SCENARIO, DEFAULT_SEED } from '../../scenarios/index.ts';
import { authenticatePrivate, authenticatePublic, authenticateShopper } from './auth.ts';
import type { operations as PurpleDotOperations } from '../../generated/purple-dot.ts';
import { errorHandler, unknownRoute } from './errors.ts';
import type { Handlers } from './handler.ts';
import { controlHandlers } from './routes/control.ts';
import { privateHandlers } from './routes/private.ts';
import { publicHandlers } from './routes/public.ts';
import { createSimulation, type Simulation } from './simulation.ts';
import { listOperations, type SpecOperation } from './spec.ts';
import { answerTransportErrors } from './transport-errors.ts';
import { validatorFor } from './validate.ts';

export interface SimulatorOptions {
  scenario?: string;
  seed?: number;
  /** `manual` (default): starts at the scenario's reference time and moves only when told. */
  clock?: ClockMode | Clock;
}

export interface RunningSimulator {
  url: string;
  close(): Promise<void>;
}

export interface Simulator {
  app: Express;
  state: Simulation;
  listen(port?: number, host?: string): Promise<RunningSimulator>;
}

// Typed against the whole generated contract, so an operation added to the spec without a handler fails tsc.
const vendorHandlers: Handlers<PurpleDotOperations> = { ...publicHandlers, ...privateHandlers };
// Each handler is typed against its own operation; here they are only looked up by operationId.
type AnyHandler = (input: never) => { status: number; data: unknown; nextCursor?: string | null };
const handlers = { ...vendorHandlers, ...controlHandlers } as unknown as Record<string, AnyHandler>;

// Not strict: `null` or `"x"` is valid JSON, and the schema then names what is wrong with it.
const jsonBody = express.json({ limit: '10mb', strict: false });
// A snapshot of the large-catalogue scenario is about 150 MB.
const snapshotBody = express.json({ limit: '1gb', strict: false });

const decodable = (path: string): boolean => {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
};

/**
 * A path whose percent-encoding is broken cannot name a resource. Express would fail while decoding its
 * parameters; answer instead as the matching operation declares: 404 where it has one, else 400.
 */
function rejectUndecodablePaths(operations: SpecOperation[]): RequestHandler {
  const templates = operations.map((op) => ({
    op,
    matcher: new RegExp(`^${op.path.replace(/\{([^}]+)\}/g, '[^/]+')}$`),
    params: [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
  }));
  return (req, _res, next) => {
    if (decodable(req.path)) return next();
    const hit = templates.find((t) => t.op.method === req.method.toLowerCase() && t.matcher.test(req.path));
    const field = hit?.params[0] ?? 'path';
    const details = [{ field, problem: 'is not valid percent-encoded UTF-8' }];
    const declares404 = hit ? '404' in (hit.op.operation.responses ?? {}) : true;
    throw declares404
      ? new DomainError('not_found', 'NOT_FOUND', `${field}: is not valid percent-encoded UTF-8`, details)
      : new DomainError('invalid', 'INVALID_REQUEST', `${field}: is not valid percent-encoded UTF-8`, details);
  };
}

/** RFC 8288 link to the next page: the same request with `starting_after` moved to the cursor. */
function nextLink(req: Request, cursor: string): string {
  const url = new URL(req.originalUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
  url.searchParams.set('starting_after', cursor);
  return `<${url.toString()}>; rel="next"`;
}

/** The security schemes the spec requires of an operation decide which credentials are checked. */
function authenticate(sim: Simulation, schemes: ReadonlySet<string>, req: Request, now: Date): StoreState {
  const query = req.query as Record<string, unknown>;
  if (schemes.has('publicApiKey')) {
    const store = authenticatePublic(sim, query);
    if (schemes.has('shopperToken')) authenticateShopper(store, query, now);
    return store;
  }
  if (schemes.has('accessToken')) return authenticatePrivate(sim, req.get('X-Purple-Dot-Access-Token'));
  return sim.defaultStore();
}

/** validate → authenticate → route → present, for one operation of the spec. */
function route(sim: Simulation, op: SpecOperation): RequestHandler[] {
  const handler = handlers[op.operation.operationId];
  if (!handler) throw new Error(`no handler for operation ${op.operation.operationId}`);
  const validator = validatorFor(op);
  const hasBody = op.operation.requestBody !== undefined;
  const schemes = new Set((op.operation.security ?? []).flatMap((requirement) => Object.keys(requirement)));
  const admit: RequestHandler = (req, res, next) => {
    const now = sim.tick();
    const store = authenticate(sim, schemes, req, now);
    res.locals.store = store;
    res.locals.now = now;
    if (hasBody && !req.is('application/json')) {
      throw new DomainError('unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE', 'The request body must be application/json.', [
        { field: 'Content-Type', problem: 'must be application/json' },
      ]);
    }
    next();
  };
  const respond: RequestHandler = (req: Request, res: Response, _next: NextFunction) => {
    const query: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
    const path: Record<string, unknown> = { ...req.params };
    validator.check({ query, path, body: req.body });
    const result = handler({ query, path, body: req.body, store: res.locals.store, now: res.locals.now, sim } as never);
    if (result.nextCursor) res.set('Link', nextLink(req, result.nextCursor));
    res.status(result.status).json({ meta: { result: 'success' }, data: result.data });
  };
    const parse = op.operation.operationId === 'importSnapshot' ? snapshotBody : jsonBody;
  return hasBody ? [admit, parse, respond] : [admit, respond];
}

/** Builds the simulator: an Express app answering every operation of both specs from in-memory state. */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const sim = createSimulation({
    scenario: options.scenario ?? DEFAULT_SCENARIO,
    seed: options.seed ?? DEFAULT_SEED,
    clock: options.clock,
  });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  const operations = listOperations();
  app.use(rejectUndecodablePaths(operations));
  for (const op of operations) {
    const expressPath = op.path.replace(/\{([^}]+)\}/g, ':$1');
    app[op.method](expressPath, ...route(sim, op));
  }
  app.use(unknownRoute);
  app.use(errorHandler);

  return {
    app,
    state: sim,
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        const server = app.listen(port, host);
        answerTransportErrors(server);
        server.once('error', reject);
        server.once('listening', () => {
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({
            url: `http://${shownHost}:${address.port}`,
            close: () => new Promise<void>((done, fail) => {
              server.close((error) => (error ? fail(error) : done()));
              server.closeAllConnections();
            }),
          });
        });
      });
    },
  };
}
