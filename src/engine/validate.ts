import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { DomainError, type ErrorDetail } from '../domain/errors.ts';
import { fieldName, problemOf, withoutNullableNoise } from './schema-errors.ts';
import { SPEC_IDS, loadSpecs, type ParameterObject, type SpecName, type SpecOperation } from './spec.ts';

// ajv-formats ships CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export interface RequestParts {
  query: Record<string, unknown>;
  path: Record<string, unknown>;
  body: unknown;
}

export interface OperationValidator {
  /** Validates and coerces in place; throws a DomainError naming each bad field. */
  check(parts: RequestParts): void;
}

/**
 * Marks a body its parser validated already, in pieces against the same schema (a snapshot import of 150 MB,
 * see snapshot-import.ts): validating it whole again would hold the event loop for most of a second.
 */
export const VALIDATED_BODY: unique symbol = Symbol('purple-dot-sim validated body');

const prevalidated = (body: unknown): boolean => body !== null && typeof body === 'object' && VALIDATED_BODY in body;

function makeAjv(coerce: boolean): Ajv2020 {
  const ajv = new Ajv2020({
    strict: false,
    validateSchema: false,
    allErrors: true,
    coerceTypes: coerce,
    useDefaults: coerce,
    allowUnionTypes: true,
  });
  addFormats(ajv);
  // RFC 3339 allows a leap second (`:60`) that JavaScript dates cannot hold; such a time is refused as input.
  const rfc3339 = ajv.formats['date-time'] as { validate: (s: string) => boolean } | undefined;
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => (rfc3339?.validate(s) ?? true) && Number.isFinite(Date.parse(s)) });
  return ajv;
}

/**
 * An Ajv instance, made on first use, that takes in a spec only when a schema first refers into it: adding a spec
 * walks the whole document (about 10–20 ms each on a cold start), and a first request with no parameters and no
 * body (a readiness check on /__sim/status) then compiles without either. The simulator's spec refers into
 * Purple Dot's (shared schemas such as SuccessMeta), never the other way round.
 */
function lazyAjv(coerce: boolean): (spec?: SpecName) => Ajv2020 {
  let ajv: Ajv2020 | undefined;
  const added = new Set<SpecName>();
  const add = (instance: Ajv2020, spec: SpecName): void => {
    if (added.has(spec)) return;
    instance.addSchema(loadSpecs()[spec], SPEC_IDS[spec]);
    added.add(spec);
  };
  return (spec) => {
    ajv ??= makeAjv(coerce);
    if (spec) {
      add(ajv, 'purpleDot');
      if (spec === 'simulator') add(ajv, 'simulator');
    }
    return ajv;
  };
}

// One instance coerces parameters from strings and fills defaults; the other validates bodies as sent.
const ajvForParams = lazyAjv(true);
const ajvForBodies = lazyAjv(false);
const compiled = new Map<string, OperationValidator>();

function details(errors: ErrorObject[] | null | undefined, root?: string): ErrorDetail[] {
  const seen = new Set<string>();
  const result: ErrorDetail[] = [];
  for (const error of withoutNullableNoise(errors ?? [])) {
    const field = fieldName(error, root);
    const problem = problemOf(error);
    const key = `${field}\u0000${problem}`;
    if (seen.has(key)) continue;
    seen.add(key);
    result.push({ field, problem });
  }
  return result;
}

function refused(code: string, list: ErrorDetail[]): DomainError {
  return new DomainError('invalid', code, list.map((d) => `${d.field}: ${d.problem}`).join('; '), list);
}

function resolveParameter(op: SpecOperation, param: ParameterObject, position: number): { param: ParameterObject; pointer: string } {
  if (!param.$ref) return { param, pointer: `${op.pointer}/parameters/${position}` };
  const name = param.$ref.split('/').pop()!;
  const resolved = loadSpecs()[op.spec].components?.parameters?.[name];
  if (!resolved) throw new Error(`unresolved parameter ${param.$ref}`);
  return { param: resolved, pointer: param.$ref };
}

interface ParameterObjectSchema {
  type: 'object';
  properties: Record<string, unknown>;
  required: string[];
}

