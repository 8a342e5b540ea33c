/**
 * Judges a response of any server against the Purple Dot spec: declared status, content type, declared
 * headers (and the RFC 8288 syntax of `Link`), and the body against the status's JSON schema. The schemas are
 * compiled with an Ajv instance of its own (the simulator's request validation is not involved), lazily, once
 * per validator: make one validator per run.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { fieldName, problemOf, withoutNullableNoise } from '../engine/schema-errors.ts';
import { SPEC_IDS, loadSpecs, type SpecOperation } from '../engine/spec.ts';

// ajv-formats ships CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** What a server answered, as far as the spec can judge it. */
export interface ObservedResponse {
  status: number;
  headers: Headers;
  /** The body as text; empty when there was none. */
  text: string;
}

export interface ResponseValidator {
  /** Every problem of the response against the operation's contract; an empty list means it conforms. */
  problems(op: SpecOperation, response: ObservedResponse): string[];
}

interface ResponseObject {
  $ref?: string;
  headers?: Record<string, { $ref?: string; schema?: unknown }>;
  content?: Record<string, { schema?: unknown }>;
}

/** `<url>; rel="next"`: the one form the spec gives the `Link` header. */
export const NEXT_LINK = /^<([^<>]+)>; rel="next"$/;

/** The target of a `Link: <url>; rel="next"` header, or undefined when the header has another form. */
export function nextLinkTarget(header: string | null): string | undefined {
  return header === null ? undefined : NEXT_LINK.exec(header)?.[1];
}

const unescapePointer = (segment: string): string => segment.replace(/~1/g, '/').replace(/~0/g, '~');
const escapePointer = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** Resolves a local `#/…` reference inside the Purple Dot spec. */
function resolveLocal<T>(ref: string): T {
  let node: unknown = loadSpecs().purpleDot;
  for (const segment of ref.replace(/^#\//, '').split('/').map(unescapePointer)) node = (node as Record<string, unknown>)[segment];
  if (node === undefined) throw new Error(`unresolved reference ${ref}`);
  return node as T;
}

/** Schema problems as `field: problem`, each once. */
export function describeErrors(errors: ErrorObject[] | null | undefined): string[] {
  return [...new Set(withoutNullableNoise(errors ?? []).map((e) => `${fieldName(e)}: ${problemOf(e, 'is required but missing')}`))];
}

export function createResponseValidator(): ResponseValidator {
  const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addSchema(loadSpecs().purpleDot, SPEC_IDS.purpleDot);
  const bodies = new Map<string, ValidateFunction>();
  const headers = new Map<string, ValidateFunction>();

  /** The response object of a status and the JSON pointer its schemas sit under. */
  const declared = (op: SpecOperation, status: string): { response: ResponseObject; pointer: string } | undefined => {
    const raw = op.operation.responses?.[status] as ResponseObject | undefined;
    if (!raw) return undefined;
    if (raw.$ref) return { response: resolveLocal<ResponseObject>(raw.$ref), pointer: raw.$ref };
    return { response: raw, pointer: `${op.pointer}/responses/${escapePointer(status)}` };
  };

  const compiled = (cache: Map<string, ValidateFunction>, key: string, schema: () => object): ValidateFunction => {
    let validate = cache.get(key);
    if (!validate) {
      validate = ajv.compile(schema());
      cache.set(key, validate);
    }
    return validate;
  };

  return {
    problems(op, response) {
      const { operationId } = op.operation;
      const status = String(response.status);
      const found = declared(op, status);
      if (!found) {
        const statuses = Object.keys(op.operation.responses ?? {}).join(', ');
        return [`status ${status} is not declared for ${operationId} (declared: ${statuses})`];
      }
      const problems: string[] = [];

      for (const [name, raw] of Object.entries(found.response.headers ?? {})) {
        const value = response.headers.get(name);
        if (value === null) continue;
        const pointer = raw.$ref ?? `${found.pointer}/headers/${escapePointer(name)}`;
        const validate = compiled(headers, `${pointer}`, () => ({ $ref: `${SPEC_IDS.purpleDot}${pointer}/schema` }));
        // Header values are strings on the wire: a number-typed header is judged as the number it spells.
        const asNumber = /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : undefined;
        if (!validate(value) && (asNumber === undefined || !validate(asNumber))) {
          problems.push(`header ${name}: ${JSON.stringify(value)} ${validate.errors?.[0]?.message ?? 'is invalid'}`);
        }
      }
      const link = response.headers.get('link');
      if (link !== null && !NEXT_LINK.test(link)) problems.push(`header Link: ${JSON.stringify(link)} is not RFC 8288 <url>; rel="next"`);

      const media = Object.keys(found.response.content ?? {});
      if (media.length === 0) return problems;
      const type = response.headers.get('content-type') ?? '';
      if (!media.some((m) => type.toLowerCase().split(';')[0]!.trim() === m)) {
        problems.push(`header Content-Type: ${JSON.stringify(type)} is not ${media.join(' or ')}`);
      }
      let body: unknown;
      try {
        body = JSON.parse(response.text);
      } catch {
        problems.push(`body: is not JSON (${JSON.stringify(response.text.slice(0, 60))}${response.text.length > 60 ? '…' : ''})`);
        return problems;
      }
      const validate = compiled(bodies, `${operationId} ${status}`, () => ({ $ref: `${SPEC_IDS.purpleDot}${found.pointer}/content/application~1json/schema` }));
      if (!validate(body)) problems.push(...describeErrors(validate.errors));
      return problems;
    },
  };
}
