import { timingSafeEqual } from 'node:crypto';
import { shopperTokenPayload, signShopperToken } from '../client/shopper-token.ts';
import { DomainError } from '../domain/errors.ts';
import type { StoreState } from '../domain/store.ts';
import type { StoreRegistry } from './store-registry.ts';
import type { HostedStore as Store } from './store.ts';

/** The credentials each API expects, as `WWW-Authenticate` challenges (custom schemes, RFC 9110 section 11.6.1). */
const CHALLENGES = {
  // `shop` is the SDK's alternative to the key (observed in the SDK).
  public: 'ApiKey realm="Purple Dot Public API", in="query", name="api_key", alternative="shop"',
  private: 'ApiKey realm="Purple Dot Private API", in="header", name="X-Purple-Dot-Access-Token"',
  shopper: 'ShopperToken realm="Purple Dot Public API", params="email timestamp token"',
} as const;

const refuser = (challenge: string) => (code: string, field: string, problem: string, message: string): DomainError =>
  new DomainError('unauthorized', code, message, [{ field, problem }], challenge);
const refusePublic = refuser(CHALLENGES.public);
const refusePrivate = refuser(CHALLENGES.private);
const refuseShopper = refuser(CHALLENGES.shopper);

/** Query values arrive as string, string[] or nothing; only a single string is a credential. */
const single = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * The store a public request names: by `api_key`, or by `shop`, the shop domain Purple Dot's SDK sends when it
 * has no key (observed in the SDK). Given both, they must name the same store.
 */
export function authenticatePublic(stores: StoreRegistry, query: Record<string, unknown>): Store {
  if (Array.isArray(query.api_key)) throw refusePublic('INVALID_API_KEY', 'api_key', 'must be given once', 'The api_key query parameter must be given once.');
  if (Array.isArray(query.shop)) throw refusePublic('INVALID_SHOP', 'shop', 'must be given once', 'The shop query parameter must be given once.');
  const key = single(query.api_key);
  const shop = single(query.shop);
  const byShop = shop ? shopStore(stores, shop) : undefined;
  if (!key) {
    if (byShop) return byShop;
    throw refusePublic('MISSING_API_KEY', 'api_key', 'is required (or shop)', 'The api_key query parameter (or shop, the shop domain) is required.');
  }
  const store = stores.byPublicKey(key);
  if (store && byShop && byShop !== store) {
    throw refusePublic('INVALID_SHOP', 'shop', 'names another store than api_key', 'The shop and api_key query parameters name different stores.');
  }
  if (!store) {
    const problem = stores.byAccessToken(key) ? 'is a private access token, not a public API key'
      : stores.byShopDomain(key) ? 'is a shop domain, not a public API key: send it as shop' : 'does not match any store';
    throw refusePublic('INVALID_API_KEY', 'api_key', problem, `The api_key ${problem}.`);
  }
  return store;
}

function shopStore(stores: StoreRegistry, shop: string): Store {
  const store = stores.byShopDomain(shop);
  if (store) return store;
  const problem = stores.byPublicKey(shop) ? 'is a public API key, not a shop domain: send it as api_key' : 'does not match any store\'s shop domain';
  throw refusePublic('INVALID_SHOP', 'shop', problem, `The shop ${problem}.`);
}

/** A public request that may name no store (the SDK's events): the store its `api_key` or `shop` names, else none. */
export function authenticateOptionalPublic(stores: StoreRegistry, query: Record<string, unknown>): Store | undefined {
  return query.api_key === undefined && query.shop === undefined ? undefined : authenticatePublic(stores, query);
}

export function authenticatePrivate(stores: StoreRegistry, header: string | undefined): Store {
  if (!header) {
    throw refusePrivate('MISSING_ACCESS_TOKEN', 'X-Purple-Dot-Access-Token', 'is required', 'The X-Purple-Dot-Access-Token header is required.');
  }
  const store = stores.byAccessToken(header);
  if (!store) {
    const problem = stores.byPublicKey(header) ? 'is a public API key, not a private access token' : 'does not match any store';
    throw refusePrivate('INVALID_ACCESS_TOKEN', 'X-Purple-Dot-Access-Token', problem, `The X-Purple-Dot-Access-Token header ${problem}.`);
  }
  return store;
}

const WINDOW_SECONDS = 10;

interface Signed {
  email: string;
  timestamp: number;
  secret: string;
  token: Buffer;
}

/** The last tokens worked out, by email and timestamp: a storefront sends the same token for seconds on end. */
const signed = new Map<string, Signed>();
const SIGNED_KEPT = 256;

/**
 * The token the shared secret gives for this email and timestamp, as bytes. An HMAC per request was a tenth of
 * P5's CPU; the same one is kept for the requests that follow (an entry is used only when all three match).
 */
function expectedToken(email: string, timestamp: number, secret: string): Buffer {
  const key = `${timestamp}:${email}`;
  const kept = signed.get(key);
  if (kept !== undefined && kept.email === email && kept.timestamp === timestamp && kept.secret === secret) return kept.token;
  const hex = signShopperToken(email, timestamp, secret);
  // Its own memory, not a slice of Buffer's shared pool, which a kept slice would keep whole.
  const token = Buffer.allocUnsafeSlow(Buffer.byteLength(hex, 'utf8'));
  token.write(hex, 'utf8');
  if (signed.size >= SIGNED_KEPT) signed.clear();
  signed.set(key, { email, timestamp, secret, token });
  return token;
}

/** Checks the shopper credential of GET /api/v1/pre-orders against the simulator clock. */
export function authenticateShopper(store: StoreState, query: Record<string, unknown>, now: Date): void {
  const email = single(query.email);
  const timestamp = single(query.timestamp);
  const token = single(query.token);
  for (const [field, value] of [['email', email], ['timestamp', timestamp], ['token', token]] as const) {
    if (!value) throw refuseShopper('MISSING_SHOPPER_TOKEN', field, 'is required', `The shopper credential needs ${field}.`);
  }
  if (!/^\d{1,12}$/.test(timestamp!)) {
    throw refuseShopper('INVALID_SHOPPER_TOKEN', 'timestamp', 'must be Unix epoch seconds', 'The timestamp must be Unix epoch seconds.');
  }
  const skew = Math.abs(now.getTime() / 1000 - Number(timestamp));
  if (skew > WINDOW_SECONDS) {
    throw refuseShopper('EXPIRED_SHOPPER_TOKEN', 'timestamp', `is ${Math.round(skew)} s from the server time ${now.toISOString()}`, `The shopper token is only valid within ${WINDOW_SECONDS} seconds of its timestamp.`);
  }
  const expected = expectedToken(email!, Number(timestamp), store.data.settings.shared_secret);
  const given = Buffer.from(token!, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    // Naming the exact string checked shows a `+` in the email that arrived as a space (unencoded in the URL).
    const signed = JSON.stringify(shopperTokenPayload(email!, Number(timestamp)));
    throw refuseShopper('INVALID_SHOPPER_TOKEN', 'token', `is not the HMAC-SHA256 of ${signed} with the store's shared secret`, 'The shopper token does not match the email and timestamp.');
  }
}