function objectSchema(op: SpecOperation, location: 'query' | 'path'): ParameterObjectSchema {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  (op.operation.parameters ?? []).forEach((raw, i) => {
    const { param, pointer } = resolveParameter(op, raw, i);
    if (param.in !== location) return;
    properties[param.name] = { $ref: `${SPEC_IDS[op.spec]}${pointer}/schema` };
    if (param.required) required.push(param.name);
  });
  return { type: 'object', properties, required };
}

/**
 * Compiles the request validators of one operation, once per process: query and path parameters
 * (coerced from strings, defaults filled in) and the JSON body (not coerced).
 */
export function validatorFor(op: SpecOperation): OperationValidator {
  const cached = compiled.get(op.operation.operationId);
  if (cached) return cached;
  const compileParams = (schema: ParameterObjectSchema): ValidateFunction =>
    ajvForParams(Object.keys(schema.properties).length > 0 ? op.spec : undefined).compile(schema);
  const query = compileParams(objectSchema(op, 'query'));
  const path = compileParams(objectSchema(op, 'path'));
  const bodyPointer = op.operation.requestBody ? `${op.pointer}/requestBody/content/application~1json/schema` : undefined;
  const body: ValidateFunction | undefined = bodyPointer ? ajvForBodies(op.spec).compile({ $ref: `${SPEC_IDS[op.spec]}${bodyPointer}` }) : undefined;
  const declares404 = '404' in (op.operation.responses ?? {});
  const validator: OperationValidator = {
    check(parts) {
      if (!path(parts.path)) {
        // A path parameter outside its constraint (e.g. a non-UUID id) names no resource: 404 where the
        // operation has one, else the parameter is bad input (400 naming it).
        if (declares404) throw new DomainError('not_found', 'NOT_FOUND', 'No such resource.', details(path.errors));
        throw refused('INVALID_REQUEST', details(path.errors));
      }
      if (!query(parts.query)) throw refused('INVALID_REQUEST', details(query.errors));
      if (body && !prevalidated(parts.body)) {
        if (parts.body === undefined) throw bodyRefusal(op, [{ field: 'body', problem: 'a JSON body is required' }]);
        if (!body(parts.body)) throw bodyRefusal(op, details(body.errors));
      }
    },
  };
  compiled.set(op.operation.operationId, validator);
  return validator;
}

const schemaChecks = new Map<string, ValidateFunction>();

/**
 * What is wrong with `items` as part of a request body, against the array schema at `pointer` in the simulator's
 * spec (compiled once): each problem named by its place in the whole body, the items being the ones from index
 * `start` of the array at `arrayPath`. Empty when they are valid.
 */
export function arrayItemProblems(pointer: string, items: unknown[], arrayPath: readonly string[], start: number): ErrorDetail[] {
  let check = schemaChecks.get(pointer);
  if (!check) schemaChecks.set(pointer, (check = ajvForBodies('simulator').compile({ $ref: `${SPEC_IDS.simulator}${pointer}` })));
  if (check(items)) return [];
  const prefix = arrayPath.map((key) => `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
  const placed = (check.errors ?? []).map((error) => {
    const [, index, ...rest] = error.instancePath.split('/');
    const at = index === undefined ? '' : `/${start + Number(index)}${rest.map((r) => `/${r}`).join('')}`;
    return { ...error, instancePath: `${prefix}${at}` };
  });
  return details(placed);
}

/** What is wrong with `body` against the operation's request body schema (compiled once); empty when valid. */
export function bodyProblems(op: SpecOperation, body: unknown): ErrorDetail[] {
  const ref = `${SPEC_IDS[op.spec]}${op.pointer}/requestBody/content/application~1json/schema`;
  let check = schemaChecks.get(ref);
  if (!check) schemaChecks.set(ref, (check = ajvForBodies(op.spec).compile({ $ref: ref })));
  return check(body) ? [] : details(check.errors);
}

/** The refusal of a body with these problems, with the code the operation declares for the first field it names. */
export function bodyRefusal(op: SpecOperation, list: ErrorDetail[]): DomainError {
  const codes = op.operation['x-sim-validation-codes'];
  if (!codes) return refused('INVALID_REQUEST', list);
  const match = Object.keys(codes).find((prefix) => prefix !== 'default' && list.some((d) => d.field.startsWith(prefix)));
  return refused(codes[match ?? 'default'] ?? 'INVALID_REQUEST', list);
}
