import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from '../../generated/purple-dot.ts';

export interface PurpleDotClientOptions {
  /** e.g. `http://127.0.0.1:4010` or `https://www.purpledotprice.com`. */
  baseUrl: string;
  /** The store's public API key, sent as `api_key` on `/api/v1` requests. */
  apiKey?: string;
  /** The store's private access token, sent as `X-Purple-Dot-Access-Token` on `/admin/api/v1` requests. */
  accessToken?: string;
  fetch?: typeof globalThis.fetch;
}

export type PurpleDotClient = Client<paths>;

/** A typed client of the Purple Dot API: a wrong path, parameter or body fails `tsc`. */
export function createPurpleDotClient(options: PurpleDotClientOptions): PurpleDotClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch: options.fetch });
  const credentials: Middleware = {
    onRequest({ request }) {
      const url = new URL(request.url);
      if (url.pathname.startsWith('/api/') && options.apiKey && !url.searchParams.has('api_key')) {
        url.searchParams.set('api_key', options.apiKey);
        return new Request(url, request);
      }
      if (url.pathname.startsWith('/admin/api/') && options.accessToken) {
        request.headers.set('X-Purple-Dot-Access-Token', options.accessToken);
      }
      return request;
    },
  };
  client.use(credentials);
  return client;
}
