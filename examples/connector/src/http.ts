/**
 * One small HTTP layer for Purple Dot's private API: the access token on every call, JSON in and out,
 * and a bounded retry policy shared by every part of the connector.
 *
 * Retried: 429 (waiting exactly what `Retry-After` asks), 5xx, network errors, timeouts, and a 2xx whose
 * JSON body is cut off. Never retried: any other 4xx. A 401/403 means the token is wrong or revoked, and
 * retrying it only gets the token locked out sooner, so it fails at once with `PurpleDotAuthError`.
 */

export interface PurpleDotHttpOptions {
  /** e.g. `https://www.purpledotprice.com` */
  baseUrl: string;
  /** The store's private access token (Merchant Portal → Integration). */
  accessToken: string;
  /** Attempts per request, the first included (default 4). */
  maxAttempts?: number;
  /** Wait before the first retry of a 5xx or network error; doubles each time (default 500 ms). */
  backoffMs?: number;
  /** Longest wait between two attempts after a 5xx or network error (default 8 s). */
  maxBackoffMs?: number;
  /** A `Retry-After` asking for longer than this gives up instead of waiting (default 60 s). */
  maxRetryAfterMs?: number;
  /** Per attempt; an attempt that takes longer is aborted and retried (default 30 s). */
  timeoutMs?: number;
  /** Injectable for tests and for proxies; the global `fetch` by default. */
  fetch?: typeof fetch;
  /** Injectable so tests need not wait; a timer by default. */
  sleep?: (ms: number) => Promise<void>;
  /** Called before each wait, for logs and metrics. */
  onRetry?: (retry: RetryInfo) => void;
}

export interface RetryInfo {
  method: string;
  url: string;
  /** The attempt that failed, counted from 1. */
  attempt: number;
  /** How long the client waits before the next attempt. */
  delayMs: number;
  /** `429`, `503`, … or the network error's message. */
  reason: string;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

export interface PurpleDotResponse<T> {
  status: number;
  headers: Headers;
  body: T;
  /** How many attempts it took (1 when the first one succeeded). */
  attempts: number;
}

/** Purple Dot's error envelope: `{"meta":{"result":"error"},"error":{code,message,details}}`. */
interface ErrorEnvelope {
  error?: { code?: string; message?: string; details?: { field: string; problem: string }[] };
}

/** Purple Dot refused the request (a 4xx other than 429); retrying the same request would not help. */
export class PurpleDotApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly details: { field: string; problem: string }[];
  readonly method: string;
  readonly url: string;

  constructor(method: string, url: string, status: number, envelope: ErrorEnvelope | undefined, message?: string) {
    const code = envelope?.error?.code;
    const detail = envelope?.error?.message ?? '';
    super(message ?? `Purple Dot answered ${status}${code ? ` ${code}` : ''} to ${method} ${pathOf(url)}${detail ? `: ${detail}` : ''}`);
    this.name = 'PurpleDotApiError';
    this.status = status;
    this.code = code;
    this.details = envelope?.error?.details ?? [];
    this.method = method;
    this.url = url;
  }
}

/** The access token was refused (401/403). Never retried: fix the token in the connector's settings. */
export class PurpleDotAuthError extends PurpleDotApiError {
  constructor(method: string, url: string, status: number, envelope: ErrorEnvelope | undefined) {
    const code = envelope?.error?.code ?? 'no code';
    const detail = envelope?.error?.message ? ` ${envelope.error.message}` : '';
    super(method, url, status, envelope,
      `Purple Dot rejected the access token (${status} ${code}) on ${method} ${pathOf(url)}.${detail} `
      + 'Not retrying: check the private access token in the connector settings.');
    this.name = 'PurpleDotAuthError';
  }
}

/** Every attempt failed with something worth retrying; `lastStatus` is the last answer's status, if any. */
export class PurpleDotRetriesExhaustedError extends Error {
  readonly attempts: number;
  readonly lastStatus: number | undefined;

  constructor(method: string, url: string, attempts: number, lastReason: string, lastStatus: number | undefined, cause: unknown) {
    super(`Purple Dot ${method} ${pathOf(url)} failed after ${attempts} attempt(s); last: ${lastReason}`, { cause });
    this.name = 'PurpleDotRetriesExhaustedError';
    this.attempts = attempts;
    this.lastStatus = lastStatus;
  }
}

