import type { Response } from 'express';
import { knownEnvelopeBytes } from '../engine/json-text.ts';

/**
 * Writes a JSON answer body: byte for byte and header for header what `res.json` writes, but cheaper for big
 * bodies. Two costs go (both from the profile of a page of 200 pre-orders, 273 KB):
 * - `JSON.stringify` and encoding of a body whose bytes the engine already has (see `json-text.ts`);
 * - `Buffer.from` of the text, which `res.send` does for any text of 1,000 characters or more: on Node 20 a
 *   string of 4 KiB or more takes a slow path there, several times slower than sizing the buffer with
 *   `Buffer.byteLength` and encoding into it with `write`.
 * Whenever `res.json` would do something else (a Content-Type already set, or an app that sets `json
 * replacer`, `json spaces` or `json escape`, which a parent app lends a mounted simulator), it is left to it.
 */
export function sendJson(res: Response, body: unknown): void {
  const app = res.app;
  if (res.get('Content-Type') !== undefined || app.get('json replacer') || app.get('json spaces') || app.get('json escape')) {
    res.json(body);
    return;
  }
  const bytes = jsonBytes(body);
  // JSON.stringify(undefined) has no text; res.json sends no body for it.
  if (bytes === undefined) {
    res.json(body);
    return;
  }
  // What res.json sets, with the charset res.send adds for text.
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.send(bytes);
}

/** The bytes `res.json` would send for `body` (none for a body without JSON text, such as undefined). */
export function jsonBytes(body: unknown): Buffer | undefined {
  const known = knownEnvelopeBytes(body);
  if (known) return known;
  const text = JSON.stringify(body);
  return typeof text === 'string' ? utf8(text) : undefined;
}

/** Below this many characters Buffer.from is quick (it encodes into its shared pool). */
const SMALL = 4096;

/** The UTF-8 bytes of `text`, as `Buffer.from(text)` makes them. */
export function utf8(text: string): Buffer {
  if (text.length < SMALL) return Buffer.from(text);
  const bytes = Buffer.allocUnsafe(Buffer.byteLength(text));
  bytes.write(text);
  return bytes;
}
