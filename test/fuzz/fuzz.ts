/**
 * The fuzzing run: sequences of generated requests (see requests.ts) sent in-process through
 * `engine.dispatchRaw`, as the HTTP adapter sends them, each answer checked as it comes, and the stores
 * checked whole after each sequence. Each sequence runs on a fresh engine.
 *
 * Every answer: nothing thrown, no 5xx and no bug reported to `onBug`, a status the spec declares for the
 * operation, a body that conforms to it (judged by test/support/contract.ts, apart from the simulator's own
 * validation) once written as JSON, headers that can be sent, and every 4xx the error envelope naming a
 * field in `details`. A refused write changes no store (every store's state compared as JSON), and a read
 * changes none (compared by counters, list lengths and clock).
 * Fault rules a sequence adds fire on the next few Purple Dot requests to their store, whose fault answers
 * are checked as such (the envelope, the rule's code, a 429's Retry-After); then the run clears them.
 * After each sequence, every store: its snapshot exports, imports back (200) and exports the same again;
 * `countPreOrders` equals the length of the unpaginated `listPreOrders` walk, which names every pre-order
 * once, and as many as the store holds.
 *
 * Seeded and reproducible: a fixed seed by default (a red run is a regression, not luck); FAST_CHECK_SEED
 * picks another, `random` a fresh one, printed in the summary line and, by fast-check, in any failure with
 * the shrunk counterexample. A run tops itself up to `minRequests` with passes on the next seeds.
 */
import fc from 'fast-check';
import { createEngine, type Engine } from '../../src/engine/engine.ts';
import type { StateBase, StateOperation } from '../../src/engine/state-log.ts';
import type { Answer } from '../../src/engine/answer.ts';
import type { EngineRequest } from '../../src/engine/dispatch.ts';
import type { HostedStore } from '../../src/engine/store.ts';
import { contractProblems } from '../support/contract.ts';
import { materialize, modelOf, operationModels, planFor, type OperationModel, type Plan } from './requests.ts';
import { Placeholder } from './schema-arbitrary.ts';

export const DEFAULT_SEED = 20260516;

/** The seed of this run: FAST_CHECK_SEED if given (`random` draws one), else the fixed default. */
export function fuzzSeed(): number {
  const env = process.env.FAST_CHECK_SEED;
  if (env === 'random') {
    randomSeed ??= Math.floor(Math.random() * 2 ** 31);
    return randomSeed;
  }
  return env !== undefined && env !== '' ? Number(env) : DEFAULT_SEED;
}
let randomSeed: number | undefined;

/** How often each operation is drawn, relative to 10; the rest draw 10 (Purple Dot) or 6 (control). */
export const DEFAULT_WEIGHTS: Record<string, number> = {
  // State-changing control calls that feed the Purple Dot API something to answer about.
  placePreOrder: 20, cancelPreOrder: 8, runExports: 6, advanceClock: 6, createWaitlist: 6, updateWaitlist: 6, setVariantStock: 5,
  voidFulfillmentOrder: 4,
  // Calls that replace or delete a store, or build one: rare, so a sequence keeps what it built.
  reset: 1, resetInStore: 1, loadScenario: 1, loadScenarioInStore: 1, importSnapshot: 2, importSnapshotInStore: 1,
  createStore: 2, deleteStore: 2, setClock: 3, setClockInStore: 1,
  exportSnapshot: 2, exportSnapshotInStore: 1, getJournal: 2, getJournalInStore: 1,
  // The dashboard's reads: as rare as the journal's, so the calls above keep their share of each sequence.
  streamJournal: 2, streamJournalInStore: 1, listProducts: 2, listProductsInStore: 1, listRefunds: 2, listRefundsInStore: 1,
  // A rule lives only until a few Purple Dot requests meet it (see FAULTED_REQUESTS): removing one by its
  // id must come soon after adding it.
  removeFault: 12, removeFaultInStore: 12,
};

