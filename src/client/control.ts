import createClient, { type Client } from 'openapi-fetch';
import type { paths } from '../../generated/simulator.ts';

export type ControlClient = Client<paths>;

export interface ControlClientOptions {
  baseUrl: string;
  /** The simulator's control token, when it was started with one (`--control-token`). */
  controlToken?: string;
  fetch?: typeof globalThis.fetch;
}

/**
 * A typed client of the simulator's control API (`/__sim`). It sends state-changing calls as JSON even
 * without a body, and the control token when given, as the control plane asks.
 */
export function createControlClient(options: ControlClientOptions): ControlClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch: options.fetch });
  client.use({
    onRequest({ request }) {
      if (request.method !== 'GET' && !request.headers.has('content-type')) request.headers.set('Content-Type', 'application/json');
      if (options.controlToken) request.headers.set('Authorization', `Bearer ${options.controlToken}`);
      return request;
    },
  });
  return client;
}
