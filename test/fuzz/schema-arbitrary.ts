/**
 * A small generator from OpenAPI 3.1 schemas to fast-check arbitraries, for the spec-driven fuzzing.
 *
 * It reads both specs as they are on disk (so a change to a spec changes what is generated), rewrites every
 * `$ref` into an absolute one (`purpleDot#/components/…`, `simulator#/components/…`) so a schema can be
 * taken out of its document and still be resolved, and turns a schema into an arbitrary of values the
 * schema accepts: types and type arrays (`[string, 'null']`), `enum`, `const`, the formats `date-time`,
 * `uuid` and `email`, `minLength`/`maxLength`, `minimum`/`maximum`, `pattern` (by `fc.stringMatching`),
 * required and optional properties, closed and open objects, arrays with `minItems`/`maxItems` and
 * `prefixItems`, `oneOf`/`anyOf`/`allOf`, and `$ref` inside and across the two documents.
 *
 * A caller may hand in hints: for a field (named as in an error's `details`, with `[]` for array items:
 * `lines[].variant_id`) an arbitrary to mix in, such as a placeholder for a real ID of the store, resolved
 * only when the request is sent (see `Placeholder`).
 */
import fc from 'fast-check';
import { loadSpecs, type SpecName } from '../../src/engine/spec.ts';

export type Schema = Record<string, unknown>;
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A value decided when the request is sent rather than when it is generated: a real ID of the store as it
 * then is, a shopper token signed with the store's clock, or a big value (a string of a megabyte, a value
 * nested thousands deep) built only when needed. It prints as its label in a counterexample.
 */
export class Placeholder<C = unknown> {
  constructor(readonly label: string, readonly resolve: (context: C) => unknown) {}
  [fc.toStringMethod](): string {
    return this.label;
  }
  toString(): string {
    return this.label;
  }
}

const FILES: Record<string, SpecName> = { 'purple-dot.openapi.yaml': 'purpleDot', 'simulator.openapi.yaml': 'simulator' };

/** Every `$ref` of `value` made absolute: `<spec>#/pointer`. */
function absoluteRefs(value: unknown, spec: SpecName): unknown {
  if (Array.isArray(value)) return value.map((item) => absoluteRefs(item, spec));
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '$ref' && typeof item === 'string') {
      const [file, pointer = ''] = item.split('#');
      const target = file ? FILES[file.replace(/^\.\//, '')] : spec;
      if (!target) throw new Error(`unknown document in $ref ${item}`);
      copy[key] = `${target}#${pointer}`;
    } else {
      copy[key] = absoluteRefs(item, spec);
    }
  }
  return copy;
}

let documents: Record<SpecName, Schema> | undefined;

/** Both specs with absolute refs, made once per process. */
export function specDocuments(): Record<SpecName, Schema> {
  if (!documents) {
    const specs = loadSpecs();
    documents = { purpleDot: absoluteRefs(specs.purpleDot, 'purpleDot') as Schema, simulator: absoluteRefs(specs.simulator, 'simulator') as Schema };
  }
  return documents;
}

/** The value at an absolute ref `<spec>#/a/b~1c`. */
export function resolveRef(ref: string): Schema {
  const [spec, pointer = ''] = ref.split('#') as [SpecName, string];
  let node: unknown = specDocuments()[spec];
  if (node === undefined) throw new Error(`unknown document in ${ref}`);
  for (const raw of pointer.split('/').slice(1)) {
    const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = (node as Record<string, unknown> | undefined)?.[segment];
    if (node === undefined) throw new Error(`unresolved $ref ${ref}`);
  }
  return node as Schema;
}

/** The schema with its `$ref` followed (sibling keywords kept, as OpenAPI 3.1 allows) and `allOf` merged. */
export function flatten(schema: Schema, seen: readonly string[] = []): Schema {
  let current = schema;
  while (typeof current.$ref === 'string') {
    const ref = current.$ref;
    if (seen.includes(ref)) throw new Error(`recursive schema at ${ref}`);
    seen = [...seen, ref];
    const { $ref: _ref, ...siblings } = current;
    current = { ...resolveRef(ref), ...withoutDocs(siblings) };
  }
  if (Array.isArray(current.allOf)) {
    const { allOf, ...rest } = current;
    let merged: Schema = {};
    for (const part of [...(allOf as Schema[]), rest]) merged = mergeSchemas(merged, flatten(part, seen));
    return merged;
  }
  return current;
}

