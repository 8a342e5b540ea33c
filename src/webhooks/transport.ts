import http from 'node:http';
import https from 'node:https';

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Aborts the attempt (the simulator is closing). */
  signal: AbortSignal;
}

export interface WebhookResult {
  /** The receiver's status; null when none came. */
  status: number | null;
  /** Why the attempt failed; null on a 2xx. */
  error: string | null;
  /** False when trying again cannot help (nothing was sent); a failure is retried otherwise. */
  retry?: boolean;
}

/** Sends one attempt; never rejects. */
export type WebhookTransport = (request: WebhookRequest) => Promise<WebhookResult>;

/**
 * POSTs over node:http(s) with exactly the headers given (Host, Content-Length and Connection among them), so
 * the delivery log shows what went on the wire; fetch would add headers of its own. One connection per attempt
 * (`agent: false`): a receiver's keep-alive socket never outlives the attempt or holds up a shutdown.
 */
export const httpTransport: WebhookTransport = (request) =>
  new Promise((resolve) => {
    let settled = false;
    const done = (result: WebhookResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal.removeEventListener('abort', abort);
      resolve(result);
    };
    const url = new URL(request.url);
    const client = url.protocol === 'https:' ? https : http;
    const outgoing = client.request(url, { method: 'POST', headers: request.headers, agent: false, setHost: false });
    const fail = (error: Error & { code?: string }): void => done({ status: null, error: error.code ? `${error.code}: ${error.message}` : error.message });
    // The whole attempt, connecting included: a receiver that accepts and never answers fails in time.
    const timer = setTimeout(() => {
      fail(new Error(`no answer within ${request.timeoutMs} ms`));
      outgoing.destroy();
    }, request.timeoutMs);
    timer.unref();
    const abort = (): void => {
      fail(new Error('the simulator closed'));
      outgoing.destroy();
    };
    request.signal.addEventListener('abort', abort);
    outgoing.on('response', (answer) => {
      const status = answer.statusCode ?? 0;
      // The answer's body is not read (inferred: Purple Dot documents none), only drained.
      answer.resume();
      answer.on('error', () => undefined);
      done({ status, error: status >= 200 && status < 300 ? null : `the receiver answered ${status}` });
    });
    outgoing.on('error', fail);
    outgoing.end(request.body);
  });

/** The transport of an engine with no network (createEngine's default): nothing is sent, and nothing retried. */
export const noTransport: WebhookTransport = async () => ({
  status: null,
  error: 'not sent: this engine has no webhook transport (createSimulator, serve and startSimulator send over HTTP; createEngine takes `webhookTransport`)',
  retry: false,
});
