import { invalid, notFound } from '../domain/errors.ts';
import type { components } from '../../generated/simulator.ts';
import { errorEnvelope, type Answer } from './answer.ts';
import type { FaultKind } from './journal.ts';
import { seededRandom } from './random.ts';

/** A fault rule as written in every form: the programmatic API, `POST /__sim/faults`, `--faults` (schema FaultInput). */
export type FaultInput = components['schemas']['FaultInput'];

export interface FaultRule extends FaultInput {
  id: string;
  matched: number;
  applied: number;
  remaining: number | null;
}

/** What a fault does to one request; the HTTP adapter carries out the delay and the broken connection. */
export interface FaultEffect {
  rule: FaultRule;
  kind: FaultKind;
  latencyMs: number;
  status?: 429 | 500 | 502 | 503;
  retryAfter?: number;
  /** For reset, malformed and timeout: the operation runs, its answer is lost. */
  lose?: 'reset' | 'malformed' | 'timeout';
}

export interface FaultSet {
  add(input: FaultInput): FaultRule;
  list(): FaultRule[];
  remove(id: string): FaultRule;
  clear(): number;
  /** The fault that fires on this request, if any; counts it. */
  decide(operationId: string, method: string, path: string): FaultEffect | undefined;
}

/** A literal request path, or a template whose `{name}` segments match any one segment. */
const templateMatcher = (path: string): RegExp =>
  new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);

/** What a fault rule may name: the Purple Dot operations and the paths they answer. */
export interface FaultTargets {
  operation(id: string): boolean;
  /** A request path or a path template one of the operations answers. */
  path(path: string): boolean;
}

/** The checks a schema cannot state: they relate fields to each other and to the spec's operations. */
function checkRule(input: FaultInput, targets: FaultTargets): void {
  if (input.operationId !== undefined && !targets.operation(input.operationId)) {
    throw notFound('UNKNOWN_OPERATION', 'operationId', `no Purple Dot operation ${input.operationId}`);
  }
  if (input.path !== undefined && !targets.path(input.path)) {
    throw invalid('INVALID_REQUEST', 'path', `no Purple Dot operation answers ${input.path}; a rule never fires on the control API`);
  }
  if (input.latencyMs === undefined && input.status === undefined && input.kind === undefined) {
    throw invalid('INVALID_REQUEST', 'latencyMs', 'a fault needs latencyMs, status or kind');
  }
  if (input.status !== undefined && input.kind !== undefined) throw invalid('INVALID_REQUEST', 'kind', 'must not be given with status');
  if (input.retryAfter !== undefined && input.status !== 429) throw invalid('INVALID_REQUEST', 'retryAfter', 'goes only with status 429');
  if (Array.isArray(input.latencyMs) && input.latencyMs[0] > input.latencyMs[1]) throw invalid('INVALID_REQUEST', 'latencyMs', 'must be [min, max] with min <= max');
  if (input.method !== undefined && input.path === undefined) throw invalid('INVALID_REQUEST', 'method', 'goes only with path');
}

/**
 * The fault rules of one store, tried in the order added. Latency-only rules that fire add up; the first
 * rule with a status or a kind that fires decides how the request fails.
 */
export function createFaultSet(targets: FaultTargets): FaultSet {
  const rules: { rule: FaultRule; random: () => number; path?: RegExp }[] = [];
  let count = 0;
  const find = (id: string) => {
    const at = rules.findIndex((r) => r.rule.id === id);
    if (at < 0) throw notFound('UNKNOWN_FAULT', 'faultId', `no fault rule ${id}`);
    return at;
  };
  return {
    add(input) {
      checkRule(input, targets);
      count += 1;
      const rule: FaultRule = { ...structuredClone(input), id: `fault-${count}`, matched: 0, applied: 0, remaining: input.times ?? null };
      // Unseeded rules draw from their own number, so two of them never fire in lockstep.
      rules.push({ rule, random: seededRandom(input.seed ?? count), path: input.path === undefined ? undefined : templateMatcher(input.path) });
      return { ...rule };
    },
    // Copies go out: a caller (or a journaled answer) must not change, or watch change, the rules in force.
    list: () => rules.map((r) => ({ ...r.rule })),
    remove(id) {
      return { ...rules.splice(find(id), 1)[0]!.rule };
    },
    clear() {
      return rules.splice(0).length;
    },
    decide(operationId, method, path) {
      let effect: FaultEffect | undefined;
      for (const { rule, random, path: matcher } of rules) {
        if (rule.remaining === 0) continue;
        if (rule.operationId !== undefined && rule.operationId !== operationId) continue;
        if (matcher && !matcher.test(path)) continue;
        if (rule.method !== undefined && rule.method.toUpperCase() !== method.toUpperCase()) continue;
        const fails = rule.status !== undefined || rule.kind !== undefined;
        if (fails && effect?.kind !== undefined && effect.kind !== 'latency') continue;
        rule.matched += 1;
        // Drawn on every match, fired or not, so the sequence depends only on the seed and the calls.
        if (random() >= (rule.probability ?? 1)) continue;
        rule.applied += 1;
        if (rule.remaining !== null) rule.remaining -= 1;
        const [min, max] = Array.isArray(rule.latencyMs) ? rule.latencyMs : [rule.latencyMs ?? 0, rule.latencyMs ?? 0];
        const latencyMs = (effect?.latencyMs ?? 0) + (min === max ? min : Math.round(min + random() * (max - min)));
        effect = fails
          ? { rule, kind: rule.status !== undefined ? 'status' : rule.kind!, latencyMs, status: rule.status, retryAfter: rule.retryAfter, lose: rule.kind }
          : { ...(effect ?? { rule, kind: 'latency' as const }), latencyMs };
      }
      return effect;
    },
  };
}

/** The named profiles of `POST /__sim/faults/profiles/{profile}` and `--faults`. */
export const FAULT_PROFILES: Readonly<Record<'flaky-network' | 'rate-limited' | 'launch-day', readonly FaultInput[]>> = {
  'flaky-network': [{ latencyMs: [50, 400] }, { kind: 'reset', probability: 0.05, seed: 1 }],
  'rate-limited': [{ status: 429, retryAfter: 1, probability: 0.3, seed: 1 }],
  'launch-day': [{ latencyMs: [200, 1500] }, { status: 503, probability: 0.1, seed: 1 }, { status: 429, retryAfter: 2, probability: 0.1, seed: 2 }],
};

const FAULT_CODES: Record<429 | 500 | 502 | 503, [code: string, message: string]> = {
  429: ['RATE_LIMITED', 'Too many requests.'],
  500: ['INTERNAL_ERROR', 'The server hit an error.'],
  502: ['BAD_GATEWAY', 'An upstream service did not answer.'],
  503: ['SERVICE_UNAVAILABLE', 'The service is unavailable.'],
};

/** The answer a status fault gives in place of the operation, in the error envelope, naming the rule. */
export function faultAnswer(effect: FaultEffect): Answer {
  const status = effect.status!;
  const [code, message] = FAULT_CODES[status];
  const headers: Record<string, string> = effect.retryAfter === undefined ? {} : { 'Retry-After': String(effect.retryAfter) };
  return { status, headers, body: errorEnvelope(code, `${message} (injected by fault rule ${effect.rule.id})`, []) };
}