export interface FuzzOptions {
  /** The default store's scenario. */
  scenario: string;
  /** Sequences, each on a fresh engine. */
  runs: number;
  /** Requests per sequence. */
  length: { max: number };
  /** Share of requests with one break (0..1). */
  mutatedShare: number;
  /** Which operations (default: every one of both specs). */
  operations?: (op: OperationModel) => boolean;
  /** Weights by operationId, over the defaults; 0 leaves an operation out. */
  weights?: Record<string, number>;
  /** Plans known to hit a reported bug, kept out of the run until it is fixed (see KNOWN_BUGS). */
  skip?: (plan: Plan) => boolean;
  /** Sequences replayed before the random ones, whatever the seed. */
  examples?: Plan[][];
  /** Requests the run sends at least (more sequences, with the next seeds, when the first pass falls short). */
  minRequests?: number;
}

export interface FuzzReport {
  seed: number;
  /** The seed of each pass (the first is `seed`; more passes top the run up to `minRequests`). */
  seeds: number[];
  requests: number;
  mutated: number;
  /** Requests made by the checks after each sequence (exports, imports, counts, walks). */
  checkRequests: number;
  sequences: number;
  ms: number;
  /** `operationId status` → count. */
  statuses: Map<string, number>;
  /** Mutation kind → count. */
  kinds: Map<string, number>;
}

const bump = (map: Map<string, number>, key: string): void => {
  map.set(key, (map.get(key) ?? 0) + 1);
};

/** What the error envelope's details look like, for the 4xx check. */
interface Envelope { error?: { details?: { field?: unknown }[] } }

/** Problems of one answer; an empty list means it is right. */
export function answerProblems(op: OperationModel, answer: Answer | undefined, contractPath = op.contractPath): string[] {
  if (!answer || typeof answer.status !== 'number') return [`${op.id}: no answer (${String(answer)})`];
  const problems: string[] = [];
  if (answer.status >= 500) problems.push(`${op.id}: answered ${answer.status}`);
  let wire: unknown;
  try {
    // What the HTTP adapter writes: the body as JSON text.
    const text = JSON.stringify(answer.body);
    wire = text === undefined ? undefined : JSON.parse(text);
  } catch (error) {
    problems.push(`${op.id}: the answer cannot be written as JSON (${(error as Error).message}), so the HTTP adapter would fail writing it`);
    return problems;
  }
  let headers: Headers | undefined;
  try {
    headers = new Headers(Object.entries(answer.headers ?? {}));
  } catch (error) {
    problems.push(`${op.id}: a header cannot be sent: ${(error as Error).message} in ${JSON.stringify(answer.headers)}`);
  }
  problems.push(...contractProblems(op.method, contractPath, answer.status, wire, headers));
  if (answer.status >= 400 && answer.status < 500) {
    const details = (wire as Envelope | undefined)?.error?.details;
    if (!Array.isArray(details) || !details.some((d) => typeof d?.field === 'string' && d.field.length > 0)) {
      problems.push(`${op.id}: the ${answer.status} names no field in error.details: ${JSON.stringify(wire).slice(0, 300)}`);
    }
  }
  return problems;
}

/**
 * Every store's state as text, so a change shows; stores on the system clock are left out (their
 * launches and pauses fall due with the wall clock). Each store is ticked first, as the engine ticks the
 * store of every request: a launch that fell due is not the request's doing.
 */
function fingerprint(engine: Engine): string {
  const parts: string[] = [];
  for (const store of engine.stores.list() as HostedStore[]) {
    if (store.clock.mode !== 'manual') {
      parts.push(`${store.id} (system clock)`);
      continue;
    }
    store.tick();
    let data: string;
    try {
      data = JSON.stringify(store.state.data);
    } catch (error) {
      data = `(cannot be written as JSON: ${(error as Error).message})`;
    }
    parts.push(`${store.id} ${store.scenario} ${store.seed} ${store.clock.now().toISOString()} faults ${store.faults.list().map((f) => f.id).join(',')} ${data}`);
  }
  return parts.join('\n');
}

const stateIds = new WeakMap<object, number>();
let nextStateId = 0;

/** A cheap summary of every store: its state object, counters, list lengths and clock. */
function summaryKey(engine: Engine): string {
  return (engine.stores.list() as HostedStore[]).map((store) => {
    if (store.clock.mode !== 'manual') return `${store.id} (system clock)`;
    const { data } = store.state;
    if (!stateIds.has(store.state)) stateIds.set(store.state, (nextStateId += 1));
    const lengths = [data.products, data.variants, data.waitlists, data.pre_orders, data.fulfillment_orders, data.inventory, data.refunds].map((list) => list.length);
    return `${store.id}:${stateIds.get(store.state)}:${JSON.stringify(data.counters)}:${lengths.join(',')}:${store.clock.nowMs()}:${store.faults.list().length}`;
  }).join('|');
}