/** Descriptions and examples only get in the way of merging. */
function withoutDocs(schema: Schema): Schema {
  const { description: _d, example: _e, examples: _x, ...rest } = schema;
  return rest;
}

function mergeSchemas(a: Schema, b: Schema): Schema {
  const merged: Schema = { ...a, ...withoutDocs(b) };
  if (a.properties || b.properties) merged.properties = { ...(a.properties as object), ...(b.properties as object) };
  if (a.required || b.required) merged.required = [...new Set([...((a.required as string[]) ?? []), ...((b.required as string[]) ?? [])])];
  return merged;
}

/** The JSON types a schema allows: its `type` (one or a list), else what its keywords imply; empty means any. */
export function typesOf(schema: Schema): string[] {
  const s = flatten(schema);
  if (Array.isArray(s.type)) return s.type as string[];
  if (typeof s.type === 'string') return [s.type];
  if ('const' in s) return [jsonType(s.const)];
  if (Array.isArray(s.enum)) return [...new Set((s.enum as unknown[]).map(jsonType))];
  if (s.properties || s.additionalProperties !== undefined || s.required) return ['object'];
  if (s.items || s.prefixItems) return ['array'];
  const branches = (s.oneOf ?? s.anyOf) as Schema[] | undefined;
  if (branches) return [...new Set(branches.flatMap(typesOf))];
  return [];
}

export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/**
 * Arbitraries to mix into the one a field would get, keyed by field name (`a.b[].c`), with their weight
 * against the schema's own arbitrary (which weighs 1).
 */
export type Hints = (field: string, schema: Schema) => { arbitrary: fc.Arbitrary<unknown>; weight: number } | undefined;

const noHints: Hints = () => undefined;

/** Child field names as errors name them: `a.b`, `a[]`. */
export const childField = (parent: string, key: string): string => (parent ? `${parent}.${key}` : key);
export const itemField = (parent: string): string => `${parent}[]`;

/** Times a store of the scenarios can hold: 2000 to 2100, plus a few that sit on an edge. */
const EDGE_TIMES = ['2000-01-01T00:00:00Z', '2026-01-15T12:00:00.000+02:00', '2099-12-31T23:59:59.999Z', '2030-06-30T23:59:59.5-00:30'];
const dateTime = fc.oneof(
  { weight: 8, arbitrary: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()) },
  // Near the scenarios' clock (2025–2026), where launches, pauses and the cursor filters have something to do.
  { weight: 8, arbitrary: fc.date({ min: new Date('2025-06-01T00:00:00Z'), max: new Date('2026-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()) },
  { weight: 1, arbitrary: fc.constantFrom(...EDGE_TIMES) },
);

/** A character class pattern such as `^[!-~]+$`: its characters, to draw strings of a set length from. */
function classPattern(pattern: string): string[] | undefined {
  const match = /^\^\[([^\]\\]+)\][+*]\$$/.exec(pattern);
  if (!match) return undefined;
  const chars: string[] = [];
  const body = match[1]!;
  for (let i = 0; i < body.length; i += 1) {
    if (body[i + 1] === '-' && i + 2 < body.length) {
      for (let c = body.charCodeAt(i); c <= body.charCodeAt(i + 2); c += 1) chars.push(String.fromCharCode(c));
      i += 2;
    } else {
      chars.push(body[i]!);
    }
  }
  return chars;
}

/** A short plain string or, now and then, a short one of any graphemes: what most open string fields get. */
const plainString = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.string({ minLength, maxLength }) },
    { weight: 1, arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme' }).filter((s) => s.length <= maxLength) },
  );

function stringArbitrary(s: Schema): fc.Arbitrary<string> {
  const minLength = (s.minLength as number | undefined) ?? 0;
  const declaredMax = s.maxLength as number | undefined;
  // Long strings come from the mutations; valid ones stay short unless the minimum asks for more.
  const maxLength = Math.min(declaredMax ?? Math.max(minLength, 24), Math.max(minLength, 64));
  const fits = (v: string) => v.length >= minLength && (declaredMax === undefined || v.length <= declaredMax);
  switch (s.format) {
    case 'date-time':
      return dateTime;
    case 'uuid':
      return fc.uuid({ version: 4 });
    case 'email':
      return fc.emailAddress().filter((v) => v.length <= (declaredMax ?? 254));
    default:
  }
  if (typeof s.pattern === 'string') {
    const chars = classPattern(s.pattern);
    if (chars) return fc.string({ unit: fc.constantFrom(...chars), minLength: Math.max(minLength, s.pattern.endsWith('+$') ? 1 : 0), maxLength });
    return fc.stringMatching(new RegExp(s.pattern), { maxLength: declaredMax ?? 256 }).filter(fits);
  }
  return plainString(minLength, maxLength);
}

function numberArbitrary(s: Schema, integer: boolean): fc.Arbitrary<number> {
  const min = s.minimum as number | undefined;
  const max = s.maximum as number | undefined;
  const exclusiveMin = s.exclusiveMinimum as number | undefined;
  const exclusiveMax = s.exclusiveMaximum as number | undefined;
  if (integer) {
    const lo = min ?? (exclusiveMin !== undefined ? exclusiveMin + 1 : -1_000_000_000);
    const hi = max ?? (exclusiveMax !== undefined ? exclusiveMax - 1 : 2_000_000_000);
    // Mostly near the lower end, where the scenarios' quantities and sizes live; the whole range too.
    return fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: lo, max: Math.min(hi, lo + 20) }) },
      { weight: 1, arbitrary: fc.integer({ min: lo, max: hi }) },
      { weight: 1, arbitrary: fc.constantFrom(lo, hi) },
    );
  }
  const lo = min ?? -1e9;
  const hi = max ?? 1e9;
  return fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: Math.ceil(lo), max: Math.floor(Math.min(hi, lo + 100_000)) }) },
    { weight: 1, arbitrary: fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)) },
    { weight: 1, arbitrary: fc.constantFrom(lo, hi) },
  );
}

