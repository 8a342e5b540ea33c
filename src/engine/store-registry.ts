import { conflict, invalid, notFound } from '../domain/errors.ts';
import type { Credentials, HostedStore, Store } from './store.ts';

/** The stores of one engine, findable by ID and by either credential that names them. */
export interface StoreLookup<S extends Store = Store> {
  list(): S[];
  get(id: string): S | undefined;
  /** The store, or 404 UNKNOWN_STORE naming `field`. */
  require(id: string, field?: string): S;
  byPublicKey(key: string): S | undefined;
  byAccessToken(token: string): S | undefined;
  /** The store whose shop domain this is (the SDK's `shop`), compared case-insensitively as domains are. */
  byShopDomain(domain: string): S | undefined;
}

export interface StoreRegistry extends StoreLookup<HostedStore> {
  /** Throws 409 CREDENTIALS_IN_USE when another store already answers to one of these credentials. */
  checkFree(credentials: Partial<Credentials>): void;
  add(store: HostedStore): void;
  remove(id: string): void;
}

export function createStoreRegistry(): StoreRegistry {
  const byId = new Map<string, HostedStore>();
  const byKey = new Map<string, HostedStore>();
  const byToken = new Map<string, HostedStore>();
  const byShop = new Map<string, HostedStore>();
  /** Every credential value of every store, in whatever role. */
  const secrets = new Set<string>();
  return {
    list: () => [...byId.values()],
    get: (id) => byId.get(id),
    require(id, field = 'storeId') {
      const store = byId.get(id);
      if (!store) throw notFound('UNKNOWN_STORE', field, `no store with ID ${id}`);
      return store;
    },
    byPublicKey: (key) => byKey.get(key),
    byAccessToken: (token) => byToken.get(token),
    byShopDomain: (domain) => byShop.get(domain.toLowerCase()),
    checkFree(credentials) {
      const given = (['public_api_key', 'private_access_token', 'shared_secret'] as const)
        .flatMap((name) => (credentials[name] === undefined ? [] : [[name, credentials[name]!] as const]));
      // A value another store uses in any role would let one store's credential be mistaken for the other's.
      for (const [name, value] of given) {
        if (secrets.has(value)) throw conflict('CREDENTIALS_IN_USE', `credentials.${name}`, 'is already used by another store');
      }
      given.forEach(([name, value], i) => {
        const twin = given.slice(0, i).find(([, other]) => other === value);
        if (twin) throw invalid('INVALID_REQUEST', `credentials.${name}`, `must differ from credentials.${twin[0]}`);
      });
    },
    add(store) {
      byId.set(store.id, store);
      byKey.set(store.credentials.public_api_key, store);
      byToken.set(store.credentials.private_access_token, store);
      byShop.set(store.shopDomain, store);
      for (const value of Object.values(store.credentials)) secrets.add(value);
    },
    remove(id) {
      const store = byId.get(id);
      if (!store) return;
      byId.delete(id);
      byKey.delete(store.credentials.public_api_key);
      byToken.delete(store.credentials.private_access_token);
      byShop.delete(store.shopDomain);
      for (const value of Object.values(store.credentials)) secrets.delete(value);
    },
  };
}
