import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientJsonParts } from '../../src/state/client-json.ts';

const fitted = (text: string, partBytes?: number): Buffer => Buffer.concat([...clientJsonParts(Buffer.from(text), partBytes)]);

/** Strings full of what makes the string scan hard: quotes, backslashes, line ends escaped, non-ASCII spaces. */
const tricky = fc.string({ unit: fc.constantFrom('"', '\\', '\\\\', '\n', '\u00a0', '\ufeff', 'é', '😀', 'x', ' ') });
const values = fc.oneof(fc.jsonValue(), fc.array(fc.tuple(tricky, tricky)).map((pairs) => Object.fromEntries(pairs)), fc.array(tricky));

describe('a client\'s JSON text made fit for one line of the state file', () => {
  it('reads back as the same value, on one line, whatever its layout and wherever its parts are cut', () => {
    fc.assert(fc.property(values, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 9 }), (value, indent, partBytes) => {
      const text = JSON.stringify(value, null, indent);
      const line = fitted(text, partBytes);
      expect(line.includes(0x0a)).toBe(false);
      expect(JSON.parse(line.toString('utf8'))).toEqual(JSON.parse(text));
    }), { numRuns: 1500 });
  });

  it('turns whitespace JSON.parse refuses, outside strings, into spaces, and leaves the same characters in strings alone', () => {
    const sent = '{\n  "list": [\u00a0],\r\n  "other": [\ufeff\u2028],\n  "kept": "a\u00a0b\ufeffc \\" [\u00a0]"\n}';
    expect(() => JSON.parse(sent)).toThrow();
    const line = fitted(sent, 5).toString('utf8');
    expect(JSON.parse(line)).toEqual({ list: [], other: [], kept: 'a\u00a0b\ufeffc " [\u00a0]' });
  });

  it('hands back a part nothing had to change in as a view of the bytes, not a copy', () => {
    const bytes = Buffer.from('{"a":[1,2,3],"b":"x\\ny"}');
    const [part] = [...clientJsonParts(bytes)];
    expect(part!.buffer).toBe(bytes.buffer);
    expect(part!.equals(bytes)).toBe(true);
  });
});
