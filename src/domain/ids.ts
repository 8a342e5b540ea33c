import { hash } from 'node:crypto';

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** One buffer for every ID: IDs are made one at a time, and the text is copied out of it. */
const uuidText = Buffer.alloc(36);

/**
 * Deterministic UUIDs: the n-th ID of a seed is always the same, so two simulators with the same scenario
 * and seed answer byte-identically, and the counter is all a snapshot needs to keep.
 * The first 32 hex digits of SHA-256 of `seed:n`, as `xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx`: the version
 * digit takes the place of the 13th digit, and V is 8 to b from the two low bits of the 17th.
 */
export function uuidFor(seed: number, n: number): string {
  // The one-shot hash: a tenth of createHash's cost, and a scenario build or an export makes thousands of IDs.
  // Its hex text, copied digit by digit into one buffer: slices joined by a template made a rope of nine strings
  // per ID, and a digest as a Buffer costs more than the text.
  const hex = hash('sha256', `${seed}:${n}`);
  let at = 0;
  for (let i = 0; i < 32; i += 1) {
    if (i === 8 || i === 12 || i === 16 || i === 20) uuidText[at++] = 0x2d;
    if (i === 12) {
      uuidText[at++] = 0x34;
    } else if (i === 16) {
      const code = hex.charCodeAt(16);
      uuidText[at++] = HEX_DIGITS[(((code <= 0x39 ? code - 0x30 : code - 0x57) & 0x3) | 0x8)]!;
    } else {
      uuidText[at++] = hex.charCodeAt(i);
    }
  }
  return uuidText.toString('latin1', 0, 36);
}
