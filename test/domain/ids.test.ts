import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { uuidFor } from '../../src/domain/ids.ts';

/** The IDs as they were first written: any change of an ID changes every answer and snapshot of a seed. */
function reference(seed: number, n: number): string {
  const hex = createHash('sha256').update(`${seed}:${n}`).digest('hex');
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

describe('deterministic IDs', () => {
  it('are the first 16 bytes of SHA-256 of seed:n as a version-4 UUID, for every seed and counter tried', () => {
    for (const seed of [0, 1, 42, 2 ** 31 - 1]) {
      for (let n = 0; n < 5000; n += 1) expect(uuidFor(seed, n)).toBe(reference(seed, n));
    }
    expect(uuidFor(42, 1)).toBe('03ddf851-127d-4cfe-a095-f121d263f759');
  });
});
