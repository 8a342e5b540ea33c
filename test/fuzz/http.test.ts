/**
 * The HTTP slice of the spec-driven fuzzing: the same generated requests, valid and mutated, sent through a
 * real server (`createSimulator().listen(0)`) with raw fetch, plus what only HTTP can break: the body
 * parser (malformed and truncated JSON, a byte-order mark, bytes that are not UTF-8, other charsets, gzip and
 * deflate bodies, valid, corrupt and inflating past the limit, bodies over 1 MB, JSON nested thousands deep
 * as text), the encoding of the path and the query (broken and overlong percent-encoding, dot segments,
 * encoded slashes, raw non-ASCII), unknown methods and repeated headers.
 *
 * Every answer: it arrives, is not 5xx, is JSON, and is what the spec declares for the operation the
 * server routed it to (the path as sent), or the error envelope for a path no operation has; every 4xx
 * names a field. After each sequence the stores are checked whole, and the snapshot is read over HTTP too.
 */
import { request as httpRequest } from 'node:http';
import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createSimulator } from '../../src/http/app.ts';
import { contractOperations, contractProblems } from '../support/contract.ts';
import { checkStores, clearFaults, credentialStore, DEFAULT_WEIGHTS, fuzzSeed, show } from './fuzz.ts';
import { hitsKnownBug } from './known-bugs.ts';
import { encodePathValue, materialize, modelOf, operationModels, planFor, type Plan } from './requests.ts';

/** Sequences of up to 160 requests, each on a fresh server; more with the next seeds until MIN_REQUESTS. */
const SEQUENCES = 40;
const MAX_LENGTH = 160;
const MIN_REQUESTS = 2_000;

/** What HTTP adds to a generated request: how its body, path, query, method and headers travel. */
type Wire =
  | { kind: 'plain' }
  | { kind: 'body-text'; text: string }
  | { kind: 'body-bytes'; bytes: number[] }
  | { kind: 'compressed'; encoding: 'gzip' | 'deflate'; corrupt: boolean }
  | { kind: 'inflates-past-limit'; encoding: 'gzip' | 'deflate' }
  | { kind: 'over-limit'; bytes: number }
  | { kind: 'content-encoding'; value: string }
  | { kind: 'charset'; value: string }
  | { kind: 'deep-text'; depth: number; shape: 'array' | 'object' }
  | { kind: 'raw-path'; how: 'bad-percent' | 'lone-percent' | 'overlong-utf8' | 'encoded-slash' | 'dot-segments' | 'double-slash' | 'raw-unicode' | 'trailing-slash' | 'encoded-dot' }
  | { kind: 'raw-query'; text: string }
  | { kind: 'method'; method: string }
  | { kind: 'repeated-header'; name: string }
  | { kind: 'long-header'; bytes: number };

