import { afterAll, afterEach, beforeAll } from 'vitest';
import { DEFAULT_CREDENTIALS } from '../../src/engine/defaults.ts';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/http/app.ts';
import { contractOperations, contractProblems } from './contract.ts';
import { createHttpClient } from './http-client.ts';

const isSpecPath = (method: string, path: string): boolean => {
  const pathname = new URL(path, 'http://x').pathname;
  return contractOperations.some((o) => o.method === method.toUpperCase() && o.matcher.test(pathname));
};

export const credentials = DEFAULT_CREDENTIALS;
export const privateHeaders = { 'X-Purple-Dot-Access-Token': credentials.private_access_token };

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Harness {
  sim: Simulator;
  url: string;
  /** Any request; the response is checked against the spec and the call throws if it does not conform. */
  request<T = any>(method: string, path: string, init?: { body?: unknown; headers?: Record<string, string>; raw?: string }): Promise<Reply<T>>;
  publicGet<T = any>(path: string, query?: Record<string, string | number>): Promise<Reply<T>>;
  privateGet<T = any>(path: string, query?: Record<string, string | number>): Promise<Reply<T>>;
  privatePost<T = any>(path: string, body: unknown): Promise<Reply<T>>;
  control<T = any>(method: string, path: string, body?: unknown): Promise<Reply<T>>;
  close(): Promise<void>;
}

const qs = (query: Record<string, string | number> = {}) => {
  const params = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  const text = params.toString();
  return text ? `?${text}` : '';
};

export async function startHarness(options: SimulatorOptions = {}): Promise<Harness> {
  const sim = createSimulator(options);
  const running = await sim.listen(0);
  // Sends what fetch would send, for less CPU (see http-client.ts).
  const client = createHttpClient();
  const request: Harness['request'] = async (method, path, init = {}) => {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    let payload: string | undefined = init.raw;
    if (init.body !== undefined) {
      payload = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    // The control plane takes state-changing calls as JSON only, bodyless ones too (no cross-site writes).
    if (method !== 'GET' && path.startsWith('/__sim') && init.raw === undefined) headers['content-type'] ??= 'application/json';
    const res = await client.send(method, `${running.url}${path}`, { headers, ...(payload === undefined ? {} : { body: payload }) });
    const { text } = res;
    const body = text ? JSON.parse(text) : undefined;
    // Paths outside the specs (unknown routes) have no contract to check.
    const problems = isSpecPath(method, path) ? contractProblems(method, path, res.status, body, res.headers) : [];
    if (problems.length > 0) throw new Error(`response breaks the contract:\n${problems.join('\n')}`);
    return { status: res.status, body, headers: res.headers };
  };
  return {
    sim,
    url: running.url,
    request,
    publicGet: (path, query = {}) => request('GET', `${path}${qs({ api_key: credentials.public_api_key, ...query })}`),
    privateGet: (path, query = {}) => request('GET', `${path}${qs(query)}`, { headers: privateHeaders }),
    privatePost: (path, body) => request('POST', path, { body, headers: privateHeaders }),
    control: (method, path, body) => request(method, path, { body }),
    close: async () => {
      client.close();
      await running.close();
    },
  };
}

/** Starts a fresh simulator for the enclosing describe block. */
export function useHarness(options: SimulatorOptions = {}): () => Harness {
  let harness: Harness | undefined;
  beforeAll(async () => {
    harness = await startHarness(options);
  });
  afterAll(async () => {
    await harness?.close();
  });
  return () => {
    if (!harness) throw new Error('harness not started');
    return harness;
  };
}

/** A fresh simulator per call on the given scenario, each closed after the test that started it. */
export function harnessPerTest(): (scenario: string) => Promise<Harness> {
  const open: Harness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });
  return async (scenario) => {
    const h = await startHarness({ scenario });
    open.push(h);
    return h;
  };
}