/**
 * Whether a request changed a store it should not have: a refused write is compared in full (every
 * store's state as JSON, kept between requests while nothing changes), a read by its summary.
 */
class ChangeWatch {
  private full: string | undefined;
  private key = '';

  /** Something changed outside a request (the run cleared fault rules): compare afresh. */
  forget(): void {
    this.full = undefined;
  }

  before(engine: Engine, op: OperationModel): void {
    if (op.method === 'GET') {
      this.key = summaryKey(engine);
      return;
    }
    this.full ??= fingerprint(engine);
  }

  /** The change a refused write or a read made, if any; and what the next request may reuse. */
  after(engine: Engine, op: OperationModel, status: number): string | undefined {
    if (op.method === 'GET') {
      const key = summaryKey(engine);
      if (key !== this.key) {
        this.full = undefined;
        return `before ${this.key}\nafter  ${key}`;
      }
      return undefined;
    }
    if (status < 400) {
      this.full = undefined;
      return undefined;
    }
    const before = this.full!;
    const after = fingerprint(engine);
    this.full = after;
    return after === before ? undefined : firstDifference(before, after);
  }
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i += 1;
  return `before …${a.slice(Math.max(0, i - 120), i + 120)}…\nafter  …${b.slice(Math.max(0, i - 120), i + 120)}…`;
}

/** A request for a failure message: short, with big values shown by size. */
export function show(value: unknown, limit = 1_500): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (v instanceof Placeholder) return v.label;
      if (typeof v === 'string' && v.length > 200) return `${v.slice(0, 60)}…(${v.length} characters)`;
      return v;
    }) ?? 'undefined';
  } catch (error) {
    text = `(not JSON: ${(error as Error).message})`;
  }
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

/** A failure of one request, with everything needed to read it. */
export class FuzzFailure extends Error {}

/** Removes the fault rules of one store (or of every store), without a request; whether there were any. */
export function clearFaults(engine: Engine, only?: HostedStore): boolean {
  let cleared = 0;
  for (const store of engine.stores.list() as HostedStore[]) if (!only || store === only) cleared += store.faults.clear();
  return cleared > 0;
}

/**
 * The store a Purple Dot request names: by its public key, access token or shop domain (observed in the SDK);
 * an SDK analytics event that names none belongs to the default store (see trackEvent in the spec).
 */
export function credentialStore(engine: Engine, request: EngineRequest, operationId?: string): HostedStore | undefined {
  const key = request.query?.api_key;
  const shop = request.query?.shop;
  const token = Object.entries(request.headers ?? {}).find(([name]) => name.toLowerCase() === 'x-purple-dot-access-token')?.[1];
  const byKey = typeof key === 'string' ? engine.stores.byPublicKey(key) : undefined;
  const byToken = typeof token === 'string' ? engine.stores.byAccessToken(token) : Array.isArray(token) && typeof token[0] === 'string' ? engine.stores.byAccessToken(token[0]) : undefined;
  const byShop = typeof shop === 'string' ? engine.stores.byShopDomain(shop) : undefined;
  if (key === undefined && shop === undefined && operationId === 'trackEvent') return engine.defaultStore() as HostedStore;
  return (byKey ?? byToken ?? byShop) as HostedStore | undefined;
}

interface RunState {
  report: FuzzReport;
  bugs: unknown[];
  watch: ChangeWatch;
  /** Purple Dot requests each store's fault rules have met so far. */
  faulted: Map<HostedStore, number>;
}

/** How many Purple Dot requests a store's fault rules may meet before the run clears them. */
const FAULTED_REQUESTS = 3;

/** The answer a fault rule gave in place of the operation (status 429, 500, 502 or 503, naming the rule). */
function isFaultAnswer(answer: Answer): boolean {
  const message = (answer.body as { error?: { message?: unknown } } | undefined)?.error?.message;
  return [429, 500, 502, 503].includes(answer.status) && typeof message === 'string' && /\(injected by fault rule fault-\d+\)$/.test(message);
}

