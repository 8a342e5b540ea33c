/**
 * The tests' HTTP client: what `fetch` sends and gives back, through `node:http` with a keep-alive agent.
 *
 * Why not fetch: the tests talk to a simulator in their own process, so the client's CPU is the test's. undici's
 * fetch spent about 1 ms of CPU a request on top of node:http (Request, Response, AbortSignal, web streams),
 * as much as the simulator's own answer to a page of pre-orders; the property suite sends about 100,000.
 *
 * What the simulator sees is what fetch sent: the URL as the WHATWG parser normalises it, fetch's default
 * headers (after the caller's), `content-length: 0` on a bodyless POST, PUT or PATCH, keep-alive. What the
 * caller gets is what fetch gave: redirects followed, gzip and deflate undone, the text decoded as UTF-8 without
 * a byte-order mark, the headers as a `Headers`.
 */
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { inflateSync, gunzipSync } from 'node:zlib';

export interface TextReply {
  status: number;
  headers: Headers;
  text: string;
}

export interface HttpClient {
  send(method: string, url: string, init?: { headers?: Record<string, string>; body?: string }): Promise<TextReply>;
  close(): void;
}

/** fetch's own request headers, added after the caller's when the caller did not set them. */
const FETCH_DEFAULTS: [string, string][] = [
  ['accept', '*/*'],
  ['accept-language', '*'],
  ['sec-fetch-mode', 'cors'],
  ['user-agent', 'node'],
  ['accept-encoding', 'gzip, deflate'],
];
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function createHttpClient(): HttpClient {
  // An idle socket is closed after 4 s, before Node's server closes it at 5 s (its Keep-Alive hint): a request
  // never goes out on a socket the server is closing, so a reset is always the server's answer (a fault's).
  // (The agent applies the server's hint only when it has a timeout of its own.) An active request is not timed.
  const agent = new Agent({ keepAlive: true, timeout: 4_000 });

  function once(method: string, url: URL, headers: Record<string, string>, body: string | undefined): Promise<{ res: IncomingMessage; bytes: Buffer }> {
    return new Promise((resolve, reject) => {
      const sent: Record<string, string> = { ...headers };
      const names = new Set(Object.keys(sent).map((name) => name.toLowerCase()));
      for (const [name, value] of FETCH_DEFAULTS) if (!names.has(name)) sent[name] = value;
      if (body !== undefined) sent['content-length'] = String(Buffer.byteLength(body));
      else if (method === 'POST' || method === 'PUT' || method === 'PATCH') sent['content-length'] = '0';
      const req = httpRequest({ agent, host: url.hostname, port: url.port, method, path: `${url.pathname}${url.search}`, headers: sent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ res, bytes: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  return {
    async send(method, href, init = {}) {
      let url = new URL(href);
      let current = method.toUpperCase();
      let body = init.body;
      let headers = init.headers ?? {};
      for (let hops = 0; ; hops += 1) {
        const { res, bytes } = await once(current, url, headers, body);
        const location = res.headers.location;
        if (REDIRECTS.has(res.statusCode!) && location && hops < 20) {
          // fetch's redirect rules: 303, and 301/302 after a POST, go on as a bodyless GET.
          if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && current === 'POST')) {
            current = current === 'HEAD' ? 'HEAD' : 'GET';
            body = undefined;
            headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !/^content-/i.test(name)));
          }
          url = new URL(location, url);
          continue;
        }
        const replyHeaders = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) replyHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        const encoding = res.headers['content-encoding'];
        const decoded = encoding === 'gzip' || encoding === 'x-gzip' ? gunzipSync(bytes) : encoding === 'deflate' ? inflateSync(bytes) : bytes;
        const text = decoded.toString('utf8');
        return { status: res.statusCode!, headers: replyHeaders, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
      }
    },
    close: () => agent.destroy(),
  };
}