function pathOf(url: string): string {
  const u = new URL(url);
  return u.pathname;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `Retry-After` in seconds (what Purple Dot documents) or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A failure worth another attempt, and how long to wait before it. */
interface Retryable {
  reason: string;
  status?: number;
  waitMs?: number;
  cause?: unknown;
}

export interface PurpleDotHttp {
  readonly baseUrl: string;
  /** `pathOrUrl` is a path on `baseUrl`, or an absolute URL on the same origin (a `Link` to follow). */
  request<T>(method: 'GET' | 'POST', pathOrUrl: string, options?: RequestOptions): Promise<PurpleDotResponse<T>>;
}

export function createPurpleDotHttp(options: PurpleDotHttpOptions): PurpleDotHttp {
  const {
    accessToken, maxAttempts = 4, backoffMs = 500, maxBackoffMs = 8_000, maxRetryAfterMs = 60_000, timeoutMs = 30_000,
    sleep = defaultSleep, onRetry,
  } = options;
  const doFetch = options.fetch ?? globalThis.fetch;
  const base = new URL(options.baseUrl);
  if (!accessToken) throw new Error('Purple Dot: an access token is required');
  if (maxAttempts < 1) throw new Error('Purple Dot: maxAttempts must be at least 1');

  const urlFor = (pathOrUrl: string, query: RequestOptions['query']): URL => {
    const url = new URL(pathOrUrl, base);
    // The token goes only to Purple Dot's own origin, whatever a Link header says.
    if (url.origin !== base.origin) throw new Error(`Purple Dot: refusing to send the access token to ${url.origin}`);
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    return url;
  };

  const backoff = (attempt: number): number => Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));

  async function attemptOnce<T>(method: string, url: URL, body: unknown): Promise<{ ok: PurpleDotResponse<T> } | { retry: Retryable }> {
    let res: Response;
    let text: string;
    try {
      res = await doFetch(url, {
        method,
        headers: {
          'X-Purple-Dot-Access-Token': accessToken,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (error) {
      const name = (error as { name?: string } | null)?.name;
      const reason = name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `network error: ${(error as Error).message}`;
      return { retry: { reason, cause: error } };
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch (error) {
      if (res.ok) return { retry: { reason: `${res.status} with a body that is not JSON`, status: res.status, cause: error } };
      parsed = undefined;
    }
    if (res.ok) return { ok: { status: res.status, headers: res.headers, body: parsed as T, attempts: 0 } };
    if (res.status === 429) {
      return { retry: { reason: `429 ${(parsed as ErrorEnvelope | undefined)?.error?.code ?? ''}`.trim(), status: 429, waitMs: retryAfterMs(res.headers.get('retry-after')) } };
    }
    if (res.status >= 500) {
      return { retry: { reason: `${res.status} ${(parsed as ErrorEnvelope | undefined)?.error?.code ?? ''}`.trim(), status: res.status } };
    }
    if (res.status === 401 || res.status === 403) throw new PurpleDotAuthError(method, url.toString(), res.status, parsed as ErrorEnvelope);
    throw new PurpleDotApiError(method, url.toString(), res.status, parsed as ErrorEnvelope);
  }

  return {
    baseUrl: base.toString(),
    async request<T>(method: 'GET' | 'POST', pathOrUrl: string, requestOptions: RequestOptions = {}): Promise<PurpleDotResponse<T>> {
      const url = urlFor(pathOrUrl, requestOptions.query);
      for (let attempt = 1; ; attempt += 1) {
        const outcome = await attemptOnce<T>(method, url, requestOptions.body);
        if ('ok' in outcome) return { ...outcome.ok, attempts: attempt };
        const { retry } = outcome;
        if (attempt >= maxAttempts) {
          throw new PurpleDotRetriesExhaustedError(method, url.toString(), attempt, retry.reason, retry.status, retry.cause);
        }
        const delayMs = retry.waitMs ?? backoff(attempt);
        if (delayMs > maxRetryAfterMs) {
          throw new PurpleDotRetriesExhaustedError(method, url.toString(), attempt,
            `${retry.reason}, asked to wait ${delayMs / 1000} s, more than the ${maxRetryAfterMs / 1000} s this connector waits`, retry.status, retry.cause);
        }
        onRetry?.({ method, url: url.toString(), attempt, delayMs, reason: retry.reason });
        await sleep(delayMs);
      }
    },
  };
}

/**
 * The `rel="next"` target of an RFC 8288 `Link` header, or undefined. Also reads `rel=next` and the
 * `rel={next}` form a third-party client reports seeing from the real API.
 */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const match of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|\{([^}]*)\}|([^\s;,]+))/i.exec(match[2] ?? '');
    const values = (rel?.[1] ?? rel?.[2] ?? rel?.[3] ?? '').toLowerCase().split(/\s+/);
    if (values.includes('next')) return match[1];
  }
  return undefined;
}

/** Every list of the private API: the items under `data[key]`, plus the cursor fields next to them. */
interface ListBody {
  data: { has_more?: boolean; starting_after?: string | null } & Record<string, unknown>;
}

/**
 * Pages a private list to its end: follows the `Link` header's next page, or, without one, asks again with
 * `starting_after` while `has_more` says there is more. Yields each page's items in order.
 */
export async function* pages<T>(
  http: PurpleDotHttp, path: string, key: string, query: RequestOptions['query'], maxPages = 10_000,
): AsyncGenerator<T[]> {
  let next: { target: string; query: RequestOptions['query'] } | undefined = { target: path, query };
  const requested = new Set<string>();
  for (let page = 1; next; page += 1) {
    if (page > maxPages) throw new Error(`Purple Dot: ${path} still had more after ${maxPages} pages; stopping`);
    const res: PurpleDotResponse<ListBody> = await http.request<ListBody>('GET', next.target, { query: next.query });
    const items = res.body?.data?.[key];
    if (!Array.isArray(items)) throw new Error(`Purple Dot: ${path} answered without data.${key}`);
    yield items as T[];
    const link = nextLink(res.headers.get('link'));
    const cursor = res.body.data.starting_after ?? undefined;
    if (link) {
      next = { target: link, query: undefined };
    } else if (res.body.data.has_more) {
      if (!cursor) throw new Error(`Purple Dot: ${path} said has_more but gave no starting_after and no Link`);
      next = { target: path, query: { ...query, starting_after: cursor } };
    } else {
      next = undefined;
    }
    if (next) {
      const seen = next.target + JSON.stringify(next.query ?? {});
      if (requested.has(seen)) throw new Error(`Purple Dot: ${path} pointed back to a page already read; stopping`);
      requested.add(seen);
    }
  }
}