/** Problems of a fault answer: the error envelope with the fault's code, and a sendable Retry-After for 429. */
function faultAnswerProblems(op: OperationModel, answer: Answer): string[] {
  const codes: Record<number, string> = { 429: 'RATE_LIMITED', 500: 'INTERNAL_ERROR', 502: 'BAD_GATEWAY', 503: 'SERVICE_UNAVAILABLE' };
  const body = answer.body as { meta?: { result?: unknown }; error?: { code?: unknown; details?: unknown } };
  const problems: string[] = [];
  if (body.meta?.result !== 'error' || body.error?.code !== codes[answer.status] || !Array.isArray(body.error?.details)) {
    problems.push(`${op.id}: the fault answer ${answer.status} is not the envelope with code ${codes[answer.status]}: ${show(body, 300)}`);
  }
  const retryAfter = answer.headers['Retry-After'];
  if (retryAfter !== undefined && !/^\d+$/.test(retryAfter)) problems.push(`${op.id}: Retry-After ${retryAfter} is not whole seconds`);
  if (answer.status === 429) problems.push(...contractProblems(op.method, op.contractPath, 429, JSON.parse(JSON.stringify(body)) as unknown));
  return problems;
}

/** Sends one plan and checks its answer; throws a FuzzFailure naming what went wrong. */
function send(engine: Engine, plan: Plan, index: number, run: RunState): Answer {
  const op = modelOf(plan.op);
  const { request } = materialize(plan, engine);
  // Fault rules fire on the next few Purple Dot requests to their store (FAULTED_REQUESTS), then the run
  // clears them, so the API under them keeps being fuzzed. Their answers are checked as fault answers.
  const target = op.spec === 'purpleDot' ? credentialStore(engine, request, op.id) : undefined;
  let faulted = false;
  if (target && target.faults.list().length > 0) {
    const n = run.faulted.get(target) ?? 0;
    if (n >= FAULTED_REQUESTS) {
      clearFaults(engine, target);
      run.faulted.delete(target);
      run.watch.forget();
    } else {
      run.faulted.set(target, n + 1);
      faulted = true;
    }
  }
  run.watch.before(engine, op);
  let answer: Answer | undefined;
  let thrown: unknown;
  try {
    answer = engine.dispatchRaw(op.id, request);
  } catch (error) {
    thrown = error;
  }
  run.report.requests += 1;
  if (plan.mutation) {
    run.report.mutated += 1;
    bump(run.report.kinds, plan.mutation.kind);
  }
  const problems: string[] = [];
  if (thrown !== undefined) problems.push(`${op.id}: dispatchRaw threw ${(thrown as Error)?.stack ?? String(thrown)}`);
  else {
    const fromFault = faulted && isFaultAnswer(answer!);
    bump(run.report.statuses, `${op.id} ${fromFault ? `${answer!.status} (fault)` : answer!.status}`);
    problems.push(...(fromFault ? faultAnswerProblems(op, answer!) : answerProblems(op, answer)));
    // A refused request, and any read, leaves every store as it was.
    const change = run.watch.after(engine, op, answer!.status);
    if (change) problems.push(`${op.id}: the ${answer!.status} ${op.method === 'GET' ? 'read' : 'refusal'} changed a store:\n${change}`);
  }
  for (const bug of run.bugs.splice(0)) problems.push(`${op.id}: the engine reported a bug: ${(bug as Error)?.stack ?? String(bug)}`);
  if (problems.length > 0) {
    throw new FuzzFailure([
      `request #${index} ${op.method} ${op.template} (${op.id})${plan.mutation ? `, mutation ${plan.mutation.kind} at ${plan.mutation.where}.${plan.mutation.at.join('.')}` : ', valid'}`,
      `sent: ${show({ query: request.query, path: request.path, headers: request.headers, body: request.body })}`,
      `answered: ${answer ? `${answer.status} ${show(answer.body, 800)}` : '(nothing)'}`,
      ...problems,
    ].join('\n'));
  }
  return answer!;
}

/** One check request (not counted as fuzzing): its answer must be right too. */
function check(engine: Engine, run: Pick<RunState, "report" | "bugs">, id: string, request: Parameters<Engine['dispatchRaw']>[1], expected: number): Answer {
  const op = modelOf(id);
  const answer = engine.dispatchRaw(id, request);
  run.report.checkRequests += 1;
  const problems = answerProblems(op, answer);
  if (answer.status !== expected) problems.push(`${id}: answered ${answer.status}, not ${expected}: ${show(answer.body, 600)}`);
  for (const bug of run.bugs.splice(0)) problems.push(`${id}: the engine reported a bug: ${(bug as Error)?.stack ?? String(bug)}`);
  if (problems.length > 0) throw new FuzzFailure(`after the sequence, ${id} ${show(request?.path ?? {})}:\n${problems.join('\n')}`);
  return answer;
}

