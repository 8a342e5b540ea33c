/**
 * The generator the fuzzing stands on: valid values of every request schema of both specs are accepted by
 * an independent validator of the same spec, every keyword it claims to support is honoured, and the
 * mutated requests break what they say they break.
 */
import fc from 'fast-check';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.ts';
import { fuzzSeed } from './fuzz.ts';
import { materialize, mutationFor, operationModels, validPlan } from './requests.ts';
import { flatten, resolveRef, schemaArbitrary, sitesOf, specDocuments, type Schema } from './schema-arbitrary.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** An Ajv of its own over both documents as the generator reads them (absolute refs). */
function independentAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, validateSchema: false, allowUnionTypes: true });
  addFormats(ajv);
  const docs = specDocuments();
  // The generator rewrote refs as `<spec>#/…`; these ids make them resolvable.
  ajv.addSchema(docs.purpleDot, 'purpleDot');
  ajv.addSchema(docs.simulator, 'simulator');
  return ajv;
}

const sample = <T>(arb: fc.Arbitrary<T>, numRuns: number): T[] => fc.sample(arb, { numRuns, seed: fuzzSeed() });

describe('the schema generator', () => {
  const ajv = independentAjv();

  it('generates request bodies that every body schema of both specs accepts', () => {
    const withBody = operationModels().filter((op) => op.body);
    expect(withBody.length).toBeGreaterThan(20);
    for (const op of withBody) {
      const validate = ajv.compile(op.body!);
      for (const body of sample(schemaArbitrary(op.body!), 60)) {
        expect(validate(body), `${op.id}: ${JSON.stringify(body).slice(0, 300)} ${JSON.stringify(validate.errors)}`).toBe(true);
      }
    }
  });

  it('generates query and path parameters that their schemas accept', () => {
    for (const op of operationModels()) {
      for (const param of [...op.query, ...op.path]) {
        const validate = ajv.compile(param.schema);
        for (const value of sample(schemaArbitrary(param.schema, param.name), 20)) {
          expect(validate(value), `${op.id} ${param.name}: ${JSON.stringify(value)}`).toBe(true);
        }
      }
    }
  });

  it('resolves refs inside a document and from the control spec into the Purple Dot spec', () => {
    const local = flatten({ $ref: 'purpleDot#/components/schemas/InventoryUpdate' });
    expect(local.required).toEqual(['sku', 'available_units']);
    // ErrorEnvelope is the Purple Dot spec's, reached from the control spec's BadRequest response.
    const response = resolveRef('simulator#/components/responses/BadRequest/content/application~1json/schema');
    expect(flatten(response).required).toEqual(['meta', 'error']);
    const pointerIntoProperty = flatten({ $ref: 'simulator#/components/schemas/FaultInput/properties/operationId' });
    expect(pointerIntoProperty).toMatchObject({ type: 'string', minLength: 1 });
  });

  it('honours enum, const, formats, lengths, bounds, patterns, type lists, oneOf and item counts', () => {
    const cases: [Schema, (v: unknown) => boolean][] = [
      [{ type: 'string', enum: ['DRAFT', 'LIVE'] }, (v) => v === 'DRAFT' || v === 'LIVE'],
      [{ type: 'integer', const: 1 }, (v) => v === 1],
      [{ type: 'string', format: 'date-time' }, (v) => typeof v === 'string' && Number.isFinite(Date.parse(v))],
      [{ type: 'string', format: 'uuid' }, (v) => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(v)],
      [{ type: 'string', format: 'email', maxLength: 254 }, (v) => typeof v === 'string' && v.includes('@') && v.length <= 254],
      [{ type: 'string', minLength: 8, maxLength: 200, pattern: '^[!-~]+$' }, (v) => typeof v === 'string' && /^[!-~]{8,200}$/.test(v)],
      [{ type: 'string', pattern: '^[0-9]{1,12}(\\.[0-9]{1,2})?$' }, (v) => typeof v === 'string' && /^[0-9]{1,12}(\.[0-9]{1,2})?$/.test(v)],
      [{ type: 'integer', minimum: 1, maximum: 200 }, (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 200],
      [{ type: ['string', 'null'], maxLength: 3 }, (v) => v === null || (typeof v === 'string' && v.length <= 3)],
      [{ oneOf: [{ type: 'number', minimum: 0 }, { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }], minItems: 2, maxItems: 2 }] },
        (v) => (typeof v === 'number' && v >= 0) || (Array.isArray(v) && v.length === 2)],
      [{ type: 'array', minItems: 1, maxItems: 3, items: { type: 'boolean' } }, (v) => Array.isArray(v) && v.length >= 1 && v.length <= 3],
      [{ type: 'object', additionalProperties: false, required: ['a'], properties: { a: { type: 'string' }, b: { type: 'integer' } } },
        (v) => typeof (v as { a?: unknown }).a === 'string' && Object.keys(v as object).every((k) => k === 'a' || k === 'b')],
      [{ type: 'object', minProperties: 1, properties: { x: { type: 'boolean' }, y: { type: 'boolean' } } }, (v) => Object.keys(v as object).length >= 1],
    ];
    for (const [schema, holds] of cases) {
      for (const value of sample(schemaArbitrary(schema), 100)) expect(holds(value), `${JSON.stringify(schema)}: ${JSON.stringify(value)}`).toBe(true);
    }
  });

  it('names every site of a body as error details name fields', () => {
    const fulfillment = operationModels().find((op) => op.id === 'createFulfillment')!;
    const fields = sitesOf(fulfillment.body!).map((s) => s.field);
    expect(fields).toEqual(expect.arrayContaining(['fulfillment', 'fulfillment.fulfillment_order_id', 'fulfillment.line_items[0].quantity', 'fulfillment.tracking_info.url']));
  });
});

