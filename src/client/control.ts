import createClient, { type Client } from 'openapi-fetch';
import type { paths } from '../../generated/simulator.ts';

export type ControlClient = Client<paths>;

/** A typed client of the simulator's control API (`/__sim`). */
export function createControlClient(options: { baseUrl: string; fetch?: typeof globalThis.fetch }): ControlClient {
  return createClient<paths>({ baseUrl: options.baseUrl, fetch: options.fetch });
}
