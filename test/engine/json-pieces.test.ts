import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonTextError, parseJsonInPieces } from '../../src/engine/json-pieces.ts';

/** Runs the parse to its end, as an adapter does a slice at a time. */
function parse(text: string, batchBytes = 8, split: (path: readonly string[]) => boolean = () => true): unknown {
  const steps = parseJsonInPieces(Buffer.from(text), { split, maxDepth: 64, batchBytes });
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

const outcome = (run: () => unknown): { value: unknown } | { error: true } => {
  try {
    return { value: run() };
  } catch {
    return { error: true };
  }
};

/** JSON text with whitespace between every token, as a person or another serializer might write it. */
const spaced = (value: unknown): string => JSON.stringify(value, null, 1).replace(/\n/g, '\n\t ');

describe('JSON parsed in pieces', () => {
  it('gives what JSON.parse gives for any JSON value, compact or spaced, with every array split into tiny batches', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
      for (const text of [JSON.stringify(value), spaced(value)]) {
        expect(parse(text)).toEqual(JSON.parse(text));
      }
    }), { numRuns: 500, seed: 7 });
  });

  it('refuses exactly the texts JSON.parse refuses when a JSON text is cut, doubled or has a character dropped or added', () => {
    const mutated = fc.tuple(fc.jsonValue({ maxDepth: 5 }), fc.nat(), fc.constantFrom('cut', 'drop', 'insert', 'double'), fc.constantFrom(',', ']', '[', '{', '}', ':', '"', '\\', ' ', '1'))
      .map(([value, at, how, char]) => {
        const text = JSON.stringify({ stores: { a: { list: value, other: [value] } } });
        const p = at % (text.length + 1);
        if (how === 'cut') return text.slice(0, p);
        if (how === 'drop') return text.slice(0, p) + text.slice(p + 1);
        if (how === 'double') return text.slice(0, p) + text.slice(p - 1, p) + text.slice(p);
        return text.slice(0, p) + char + text.slice(p);
      });
    fc.assert(fc.property(mutated, (text) => {
      expect(outcome(() => parse(text))).toEqual(outcome(() => JSON.parse(text)));
    }), { numRuns: 3000, seed: 11 });
  });

  it('refuses trailing and leading commas and holes inside a split array', () => {
    for (const text of ['{"a":[1,]}', '{"a":[,1]}', '{"a":[1,,2]}', '{"a":[ , ]}', '{"a":[1 2]}']) {
      expect(() => parse(text, 1), text).toThrow(JsonTextError);
    }
    expect(parse('{"a":[ ]}', 1)).toEqual({ a: [] });
  });

  it('refuses an array holding only a no-break space or a byte order mark, which JSON does not count as whitespace', () => {
    for (const text of ['{"a":[\u00a0]}', '{"a":[\ufeff]}', '{"a":[\u2028]}']) {
      expect(() => JSON.parse(text), text).toThrow(SyntaxError);
      expect(() => parse(text, 1), text).toThrow(JsonTextError);
    }
  });

  it('keeps the last of two duplicate keys, as JSON.parse does, whichever of them holds the split array', () => {
    for (const text of ['{"a":[1,2],"a":[3]}', '{"a":[1,2],"a":5}', '{"a":5,"a":[1,2]}', '{"s":{"a":[1]},"s":{"b":[2]}}']) {
      expect(parse(text, 1)).toEqual(JSON.parse(text));
    }
  });

  it('hands each batch of a split array to the caller with the index of its first item, and only those arrays', () => {
    const seen: [string, number, unknown[]][] = [];
    const steps = parseJsonInPieces(Buffer.from('{"s":{"x":{"list":[1,2,3,4,5],"keep":[6,7]}}}'), {
      split: (path) => path[path.length - 1] === 'list',
      onItems: (path, start, items) => seen.push([path.join('.'), start, items]),
      maxDepth: 10,
      batchBytes: 3,
    });
    let next = steps.next();
    while (!next.done) next = steps.next();
    expect(next.value).toEqual({ s: { x: { list: [1, 2, 3, 4, 5], keep: [6, 7] } } });
    expect(seen).toEqual([['s.x.list', 0, [1, 2]], ['s.x.list', 2, [3, 4]], ['s.x.list', 4, [5]]]);
  });

  it('refuses text nested deeper than the limit before parsing any of it, naming where', () => {
    const deep = `{"stores":{"a":${'['.repeat(100)}${']'.repeat(100)}}}`;
    const steps = parseJsonInPieces(Buffer.from(deep), { split: () => false, maxDepth: 40 });
    expect(() => {
      while (!steps.next().done) { /* on */ }
    }).toThrow(expect.objectContaining({ kind: 'too_deep', path: 'stores.a' }));
  });

  it('reads strings holding escaped quotes, backslashes, brackets and multi-byte characters', () => {
    const value = { list: ['a\\"]', '\\\\', '[{"x":1}]', 'é€😀', '\\'], 'k\\"ey': [']'] };
    expect(parse(JSON.stringify(value), 2)).toEqual(value);
  });
});