const wire: fc.Arbitrary<Wire> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Wire>({ kind: 'plain' }) },
  { weight: 2, arbitrary: fc.constantFrom('{', '{"a":', '[1,2', '{"a":1}x', '\ufeff{}', '', ' ', 'null', '"x"', '{"a":1,"a":2}', 'NaN', '{\'a\':1}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '1e99999')
    .map((text): Wire => ({ kind: 'body-text', text })) },
  { weight: 1, arbitrary: fc.constantFrom([0xff, 0xfe, 0x7b, 0x7d], [0xc0, 0xaf], [0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d], [0x00, 0x00, 0x00]).map((bytes): Wire => ({ kind: 'body-bytes', bytes: [...bytes] })) },
  { weight: 2, arbitrary: fc.record({ encoding: fc.constantFrom('gzip' as const, 'deflate' as const), corrupt: fc.boolean() }).map((r): Wire => ({ kind: 'compressed', ...r })) },
  { weight: 1, arbitrary: fc.constantFrom('gzip' as const, 'deflate' as const).map((encoding): Wire => ({ kind: 'inflates-past-limit', encoding })) },
  { weight: 1, arbitrary: fc.constantFrom(1_048_577, 1_500_000).map((bytes): Wire => ({ kind: 'over-limit', bytes })) },
  { weight: 1, arbitrary: fc.constantFrom('br', 'identity', 'x-unknown', 'gzip, gzip', 'GZIP').map((value): Wire => ({ kind: 'content-encoding', value })) },
  { weight: 1, arbitrary: fc.constantFrom('utf-16', 'latin1', 'utf-8', 'UTF-8', 'x-unknown').map((value): Wire => ({ kind: 'charset', value })) },
  { weight: 1, arbitrary: fc.record({ depth: fc.constantFrom(1_000, 5_000, 100_000), shape: fc.constantFrom('array' as const, 'object' as const) }).map((r): Wire => ({ kind: 'deep-text', ...r })) },
  { weight: 3, arbitrary: fc.constantFrom('bad-percent', 'lone-percent', 'overlong-utf8', 'encoded-slash', 'dot-segments', 'double-slash', 'raw-unicode', 'trailing-slash', 'encoded-dot' as const)
    .map((how): Wire => ({ kind: 'raw-path', how: how as Extract<Wire, { kind: 'raw-path' }>['how'] })) },
  { weight: 2, arbitrary: fc.constantFrom('%', '%zz', 'a=%', '=x', '&&&', 'api_key', 'limit=1&limit=2', '__proto__[x]=1', 'a[b]=1', 'x=%00', '%ff=%fe', 'q=+%2B+', `x=${'y'.repeat(8_000)}`)
    .map((text): Wire => ({ kind: 'raw-query', text })) },
  { weight: 1, arbitrary: fc.constantFrom('PATCH', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'TRACE').map((method): Wire => ({ kind: 'method', method })) },
  { weight: 1, arbitrary: fc.constantFrom('content-type', 'x-purple-dot-access-token').map((name): Wire => ({ kind: 'repeated-header', name })) },
  { weight: 1, arbitrary: fc.constantFrom(4_000, 20_000).map((bytes): Wire => ({ kind: 'long-header', bytes })) },
);

/** A piece of JSON text waiting on the stack of `jsonText`. */
class Text {
  constructor(readonly text: string) {}
}

/** JSON text of any value, built without recursion (a body nested 5,000 deep is beyond JSON.stringify). */
function jsonText(root: unknown): string {
  const out: string[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item instanceof Text) {
      out.push(item.text);
    } else if (Array.isArray(item)) {
      out.push('[');
      stack.push(new Text(']'));
      for (let i = item.length - 1; i >= 0; i -= 1) {
        stack.push(item[i] === undefined ? null : item[i]);
        if (i > 0) stack.push(new Text(','));
      }
    } else if (item !== null && typeof item === 'object') {
      out.push('{');
      stack.push(new Text('}'));
      const keys = Object.keys(item).filter((k) => (item as Record<string, unknown>)[k] !== undefined);
      for (let i = keys.length - 1; i >= 0; i -= 1) {
        stack.push((item as Record<string, unknown>)[keys[i]!]);
        stack.push(new Text(`${JSON.stringify(keys[i])}:`));
        if (i > 0) stack.push(new Text(','));
      }
    } else {
      out.push(JSON.stringify(item) ?? 'null');
    }
  }
  return out.join('');
}

interface HttpRequest {
  method: string;
  /** The request target as built. */
  target: string;
  headers: [string, string][];
  body?: Buffer;
  /** The target as it went on the wire (fetch normalises dot segments and encodings; the raw client does not). */
  sent?: string;
}

const CONTROL_WRITE = (method: string, target: string) => method !== 'GET' && target.startsWith('/__sim');