/** Defines a key as an own property even when it is `__proto__`, as JSON.parse does. */
export function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
}

function objectArbitrary(s: Schema, field: string, hints: Hints, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const properties = (s.properties ?? {}) as Record<string, Schema>;
  const required = new Set((s.required as string[] | undefined) ?? []);
  const names = Object.keys(properties);
  const entries = names.map((name) => {
    const arb = schemaArbitrary(properties[name]!, childField(field, name), hints, depth + 1);
    return required.has(name) ? arb.map((v) => [name, v] as const) : fc.option(arb.map((v) => [name, v] as const), { freq: 2, nil: undefined });
  });
  // Required names the schema gives no property for (rare) get any small value.
  for (const name of required) if (!(name in properties)) entries.push(smallJson.map((v) => [name, v] as const));
  const additional = s.additionalProperties;
  const minProperties = (s.minProperties as number | undefined) ?? 0;
  const maxProperties = (s.maxProperties as number | undefined) ?? Infinity;
  const extra = additional && typeof additional === 'object' && names.length === 0
    ? fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), schemaArbitrary(additional as Schema, itemField(field), hints, depth + 1), {
      minKeys: minProperties, maxKeys: Math.max(minProperties, Math.min(3, maxProperties)),
    })
    : fc.constant({});
  return fc.tuple(fc.tuple(...entries), extra).map(([pairs, more]) => {
    const value: Record<string, unknown> = {};
    for (const pair of pairs) if (pair !== undefined) defineKey(value, pair[0], pair[1]);
    for (const [key, v] of Object.entries(more)) if (!(key in value)) defineKey(value, key, v);
    return value;
  }).filter((v) => Object.keys(v).length >= minProperties && Object.keys(v).length <= maxProperties);
}

function arrayArbitrary(s: Schema, field: string, hints: Hints, depth: number): fc.Arbitrary<unknown[]> {
  const minItems = (s.minItems as number | undefined) ?? 0;
  const maxItems = Math.min((s.maxItems as number | undefined) ?? 5, Math.max(minItems, 5));
  if (Array.isArray(s.prefixItems)) {
    const prefix = (s.prefixItems as Schema[]).map((item) => schemaArbitrary(item, itemField(field), hints, depth + 1));
    return fc.tuple(...prefix);
  }
  const items = s.items ? schemaArbitrary(s.items as Schema, itemField(field), hints, depth + 1) : smallJson;
  // Items compared as JSON, as the schema's uniqueItems compares them.
  if (s.uniqueItems === true) return fc.uniqueArray(items, { minLength: minItems, maxLength: maxItems, selector: (item) => JSON.stringify(item) });
  return fc.array(items, { minLength: minItems, maxLength: maxItems });
}

