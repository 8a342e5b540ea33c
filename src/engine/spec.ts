import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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

/**
 * The build writes each spec as JSON beside the compiled code (dist/spec/), which starts far faster than
 * parsing the YAML; sources run under tsx or vitest read the YAML, so an edit to the spec counts at once.
 */
function load(file: string): OpenApiDocument {
  if (import.meta.url.includes('/dist/')) {
    // dist/src/engine/spec.js, or the CLI's bundle dist/bundle/cli.js: dist/spec/ is one or two folders up.
    const json = file.replace(/\.yaml$/, '.json');
    for (const up of ['../spec/', '../../spec/']) {
      const compiled = new URL(`${up}${json}`, import.meta.url);
      if (existsSync(compiled)) return JSON.parse(readFileSync(compiled, 'utf8')) as OpenApiDocument;
    }
  }
  // Loaded only here, so compiled code never pays for the YAML parser.
  const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return parse(readFileSync(packageFileUrl(`spec/${file}`), 'utf8')) as OpenApiDocument;
}

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
