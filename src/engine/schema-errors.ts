import type { ErrorObject } from 'ajv/dist/2020.js';

/**
 * Ajv's errors as a person reads them, for requests (validate.ts) and answers (verify) alike: the field as a
 * dotted path, and the problem with the allowed values spelt out.
 */

const unescapePointer = (segment: string): string => segment.replace(/~1/g, '/').replace(/~0/g, '~');

/** `fulfillment/line_items/0/quantity` → `fulfillment.line_items[0].quantity`; a missing or unknown property is named too. */
export function fieldName(error: ErrorObject, root = 'body'): string {
  const segments = error.instancePath.split('/').slice(1).map(unescapePointer);
  if (error.keyword === 'required') segments.push(String((error.params as { missingProperty: string }).missingProperty));
  if (error.keyword === 'additionalProperties') segments.push(String((error.params as { additionalProperty: string }).additionalProperty));
  const path = segments.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
  return path || root;
}

/** Ajv's message, with the allowed values spelt out where Ajv only says that some exist. */
export function problemOf(error: ErrorObject, missing = 'is required'): string {
  switch (error.keyword) {
    case 'required':
      return missing;
    case 'additionalProperties':
      return 'is not a field this accepts';
    case 'enum':
      return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
    case 'minLength':
      return (error.params as { limit: number }).limit === 1 ? 'must not be empty' : error.message ?? 'is too short';
    default:
      return error.message ?? 'is invalid';
  }
}

const isNullBranch = (error: ErrorObject): boolean => error.keyword === 'type' && (error.params as { type: unknown }).type === 'null';

/**
 * A nullable field is `oneOf: [schema, {type: 'null'}]`. When a value fails the schema, Ajv also reports
 * "must be null" and the oneOf summary; only what the schema found wrong tells the reader anything.
 */
export function withoutNullableNoise(errors: ErrorObject[]): ErrorObject[] {
  const explained = (path: string): boolean => errors.some((e) => e.keyword !== 'oneOf' && !isNullBranch(e)
    && (e.instancePath === path || e.instancePath.startsWith(`${path}/`)));
  const quiet = new Set(errors.filter((e) => e.keyword === 'oneOf' && explained(e.instancePath)).map((e) => e.instancePath));
  return errors.filter((e) => !((e.keyword === 'oneOf' || isNullBranch(e)) && quiet.has(e.instancePath)));
}
