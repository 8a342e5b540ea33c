import { createHmac, timingSafeEqual } from 'node:crypto';

/** Base64 HMAC-SHA256 of the exact body bytes, keyed with the store's shared secret (documented, `X-PD-Hmac-Sha256`). */
export function signWebhookBody(rawBody: string | Uint8Array, sharedSecret: string): string {
  return createHmac('sha256', sharedSecret).update(rawBody).digest('base64');
}

/**
 * Whether `header` is the `X-PD-Hmac-Sha256` of `rawBody` under `sharedSecret`. Give it the body exactly as
 * received (a Buffer or the string read from the socket): JSON parsed and serialised again may have other
 * bytes (spacing, key order, escapes) and will not verify. The comparison takes the same time wherever the
 * two signatures differ, so it tells an attacker nothing about how close a guess came.
 */
export function verifyWebhookSignature(rawBody: string | Uint8Array, header: string | readonly string[] | null | undefined, sharedSecret: string): boolean {
  // A header sent twice is not a signature: refuse it rather than pick one.
  if (typeof header !== 'string' || typeof sharedSecret !== 'string' || sharedSecret.length === 0) return false;
  const expected = Buffer.from(signWebhookBody(rawBody, sharedSecret), 'utf8');
  const given = Buffer.from(header.trim(), 'utf8');
  // Lengths are public (every signature is 44 characters); only equal lengths can be compared in constant time.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