describe('generated requests', () => {
  it('carry the credentials each operation takes and resolve real IDs of the store when sent', () => {
    const engine = createEngine({ scenario: 'mixed-catalogue' });
    try {
      const variants = new Set(engine.defaultStore().state.data.variants.map((v) => v.id));
      const placement = operationModels().find((op) => op.id === 'placePreOrder')!;
      const lines = sample(validPlan(placement), 50).flatMap((plan) => (materialize(plan, engine).request.body as { lines: { variant_id: string }[] }).lines);
      expect(lines.filter((l) => variants.has(l.variant_id)).length).toBeGreaterThan(lines.length / 2);
      const shopper = operationModels().find((op) => op.id === 'listShopperPreOrders')!;
      for (const plan of sample(validPlan(shopper), 20)) {
        const { query } = materialize(plan, engine).request;
        expect(query).toMatchObject({ api_key: engine.defaultStore().credentials.public_api_key, token: expect.stringMatching(/^[0-9a-f]{64}$/) });
      }
      const privateList = operationModels().find((op) => op.id === 'listPreOrders')!;
      for (const plan of sample(validPlan(privateList), 20)) {
        const headers = materialize(plan, engine).request.headers ?? {};
        expect(Object.entries(headers).some(([name, value]) => name.toLowerCase() === 'x-purple-dot-access-token' && value === engine.defaultStore().credentials.private_access_token)).toBe(true);
      }
    } finally {
      engine.close();
    }
  });

  it('are mostly answered 2xx when valid and mostly refused when mutated', () => {
    const engine = createEngine({ scenario: 'mixed-catalogue', onBug: () => undefined });
    try {
      let validOk = 0;
      let validAll = 0;
      let mutatedRefused = 0;
      let mutatedAll = 0;
      for (const op of operationModels().filter((o) => o.spec === 'purpleDot')) {
        for (const plan of sample(validPlan(op), 30)) {
          validAll += 1;
          if (engine.dispatchRaw(op.id, materialize(plan, engine).request).status < 300) validOk += 1;
        }
        for (const [plan, mutation] of sample(fc.tuple(validPlan(op), mutationFor(op)), 30)) {
          mutatedAll += 1;
          if (engine.dispatchRaw(op.id, materialize({ ...plan, mutation }, engine).request).status >= 400) mutatedRefused += 1;
        }
      }
      expect(validOk / validAll).toBeGreaterThan(0.5);
      expect(mutatedRefused / mutatedAll).toBeGreaterThan(0.5);
    } finally {
      engine.close();
    }
  });
});
