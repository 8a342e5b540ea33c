/**
 * An independent judge of responses: compiles the spec's response schemas with its own Ajv instance, apart
 * from the simulator's request validation, and checks status, body and Link header of any response.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

const IDS = {
  'purple-dot': 'https://contract.test/spec/purple-dot.openapi.yaml',
  simulator: 'https://contract.test/spec/simulator.openapi.yaml',
} as const;

type Doc = { paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>> };

const docs = Object.fromEntries(
  (Object.keys(IDS) as (keyof typeof IDS)[]).map((name) => [name, parse(readFileSync(new URL(`../../spec/${name}.openapi.yaml`, import.meta.url), 'utf8')) as Doc]),
) as Record<keyof typeof IDS, Doc>;

const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true, allowUnionTypes: true });
addFormats(ajv);
for (const name of Object.keys(IDS) as (keyof typeof IDS)[]) ajv.addSchema(docs[name], IDS[name]);

export interface ContractOperation {
  spec: keyof typeof IDS;
  operationId: string;
  method: string;
  template: string;
  matcher: RegExp;
  statuses: string[];
}

const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

export const contractOperations: ContractOperation[] = (Object.keys(IDS) as (keyof typeof IDS)[]).flatMap((spec) =>
  Object.entries(docs[spec].paths).flatMap(([template, item]) =>
    Object.entries(item).map(([method, op]) => ({
      spec,
      operationId: op.operationId,
      method: method.toUpperCase(),
      template,
      matcher: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      statuses: Object.keys(op.responses),
    }))));

const validators = new Map<string, ValidateFunction>();

function validatorFor(op: ContractOperation, status: string): ValidateFunction {
  const key = `${op.operationId} ${status}`;
  let validator = validators.get(key);
  if (!validator) {
    const pointer = `#/paths/${escape(op.template)}/${op.method.toLowerCase()}/responses/${status}`;
    const response = docs[op.spec].paths[op.template]![op.method.toLowerCase()]!.responses[status] as { $ref?: string };
    const base = response.$ref ? response.$ref : pointer;
    validator = ajv.compile({ $ref: `${IDS[op.spec]}${base}/content/application~1json/schema` });
    validators.set(key, validator);
  }
  return validator;
}

export function operationFor(method: string, url: string): ContractOperation {
  const path = new URL(url, 'http://x').pathname;
  const op = contractOperations.find((o) => o.method === method.toUpperCase() && o.matcher.test(path));
  if (!op) throw new Error(`no operation in the specs for ${method} ${path}`);
  return op;
}

/** Problems of a response against the spec; an empty list means it conforms. */
export function contractProblems(method: string, url: string, status: number, body: unknown, headers?: Headers): string[] {
  const op = operationFor(method, url);
  const declared = op.statuses.includes(String(status));
  if (!declared) return [`${op.operationId}: status ${status} is not declared (declared: ${op.statuses.join(', ')})`];
  const validate = validatorFor(op, String(status));
  const problems = validate(body) ? [] : (validate.errors ?? []).map((e) => `${op.operationId} ${status}: ${e.instancePath || '(root)'} ${e.message}`);
  const link = headers?.get('link');
  if (link && !/^<[^>]+>; rel="next"$/.test(link)) problems.push(`${op.operationId}: Link header is not RFC 8288: ${link}`);
  return problems;
}
