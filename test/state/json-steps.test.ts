import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonPieces, jsonText } from '../../src/state/json-steps.ts';

/** JSON-like values with what JSON.stringify treats specially mixed in. */
const { value: oddValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, undefined, 0, -0, 1e21, 5e-324, Number.NaN, Number.POSITIVE_INFINITY, Symbol('s'), () => 1),
    fc.double(),
    fc.integer(),
    fc.string({ unit: 'binary' }),
    // Lone surrogates and pairs, which well-formed JSON.stringify escapes and keeps.
    fc.string({ unit: fc.constantFrom('\ud800', '\udfff', '\ud83d\ude00', 'é', '"', '\\', '\n', '\u2028', 'a') }),
    fc.date({ noInvalidDate: true }),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toJSON', '0', '10')), tie('value'), { maxKeys: 6 }),
    // A member's toJSON is called with its key, and its result is not asked again.
    tie('value').map((inner) => ({ toJSON: (key: string) => ({ key, inner, toJSON: () => 'not asked' }) })),
    // A function is asked for toJSON too.
    fc.string().map((text) => Object.assign(() => 1, { toJSON: (key: string) => `${text}:${key}` })),
  ),
}));

/** An object with an own `__proto__` key, as JSON.parse makes one (an object literal would set the prototype). */
const withOwnProto = fc.tuple(oddValue, oddValue).map(([a, b]) => {
  const inner = JSON.stringify([a, b]);
  const parsed = JSON.parse(`{"__proto__":${inner},"after":${inner}}`) as Record<string, unknown>;
  expect(Object.keys(parsed)).toEqual(['__proto__', 'after']);
  return [parsed, { nested: parsed }];
});

/** The pieces joined, or undefined when there is no text. */
const bytesOf = (value: unknown, options: Parameters<typeof jsonPieces>[1] = {}): Buffer | undefined => {
  const pieces: Uint8Array[] = [];
  const steps = jsonPieces(value, options);
  for (let next = steps.next(); ; next = steps.next()) {
    if (next.done) return next.value ? Buffer.concat(pieces) : undefined;
    pieces.push(next.value);
  }
};

describe('JSON text made in pieces', () => {
  it('is byte for byte the UTF-8 of what JSON.stringify makes, for any value, piece size and leaf size', () => {
    // Leaves of 0 to 8 nodes: the walk itself writes nearly everything, not JSON.stringify.
    fc.assert(fc.property(fc.oneof(oddValue, withOwnProto), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 8 }), (value, pieceBytes, leafNodes) => {
      const expected = JSON.stringify(value);
      const made = bytesOf(value, { pieceBytes, leafNodes });
      if (expected === undefined) expect(made).toBeUndefined();
      else expect(made?.toString('hex')).toBe(Buffer.from(expected).toString('hex'));
    }), { numRuns: 3000 });
  });

  it('writes a long list and a long string in many pieces, none much longer than asked', () => {
    const list = Array.from({ length: 20_000 }, (_, i) => ({ id: i, name: `item ${i} é`, tags: ['a', 'b'], nested: { deep: [i, null, '😀'] } }));
    // A string is cut every 256 Ki characters: here a surrogate pair straddles the first cut.
    const long = `${'x'.repeat(256 * 1024 - 1)}\ud83d\ude00${'y'.repeat(300_000)}\ud800`;
    const value = { list, long, after: 1 };
    const pieces = [...jsonPieces(value, { pieceBytes: 16 * 1024 })];
    expect(Buffer.concat(pieces).toString()).toBe(JSON.stringify(value));
    expect(pieces.length).toBeGreaterThan(50);
    // Only a cut of the long string comes as a piece longer than asked.
    expect(pieces.filter((p) => p.length > 16 * 1024).length).toBeLessThanOrEqual(3);
  });

  it('walks a wide object rather than writing it in one call', () => {
    const wide = Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`k${i}`, i]));
    const pieces = [...jsonPieces({ wide }, { pieceBytes: 8 * 1024 })];
    expect(pieces.length).toBeGreaterThan(10);
    expect(Buffer.concat(pieces).toString()).toBe(JSON.stringify({ wide }));
  });

  it('puts known text in place of a value, bytes as a piece of their own, and never asks that value for more', () => {
    const known = { toJSON: () => { throw new Error('asked'); } };
    const bytes = Buffer.from('{"parsed":"from these bytes"}');
    const textOf = (v: object) => (v === known ? bytes : undefined);
    expect([...jsonPieces({ a: 1, body: known, z: [2] }, { textOf })]).toContain(bytes);
    expect(jsonText({ a: 1, body: known, z: [2] }, { textOf })).toBe('{"a":1,"body":{"parsed":"from these bytes"},"z":[2]}');
    expect(jsonText([known, { k: known }], { textOf: (v) => (v === known ? '"text"' : undefined) })).toBe('["text",{"k":"text"}]');
  });

  it('tells a watcher once a watched value has been read to its end, and not before', () => {
    const big = { list: Array.from({ length: 5_000 }, (_, i) => ({ i })) };
    const small = { s: 1 };
    const heard: string[] = [];
    let bytesWhenHeard = 0;
    let bytes = 0;
    const steps = jsonPieces({ stores: [small, big] }, {
      pieceBytes: 1024,
      watch: new Map<object, () => void>([[small, () => heard.push('small')], [big, () => { heard.push('big'); bytesWhenHeard = bytes; }]]),
    });
    let text = '';
    for (const piece of steps) {
      text += Buffer.from(piece).toString();
      bytes = text.length;
    }
    expect(text).toBe(JSON.stringify({ stores: [small, big] }));
    expect(heard).toEqual(['small', 'big']);
    // Read to its end: only the rest of its last piece and the closing brackets were still to come.
    expect(text.length - bytesWhenHeard).toBeLessThan(1024 + 3);
  });

  it('refuses what JSON.stringify refuses: a cycle and a BigInt', () => {
    const cycle: Record<string, unknown> = { list: Array.from({ length: 10_000 }, (_, i) => i) };
    cycle.self = cycle;
    expect(() => [...jsonPieces(cycle)]).toThrow(TypeError);
    expect(() => [...jsonPieces({ n: 1n })]).toThrow(TypeError);
    expect(() => [...jsonPieces([{ list: cycle.list, n: [1n] }], { leafNodes: 0 })]).toThrow(TypeError);
  });
});
