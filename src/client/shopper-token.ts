import { createHmac } from 'node:crypto';

/**
 * The shopper credential of GET /api/v1/pre-orders: lowercase hex HMAC-SHA256 of `email:timestamp`
 * keyed with the store's shared secret, `timestamp` in Unix epoch seconds.
 */
export function signShopperToken(email: string, timestamp: number, sharedSecret: string): string {
  return createHmac('sha256', sharedSecret).update(shopperTokenPayload(email, timestamp)).digest('hex');
}

/** The string a shopper token signs. */
export const shopperTokenPayload = (email: string, timestamp: number): string => `${email}:${timestamp}`;
