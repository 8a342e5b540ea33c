import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { packageFileUrl } from '../package-files.ts';

/** Base URIs under which Ajv resolves each document's $refs, including the control spec's refs into the vendor spec. */
export const SPEC_IDS = {
  purpleDot: 'https://purple-dot-sim.local/spec/purple-dot.openapi.yaml',
  simulator: 'https://purple-dot-sim.local/spec/simulator.openapi.yaml',
} as const;

export type SpecName = keyof typeof SPEC_IDS;

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject | unknown>>;
  components?: { parameters?: Record<string, ParameterObject> };
  [key: string]: unknown;
}

export interface ParameterObject {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required?: boolean;
  schema?: Record<string, unknown>;
  $ref?: string;
}

export interface OperationObject {
  operationId: string;
  security?: Record<string, string[]>[];
  parameters?: ParameterObject[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses?: Record<string, unknown>;
  'x-sim-validation-codes'?: Record<string, string>;
}

const load = (file: string): OpenApiDocument =>
  parse(readFileSync(packageFileUrl(`spec/${file}`), 'utf8')) as OpenApiDocument;

let cache: Record<SpecName, OpenApiDocument> | undefined;

/** Both specs, parsed once per process. */
export function loadSpecs(): Record<SpecName, OpenApiDocument> {
  cache ??= { purpleDot: load('purple-dot.openapi.yaml'), simulator: load('simulator.openapi.yaml') };
  return cache;
}

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface SpecOperation {
  spec: SpecName;
  path: string;
  method: HttpMethod;
  operation: OperationObject;
  /** JSON pointer of the operation inside its document. */
  pointer: string;
}

const escapePointer = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

export function listOperations(): SpecOperation[] {
  const specs = loadSpecs();
  const result: SpecOperation[] = [];
  for (const spec of Object.keys(specs) as SpecName[]) {
    for (const [path, item] of Object.entries(specs[spec].paths)) {
      for (const method of HTTP_METHODS) {
        const operation = item[method] as OperationObject | undefined;
        if (operation) result.push({ spec, path, method, operation, pointer: `#/paths/${escapePointer(path)}/${method}` });
      }
    }
  }
  return result;
}