/** The raw HTTP request a plan and a wire mutation make. */
function httpFor(plan: Plan, w: Wire, materialized: ReturnType<typeof materialize>): HttpRequest {
  const op = modelOf(plan.op);
  const { request } = materialized;
  const path = request.path ?? {};
  const segments = op.template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = String(path[name] ?? '');
    if (w.kind !== 'raw-path') return encodePathValue(value);
    switch (w.how) {
      case 'bad-percent': return `${encodePathValue(value)}%zz`;
      case 'lone-percent': return `${encodePathValue(value)}%`;
      case 'overlong-utf8': return `%C0%AF${encodePathValue(value)}`;
      case 'encoded-slash': return `${encodePathValue(value)}%2Fx`;
      case 'raw-unicode': return `${encodePathValue(value)}${encodeURIComponent('é')}`;
      case 'encoded-dot': return '%2e%2e';
      default: return encodePathValue(value);
    }
  });
  let target = segments;
  if (w.kind === 'raw-path' && w.how === 'dot-segments') target = `${segments}/../${segments.split('/').pop()}`;
  if (w.kind === 'raw-path' && w.how === 'double-slash') target = segments.replace(/^\//, '//');
  if (w.kind === 'raw-path' && w.how === 'trailing-slash') target = `${segments}/`;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(request.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) params.append(name.replace(/[\ud800-\udfff]/g, '\ufffd'), String(v).replace(/[\ud800-\udfff]/g, '\ufffd'));
  }
  let query = params.toString();
  if (w.kind === 'raw-query') query = query ? `${query}&${w.text}` : w.text;
  target = query ? `${target}?${query}` : target;

  const headers: [string, string][] = [];
  let contentType: string | undefined;
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      // Node refuses to send a header value with control characters or beyond Latin-1: the client never could.
      if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(String(v))) continue;
      if (name.toLowerCase() === 'content-type') contentType = String(v);
      else headers.push([name, String(v)]);
    }
  }
  const method = w.kind === 'method' ? w.method : op.method;
  let body: Buffer | undefined;
  if (request.body !== undefined) body = Buffer.from(jsonText(request.body), 'utf8');
  // Over HTTP a body is JSON only when it says so, and a state-changing control call must say so: the
  // default a client sends, unless the mutation chose the content type.
  const mutatedType = plan.mutation?.where === 'headers' && plan.mutation.at[0] === 'content-type';
  if (!mutatedType && contentType === undefined && (body !== undefined || CONTROL_WRITE(method, target))) contentType = 'application/json';
  switch (w.kind) {
    case 'body-text':
      body = Buffer.from(w.text, 'utf8');
      contentType ??= 'application/json';
      break;
    case 'body-bytes':
      body = Buffer.from(w.bytes);
      contentType ??= 'application/json';
      break;
    case 'compressed': {
      const raw = body ?? Buffer.from('{}');
      const packed = w.encoding === 'gzip' ? gzipSync(raw) : deflateSync(raw);
      body = w.corrupt ? Buffer.concat([packed.subarray(0, Math.max(4, packed.length >> 1)), Buffer.from([0xde, 0xad])]) : packed;
      headers.push(['content-encoding', w.encoding]);
      contentType ??= 'application/json';
      break;
    }
    case 'inflates-past-limit': {
      // 1.5 MB of spaces around an empty object: small on the wire, over the 1 MB limit once inflated.
      const raw = Buffer.from(`{${' '.repeat(1_500_000)}}`);
      body = w.encoding === 'gzip' ? gzipSync(raw) : deflateSync(raw);
      headers.push(['content-encoding', w.encoding]);
      contentType ??= 'application/json';
      break;
    }
    case 'over-limit':
      body = Buffer.from(`{"pad":"${'x'.repeat(w.bytes)}"}`);
      contentType ??= 'application/json';
      break;
    case 'content-encoding':
      headers.push(['content-encoding', w.value]);
      body ??= Buffer.from('{}');
      break;
    case 'charset':
      contentType = `application/json; charset=${w.value}`;
      body ??= Buffer.from('{}');
      break;
    case 'deep-text':
      body = Buffer.from(w.shape === 'array' ? `${'['.repeat(w.depth)}${']'.repeat(w.depth)}` : `${'{"a":'.repeat(w.depth)}1${'}'.repeat(w.depth)}`);
      contentType ??= 'application/json';
      break;
    case 'repeated-header':
      if (w.name === 'content-type') headers.push(['content-type', 'text/plain']);
      else headers.push([w.name, 'pd_sim_wrong_token']);
      break;
    case 'long-header':
      headers.push(['x-fuzz-padding', 'p'.repeat(w.bytes)]);
      break;
    default:
  }
  if (contentType !== undefined) headers.push(['content-type', contentType]);
  return { method, target, headers, body };
}

interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/** Sends a request as written, target and bytes untouched (fetch would normalise the path). */
function sendRaw(base: URL, req: HttpRequest): Promise<HttpAnswer> {
  req.sent = req.target;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of req.headers) {
      const existing = headers[name.toLowerCase()];
      headers[name.toLowerCase()] = existing === undefined ? value : [...[existing].flat(), value];
    }
    if (req.body) headers['content-length'] = String(req.body.length);
    const outgoing = httpRequest({ host: base.hostname, port: base.port, method: req.method, path: req.target, headers, timeout: 20_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) for (const v of [value ?? []].flat()) answerHeaders.append(name, v);
        resolve({ status: res.statusCode ?? 0, headers: answerHeaders, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer within 20 s')));
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/** Sends through fetch, as an integrator's client would; the target is one fetch keeps as it is. */
async function sendFetch(base: URL, req: HttpRequest): Promise<HttpAnswer> {
  const headers = new Headers();
  for (const [name, value] of req.headers) headers.append(name, value);
  const url = new URL(req.target, base);
  req.sent = `${url.pathname}${url.search}`;
  const body = req.body === undefined ? undefined : new Uint8Array(req.body);
  const res = await fetch(url, { method: req.method, headers, body, signal: AbortSignal.timeout(20_000) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** fetch normalises dot segments and encodings and refuses some methods and bodies: those go raw. */
const needsRaw = (req: HttpRequest, w: Wire): boolean =>
  w.kind === 'raw-path' || w.kind === 'raw-query' || w.kind === 'method' || (req.body !== undefined && (req.method === 'GET' || req.method === 'HEAD'));

interface Tally { requests: number; sequences: number; seeds: number[]; statuses: Map<number, number>; wires: Map<string, number> }

function problemsOf(req: HttpRequest, answer: HttpAnswer): string[] {
  const problems: string[] = [];
  if (answer.status >= 500) problems.push(`answered ${answer.status}`);
  if (req.method === 'HEAD') return problems;
  // OPTIONS on a known path answers 204 with `Allow` and no body (no CORS grant yet); checked for that only.
  if (req.method === 'OPTIONS' && answer.status === 204) {
    if (!answer.headers.get('allow')) problems.push('an OPTIONS answer without Allow');
    return problems;
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    problems.push(`the answer is not JSON: ${answer.text.slice(0, 200)}`);
    return problems;
  }
  if (!/^application\/json/.test(answer.headers.get('content-type') ?? '')) problems.push(`content-type ${answer.headers.get('content-type')}`);
  // The operation the server routes the path to, as it reads it: not normalised as a URL would be
  // (`//a` is a path, `%2e%2e` a segment, a trailing slash another path); none for an unknown route,
  // answered in the envelope.
  const pathname = (req.sent ?? req.target).split('?')[0]!;
  const routed = contractOperations.find((o) => o.method === req.method.toUpperCase() && o.matcher.test(pathname));
  // Refusals Node and the adapter make before routing are described once in the spec, not per operation.
  const beforeRouting = answer.status === 431 || answer.status === 400 && (body as { error?: { code?: string } }).error?.code === 'MALFORMED_REQUEST';
  if (routed && !beforeRouting) problems.push(...contractProblems(req.method, routed.template.replace(/\{[^}]+\}/g, 'x'), answer.status, body, answer.headers));
  else if (answer.status < 400) problems.push(`a path no operation has answered ${answer.status}`);
  if (answer.status >= 400) {
    const details = (body as { error?: { details?: { field?: unknown }[] } }).error?.details;
    if (!Array.isArray(details) || !details.some((d) => typeof d?.field === 'string' && d.field.length > 0)) problems.push(`the ${answer.status} names no field: ${answer.text.slice(0, 300)}`);
  }
  return problems;
}

async function runSequence(steps: [Plan, Wire][], tally: Tally): Promise<void> {
  const bugs: unknown[] = [];
  const sim = createSimulator({ scenario: 'mixed-catalogue', onBug: (error) => bugs.push(error) });
  const running = await sim.listen(0);
  const base = new URL(running.url);
  try {
    for (const [index, [plan, w]] of steps.entries()) {
      if (hitsKnownBug(plan)) continue;
      const materialized = materialize(plan, sim.engine);
      // Fault rules live until a Purple Dot request reaches their store: one would answer it in its place,
      // late, or not at all.
      if (modelOf(plan.op).spec === 'purpleDot') clearFaults(sim.engine, credentialStore(sim.engine, materialized.request, plan.op));
      const req = httpFor(plan, w, materialized);
      let answer: HttpAnswer;
      try {
        answer = await (needsRaw(req, w) ? sendRaw(base, req) : sendFetch(base, req));
      } catch (error) {
        throw new Error(`request #${index} ${req.method} ${req.target.slice(0, 300)} (${plan.op}, wire ${w.kind}) got no answer: ${(error as Error).message}`);
      }
      tally.requests += 1;
      tally.statuses.set(answer.status, (tally.statuses.get(answer.status) ?? 0) + 1);
      tally.wires.set(w.kind, (tally.wires.get(w.kind) ?? 0) + 1);
      const problems = problemsOf(req, answer);
      for (const bug of bugs.splice(0)) problems.push(`the simulator reported a bug: ${(bug as Error)?.stack ?? String(bug)}`);
      if (problems.length > 0) {
        throw new Error([
          `request #${index} ${req.method} ${req.target.slice(0, 300)} (${plan.op}${plan.mutation ? `, mutation ${plan.mutation.kind}` : ''}, wire ${JSON.stringify(w).slice(0, 120)})`,
          `headers: ${show(req.headers, 400)}`,
          `body: ${req.body ? `${req.body.length} bytes: ${show(req.body.subarray(0, 300).toString('utf8'), 400)}` : '(none)'}`,
          `answered: ${answer.status} ${answer.text.slice(0, 600)}`,
          ...problems,
        ].join('\n'));
      }
    }
    clearFaults(sim.engine);
    checkStores(sim.engine, { report: { checkRequests: 0 } as never, bugs });
    // The writer too: the whole snapshot, over HTTP, is JSON.
    const snapshot = await fetch(`${running.url}/__sim/snapshot`);
    expect(snapshot.status).toBe(200);
    JSON.parse(await snapshot.text());
    tally.sequences += 1;
  } finally {
    await running.close();
    sim.engine.close();
  }
}

describe('spec-driven fuzzing over HTTP', () => {
  const tally: Tally = { requests: 0, sequences: 0, seeds: [], statuses: new Map(), wires: new Map() };
  const started = performance.now();
  afterAll(() => {
    const statuses = [...tally.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s} ${n}`).join(', ');
    console.log(`fuzz http (mixed-catalogue): ${tally.requests} requests in ${((performance.now() - started) / 1000).toFixed(1)} s, seed ${tally.seeds.join(' + ')}; ${statuses}`);
  });

  it('answers generated and wire-mutated requests through a real server with a declared status, JSON and no 5xx', async () => {
    const ops = operationModels();
    const plan = fc.oneof(...ops.map((op) => ({ weight: DEFAULT_WEIGHTS[op.id] ?? (op.spec === 'purpleDot' ? 10 : 6), arbitrary: planFor(op, 0.4) })));
    const steps = fc.array(fc.tuple(plan, wire), { maxLength: MAX_LENGTH, size: 'max' });
    let runs = SEQUENCES;
    for (let pass = 0; pass < 5 && tally.requests < MIN_REQUESTS; pass += 1) {
      tally.seeds.push(fuzzSeed() + pass);
      await fc.assert(fc.asyncProperty(steps, (s) => runSequence(s, tally)), { seed: fuzzSeed() + pass, numRuns: runs, includeErrorInReport: true });
      runs = Math.max(3, Math.ceil(((MIN_REQUESTS - tally.requests) / Math.max(1, tally.requests / tally.sequences)) * 1.25));
    }
    expect(tally.requests).toBeGreaterThanOrEqual(MIN_REQUESTS);
    for (const kind of ['plain', 'body-text', 'compressed', 'inflates-past-limit', 'over-limit', 'deep-text', 'raw-path', 'raw-query', 'method']) {
      expect(tally.wires.get(kind) ?? 0, `wire ${kind}`).toBeGreaterThan(0);
    }
  }, 180_000);
});
