import type { components as Sim } from '../../generated/simulator.ts';

type ErrorEnvelope = Sim['schemas']['ErrorEnvelope'];

/** A refusal of either API, with the message it was answered with. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export interface Envelope<T> {
  data: T;
}

/** The simulator's root: the page lives at `<root>/__sim/ui/`, even when the simulator is mounted under a prefix. */
export const root = location.pathname.replace(/\/__sim\/ui\/?.*$/, '');

export interface Api {
  token: string | undefined;
  /** A control operation; `storeId` puts it under `/__sim/stores/{storeId}/…`. */
  control<T>(method: string, path: string, options?: { storeId?: string; body?: unknown }): Promise<T>;
  /** A Purple Dot private operation, with a store's access token; answers the whole envelope (lists page inside `data`). */
  admin<T>(method: string, path: string, accessToken: string, body?: unknown): Promise<T>;
  /** The journal stream's response, for journal.ts to read. */
  stream(path: string, signal: AbortSignal): Promise<Response>;
}

const messageOf = (status: number, body: unknown): ApiError => {
  const error = (body as Partial<ErrorEnvelope> | null)?.error;
  if (!error) return new ApiError(status, 'HTTP_' + status, `The simulator answered ${status}.`);
  // The details, where the message does not already say them.
  const untold = error.details.filter((d) => !error.message.includes(d.problem)).map((d) => `${d.field} ${d.problem}`).join('; ');
  return new ApiError(status, error.code, `${error.message}${untold ? ` (${untold})` : ''}`);
};

/**
 * Every call the page makes. Its reads carry `X-Purple-Dot-Sim-Dashboard: 1` (not journaled, counted or
 * faulted); its writes are sent as JSON, which the control plane requires; the control token, when there
 * is one, goes as a bearer header on control calls only.
 */
export function createApi(token: string | undefined): Api {
  const api: Api = {
    token,
    async control<T>(method: string, path: string, options: { storeId?: string; body?: unknown } = {}): Promise<T> {
      const prefix = options.storeId ? `/__sim/stores/${encodeURIComponent(options.storeId)}` : '/__sim';
      const envelope = await call<Envelope<T>>(method, `${prefix}${path}`, bearer(api.token), options.body);
      return envelope.data;
    },
    admin: <T>(method: string, path: string, accessToken: string, body?: unknown) =>
      call<T>(method, `/admin/api/v1${path}`, { 'X-Purple-Dot-Access-Token': accessToken }, body),
    stream: (path, signal) => fetch(`${root}${path}`, { headers: { Accept: 'text/event-stream', ...bearer(api.token) }, signal }),
  };
  return api;
}

const bearer = (token: string | undefined): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {});

async function call<T>(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<T> {
  const write = method !== 'GET';
  const res = await fetch(`${root}${path}`, {
    method,
    headers: { Accept: 'application/json', ...headers, ...(write ? { 'Content-Type': 'application/json' } : { 'X-Purple-Dot-Sim-Dashboard': '1' }) },
    body: write && body !== undefined ? JSON.stringify(body) : undefined,
  });
  const parsed: unknown = await res.json().catch(() => null);
  if (!res.ok) throw messageOf(res.status, parsed);
  return parsed as T;
}
