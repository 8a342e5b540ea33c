import { hash } from 'node:crypto';

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** One buffer for every ID: IDs are made one at a time, and the text is copied out of it. */
const uuidText = Buffer.alloc(36);

/**
 * Deterministic UUIDs: the n-th ID of a seed is always the same, so two simulators with the same scenario
 * and seed answer byte-identically, and the counter is all a snapshot needs to keep.
 * The first 16 bytes of SHA-256 of `seed:n` in hex, as `xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx`: the version
 * digit takes the place of the 13th hex digit, and V is 8 to b from the two low bits of the 17th.
 */
export function uuidFor(seed: number, n: number): string {
  // The one-shot hash: a tenth of createHash's cost, and a scenario build or an export makes thousands of IDs.
  const digest = hash('sha256', `${seed}:${n}`, 'buffer');
  // Written byte by byte into one buffer: slices joined by a template made several strings per ID.
  let at = 0;
  for (let i = 0; i < 16; i += 1) {
    if (i === 4 || i === 6 || i === 8 || i === 10) uuidText[at++] = 0x2d;
    const byte = digest[i]!;
    const high = i === 6 ? 4 : i === 8 ? ((byte >> 4) & 0x3) | 0x8 : byte >> 4;
    uuidText[at++] = HEX_DIGITS[high]!;
    uuidText[at++] = HEX_DIGITS[byte & 0xf]!;
  }
  return uuidText.toString('latin1', 0, 36);
}