/** Any small JSON value: what a schema with no type takes. */
export const smallJson: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;

/**
 * An arbitrary of values `schema` accepts. `field` names where the value goes (for hints); `depth` guards
 * against a recursive schema.
 */
export function schemaArbitrary(schema: Schema, field = '', hints: Hints = noHints, depth = 0): fc.Arbitrary<unknown> {
  if (depth > 12) return fc.constant(null);
  const s = flatten(schema);
  const hinted = hints(field, s);
  const base = plainArbitrary(s, field, hints, depth);
  return hinted ? fc.oneof({ weight: hinted.weight, arbitrary: hinted.arbitrary }, { weight: 1, arbitrary: base }) : base;
}

function plainArbitrary(s: Schema, field: string, hints: Hints, depth: number): fc.Arbitrary<unknown> {
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  const branches = (s.oneOf ?? s.anyOf) as Schema[] | undefined;
  if (branches) {
    const { oneOf: _o, anyOf: _a, ...rest } = s;
    return fc.oneof(...branches.map((branch) => schemaArbitrary(mergeSchemas(rest, flatten(branch)), field, hints, depth)));
  }
  const types = typesOf(s);
  if (types.length === 0) return smallJson;
  const forType = (type: string): fc.Arbitrary<unknown> => {
    switch (type) {
      case 'string':
        return stringArbitrary(s);
      case 'integer':
        return numberArbitrary(s, true);
      case 'number':
        return numberArbitrary(s, false);
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        return arrayArbitrary(s, field, hints, depth);
      case 'object':
        return objectArbitrary(s, field, hints, depth);
      default:
        throw new Error(`unknown type ${type} at ${field}`);
    }
  };
  if (types.length === 1) return forType(types[0]!);
  // `null` in a type list is the rarer choice: the field's real type has more to test.
  return fc.oneof(...types.map((type) => ({ weight: type === 'null' ? 1 : 4, arbitrary: forType(type) })));
}

// -------------------------------------------------------------------------------------------------------
// Where a value can be broken: the sites of a schema, each with its field name and schema.

export interface Site {
  /** Keys from the root of the value (a number for an array item, 0 for "an item"). */
  path: (string | number)[];
  /** The field as an error's `details` names it: `fulfillment.line_items[0].quantity`. */
  field: string;
  schema: Schema;
  required: boolean;
}

/** Every site of a schema down to `maxDepth`: each property, and the first item of each array. */
export function sitesOf(schema: Schema, maxDepth = 4): Site[] {
  const sites: Site[] = [];
  const walk = (raw: Schema, path: (string | number)[], field: string, required: boolean, depth: number): void => {
    const s = flatten(raw);
    sites.push({ path, field, schema: s, required });
    if (depth >= maxDepth) return;
    const branches = (s.oneOf ?? s.anyOf) as Schema[] | undefined;
    const objectLike = branches ? branches.map((b) => flatten(b)).find((b) => typesOf(b).includes('object')) : s;
    if (objectLike && typesOf(objectLike).includes('object')) {
      const req = new Set((objectLike.required as string[] | undefined) ?? []);
      for (const [name, child] of Object.entries((objectLike.properties ?? {}) as Record<string, Schema>)) {
        walk(child, [...path, name], childField(field, name), req.has(name), depth + 1);
      }
    }
    const arrayLike = branches ? branches.map((b) => flatten(b)).find((b) => typesOf(b).includes('array')) : s;
    if (arrayLike && typesOf(arrayLike).includes('array')) {
      const item = (Array.isArray(arrayLike.prefixItems) ? (arrayLike.prefixItems as Schema[])[0] : arrayLike.items) as Schema | undefined;
      if (item) walk(item, [...path, 0], `${field}[0]`, false, depth + 1);
    }
  };
  walk(schema, [], '', true, 0);
  return sites;
}
