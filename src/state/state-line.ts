import { crc32 } from 'node:zlib';
import { clientJsonParts } from './client-json.ts';

/**
 * One line of a state file: `<crc32 of the JSON, 8 hex digits> <JSON>\n`. The checksum tells a line a crash
 * cut short, or one damaged later, from a good one. It is taken over the JSON's UTF-8 bytes, which is what
 * `crc32` of the line's text (as the reader takes it) encodes them to.
 */

/** Bytes before the JSON: the checksum's 8 hex digits and a space. */
export const PREFIX_BYTES = 9;

/** The 9 bytes that open a line whose JSON has this checksum. */
export const prefixOf = (crc: number): Buffer => Buffer.from(`${crc.toString(16).padStart(8, '0')} `, 'latin1');

/**
 * A record's line, made in one go. The JSON is encoded once, into a buffer of its size, and the checksum taken
 * over those bytes: `crc32` of a string (which encodes it first) and a write of the string (which encodes it
 * again) took two seconds more for a 150 MB line.
 */
export function encodeLine(record: object): Buffer {
  const json = JSON.stringify(record);
  const size = Buffer.byteLength(json);
  const line = Buffer.allocUnsafe(PREFIX_BYTES + size + 1);
  line.write(json, PREFIX_BYTES);
  prefixOf(crc32(line.subarray(PREFIX_BYTES, PREFIX_BYTES + size))).copy(line, 0);
  line[PREFIX_BYTES + size] = 0x0a;
  return line;
}

/** The value a line's text holds, or why it holds none. */
export function decodeLine(line: string): { value: unknown } | { problem: string } {
  const match = /^([0-9a-f]{8}) (.*)$/s.exec(line);
  if (!match) return { problem: 'it is not a checksummed line' };
  if (crc32(match[2]!) !== parseInt(match[1]!, 16)) return { problem: 'its checksum does not match its content' };
  try {
    return { value: JSON.parse(match[2]!) as unknown };
  } catch (error) {
    return { problem: `it is not JSON (${(error as Error).message})` };
  }
}

/** Bytes summed per step: a few milliseconds. */
const STEP_BYTES = 4 * 1024 * 1024;

/**
 * A line made from its JSON in pieces of bytes, a few megabytes per step (the generator yields between steps):
 * the checksum is summed piece by piece, and the line comes back as its parts, prefix first, to be written
 * without joining them. `sent`, if it is one of the pieces, is JSON text as a client sent it, made fit for a
 * line first (see client-json.ts); the other pieces are JSON text as `jsonPieces` makes it, taken as they are.
 */
export function* lineFromPieces(pieces: Iterable<Uint8Array>, sent?: Uint8Array): Generator<void, Buffer[]> {
  const parts: Buffer[] = [Buffer.alloc(0)];
  let crc = 0;
  for (const piece of pieces) {
    for (const part of piece === sent ? clientJsonParts(piece) : steps(piece)) {
      crc = crc32(part, crc);
      parts.push(part);
      yield;
    }
  }
  parts[0] = prefixOf(crc);
  parts.push(Buffer.from('\n'));
  return parts;
}

/** Views of a piece, a step's worth each. */
function* steps(piece: Uint8Array): Generator<Buffer, void> {
  const bytes = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
  for (let at = 0; at < bytes.length; at += STEP_BYTES) yield bytes.subarray(at, Math.min(at + STEP_BYTES, bytes.length));
}
