/**
 * JSON text as a client sent it (a snapshot import's body), made fit for one line of a state file, a few
 * megabytes per step. Outside its strings, JSON text holds only whitespace, structure (`{}[]:,`) and what
 * literals and numbers are made of; a line may not hold a line end. Every other byte found outside a string
 * becomes a space, and so does every line end: the text reads back as the same value, on one line.
 *
 * Line ends are the usual case (a pretty-printed snapshot). Other bytes should never be there, but the body's
 * parser (src/engine/json-pieces.ts) takes a list holding nothing but whitespace as empty using `trim()`, which
 * also passes a no-break space or a byte order mark that `JSON.parse` refuses; written as sent, such a line
 * could not be read back, and the change it holds would be lost on restart.
 */

const SPACE = 0x20;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The bytes JSON allows outside strings, a line end excepted (it must become a space too). */
const ALLOWED = new Uint8Array(256);
for (const char of ' \t\r{}[]:,0123456789+-.eEtruefalsn') ALLOWED[char.charCodeAt(0)] = 1;

/** Bytes per part: a step's worth of scanning. */
const PART_BYTES = 4 * 1024 * 1024;

/**
 * The parts of `bytes` (UTF-8 JSON text) in order, as described above: a part nothing had to change in is a view
 * of `bytes`, one that changed is a copy. Each part is a step.
 */
export function* clientJsonParts(bytes: Uint8Array, partBytes = PART_BYTES): Generator<Buffer, void> {
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let inString = false;
  for (let start = 0; start < all.length; start += partBytes) {
    const end = Math.min(start + partBytes, all.length);
    let part: Buffer | undefined;
    let i = start;
    while (i < end) {
      if (inString) {
        // The string's end: the next quote not escaped by an odd run of backslashes (which may begin in an
        // earlier part: `all` is looked back into, not the part).
        let quote = all.indexOf(QUOTE, i);
        for (;;) {
          if (quote < 0) break;
          let slashes = 0;
          while (quote - 1 - slashes >= 0 && all[quote - 1 - slashes] === BACKSLASH) slashes += 1;
          if (slashes % 2 === 0) break;
          quote = all.indexOf(QUOTE, quote + 1);
        }
        if (quote < 0 || quote >= end) {
          i = end;
          break;
        }
        inString = false;
        i = quote + 1;
        continue;
      }
      const byte = all[i]!;
      if (byte === QUOTE) {
        inString = true;
      } else if (ALLOWED[byte] === 0) {
        part ??= Buffer.from(all.subarray(start, end));
        part[i - start] = SPACE;
      }
      i += 1;
    }
    yield part ?? all.subarray(start, end);
  }
}