interface Page { orders: { id: string }[]; has_more: boolean; starting_after: string | null }
const dataOf = <T>(answer: Answer): T => (answer.body as { data: T }).data;

/** The checks after a sequence, on every store. */
export function checkStores(engine: Engine, run: Pick<RunState, 'report' | 'bugs'>): void {
  for (const store of engine.stores.list() as HostedStore[]) {
    const path = { storeId: store.id };
    const exported = dataOf<{ stores: Record<string, unknown>; clock: { now: string } }>(check(engine, run, 'exportSnapshotInStore', { path }, 200));
    const sent = JSON.parse(JSON.stringify(exported)) as unknown;
    check(engine, run, 'importSnapshotInStore', { path, body: sent, headers: { 'content-type': 'application/json' } }, 200);
    const again = dataOf<typeof exported>(check(engine, run, 'exportSnapshotInStore', { path }, 200));
    const comparable = (s: typeof exported) => JSON.stringify(store.clock.mode === 'manual' ? s : { ...s, clock: null });
    if (comparable(again) !== comparable(exported)) {
      throw new FuzzFailure(`after the sequence, store ${store.id}: a snapshot imported back exports differently:\n${firstDifference(comparable(exported), comparable(again))}`);
    }
    const headers = { 'X-Purple-Dot-Access-Token': store.credentials.private_access_token };
    const count = dataOf<{ count: number }>(check(engine, run, 'countPreOrders', { headers }, 200)).count;
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10_000; page += 1) {
      const query: Record<string, string> = { limit: '200' };
      if (cursor) query.starting_after = cursor;
      const data = dataOf<Page>(check(engine, run, 'listPreOrders', { headers, query }, 200));
      seen.push(...data.orders.map((o) => o.id));
      if (!data.has_more) break;
      cursor = data.starting_after;
    }
    const unique = new Set(seen).size;
    const held = store.state.data.pre_orders.length;
    if (count !== seen.length || unique !== seen.length || held !== count) {
      throw new FuzzFailure(`after the sequence, store ${store.id}: countPreOrders says ${count}, the listPreOrders walk gives ${seen.length} (${unique} distinct), the store holds ${held}`);
    }
  }
}

/** Store data and clocks as a replay must rebuild them; a system clock's reading moves with the machine. */
function rebuilt(engine: Engine): string {
  const { stores, storeCount } = engine.checkpoint();
  return JSON.stringify({ storeCount, stores: stores.map((s) => ({ ...s, snapshot: s.clock === 'manual' ? s.snapshot : { ...s.snapshot, clock: null } })) });
}

/** The state log of the sequence, replayed into a new engine, gives the same stores: the log is complete and deterministic. */
function checkReplay(engine: Engine, base: StateBase, log: StateOperation[]): void {
  let replayed: Engine;
  try {
    replayed = createEngine({ restore: { base, operations: log }, onBug: () => undefined });
  } catch (error) {
    throw new FuzzFailure(`after the sequence, its state log does not replay: ${(error as Error).message}`);
  }
  try {
    // Any request ticks its store (a read, a refusal) and applies what fell due; that is not logged, since the
    // transitions carry their due time and the next tick anywhere applies them the same: tick both, then compare.
    for (const e of [engine, replayed]) for (const store of e.stores.list()) e.dispatchRaw('getClockInStore', { path: { storeId: store.id } });
    const [want, got] = [rebuilt(engine), rebuilt(replayed)];
    if (want !== got) throw new FuzzFailure(`after the sequence, its state log replayed gives other stores:\n${firstDifference(want, got)}`);
  } finally {
    replayed.close();
  }
}

/** Runs the sequences; throws (with fast-check's seed, path and shrunk counterexample) on the first failure. */
export function runFuzz(options: FuzzOptions): FuzzReport {
  const seed = fuzzSeed();
  const report: FuzzReport = { seed, seeds: [], requests: 0, mutated: 0, checkRequests: 0, sequences: 0, ms: 0, statuses: new Map(), kinds: new Map() };
  const ops = operationModels().filter(options.operations ?? (() => true));
  const weighted = ops
    .map((op) => ({ op, weight: options.weights?.[op.id] ?? DEFAULT_WEIGHTS[op.id] ?? (op.spec === 'purpleDot' ? 10 : 6) }))
    .filter((w) => w.weight > 0);
  const plan = fc.oneof(...weighted.map(({ op, weight }) => ({ weight, arbitrary: planFor(op, options.mutatedShare) })));
  // No minimum length, so a failing sequence shrinks to the few requests it needs; `size: 'max'` keeps the
  // generated lengths spread over the whole range.
  const sequence = fc.array(plan, { minLength: 0, maxLength: options.length.max, size: 'max' });
  const started = performance.now();
  let shrinking = false;
  const property = fc.property(sequence, (plans) => {
    const counted = shrinking ? { ...report, statuses: new Map(), kinds: new Map() } : report;
    const run: RunState = { report: counted, bugs: [], watch: new ChangeWatch(), faulted: new Map() };
    const log: StateOperation[] = [];
    const stateLog = { append: (record: StateOperation) => (log.push(structuredClone(record)), Promise.resolve()) };
    const engine = createEngine({ scenario: options.scenario, onBug: (error) => run.bugs.push(error), stateLog });
    const base = engine.checkpoint({ data: false });
    try {
      plans.forEach((p, i) => {
        if (options.skip?.(p)) return;
        send(engine, p, i, run);
      });
      clearFaults(engine);
      checkReplay(engine, base, log);
      checkStores(engine, run);
      if (!shrinking) report.sequences += 1;
    } catch (error) {
      shrinking = true;
      throw error;
    } finally {
      engine.close();
    }
  });
  // Sequence lengths vary with the seed: passes with the next seeds top the run up to `minRequests`, so a
  // run sends at least that many whatever the seed. A failure names the seed of its pass, which replays it.
  let runs = options.runs;
  for (let pass = 0; pass < 5; pass += 1) {
    report.seeds.push(seed + pass);
    fc.assert(property, { seed: seed + pass, numRuns: runs, examples: pass === 0 ? (options.examples ?? []).map((e) => [e]) : [], includeErrorInReport: true });
    const missing = (options.minRequests ?? 0) - report.requests;
    if (missing <= 0) break;
    runs = Math.max(5, Math.ceil((missing / Math.max(1, report.requests / report.sequences)) * 1.25));
  }
  report.ms = performance.now() - started;
  return report;
}

/** One line for the test log: how many requests, how long, which seed, what they were answered. */
export function summary(name: string, report: FuzzReport): string {
  const classes = new Map<string, number>();
  for (const [key, n] of report.statuses) {
    const statusClass = key.endsWith('(fault)') ? 'injected by fault rules' : `${key.split(' ')[1]![0]}xx`;
    classes.set(statusClass, (classes.get(statusClass) ?? 0) + n);
  }
  const byClass = [...classes].sort().map(([k, n]) => `${k} ${n}`).join(', ');
  return `fuzz ${name}: ${report.requests} requests (${report.mutated} mutated) in ${report.sequences} sequences, `
    + `${report.checkRequests} more by the checks, ${(report.ms / 1000).toFixed(1)} s, seed ${report.seeds.join(' + ')}; ${byClass}`;
}

/** Operations that never answered a 2xx in the run. */
export function neverSucceeded(report: FuzzReport, ops: OperationModel[]): string[] {
  return ops.filter((op) => ![...report.statuses.keys()].some((k) => k.startsWith(`${op.id} 2`))).map((op) => op.id);
}

/** The share of answers in a status class (2 for 2xx, 4 for 4xx). */
export function shareOf(report: FuzzReport, statusClass: number): number {
  let hits = 0;
  let all = 0;
  for (const [key, n] of report.statuses) {
    all += n;
    if (key.split(' ')[1]!.startsWith(String(statusClass))) hits += n;
  }
  return all === 0 ? 0 : hits / all;
}

/** Operations of `ops` the run never sent. */
export function neverSent(report: FuzzReport, ops: OperationModel[]): string[] {
  return ops.filter((op) => ![...report.statuses.keys()].some((k) => k.startsWith(`${op.id} `))).map((op) => op.id);
}
