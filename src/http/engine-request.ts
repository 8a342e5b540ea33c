import type { Request } from 'express';
import type { DomainError } from '../domain/errors.ts';
import type { EngineRequest } from '../engine/dispatch.ts';

/**
 * A request as the HTTP adapter hands it to the engine. Only a page's next link reads `url`, and parsing and
 * writing out a URL for every request was among the costliest things the adapter did for a small answer, so
 * it is worked out when first read.
 *
 * Why a class and not an object literal with `get url()`: with the literal, each request's whole graph (Node's
 * IncomingMessage, its headers, the answer) lived through scavenges and was promoted to the old generation,
 * about 3.4 KB a request (scavenges of 10–15 ms under load, a p99 three to ten times bare `node:http`'s); the
 * same code without the getter promoted none (measured by bisection, see BENCHMARKS.md, "Latency tail"). Each
 * literal gets an accessor pair of its own, pointing at the getter's closure and so at the request, and these
 * evidently outlived the scavenges; on the prototype there is one pair for every request.
 */
export class HttpEngineRequest implements EngineRequest {
  readonly method: string;
  readonly target: string;
  readonly query: Record<string, unknown>;
  readonly path: Record<string, string>;
  readonly headers: Request['headers'];
  readonly streamable = true;
  readonly #req: Request;
  #url: string | undefined | null = null;

  constructor(req: Request, readonly body: unknown, readonly bodyError: DomainError | undefined) {
    this.#req = req;
    this.method = req.method;
    this.target = req.path;
    this.query = req.query as Record<string, unknown>;
    this.path = req.params as Record<string, string>;
    this.headers = req.headers;
  }

  get url(): string | undefined {
    if (this.#url === null) this.#url = absoluteUrl(this.#req);
    return this.#url;
  }

  /** The same request with another body (a spread would drop `url`, which lives on the prototype). */
  withBody(body: unknown, bodyError: DomainError | undefined = this.bodyError): HttpEngineRequest {
    return new HttpEngineRequest(this.#req, body, bodyError);
  }
}

/** The absolute URL of the request, for the next-page link; a Host header that makes no URL falls back to localhost. */
function absoluteUrl(req: Request): string | undefined {
  // A poller or a storefront asks the same URL again and again: parsing and writing out a URL is kept per text.
  const key = `${req.protocol}\n${req.get('host') ?? ''}\n${req.originalUrl}`;
  if (absoluteUrls.has(key)) return absoluteUrls.get(key);
  const url = makeAbsoluteUrl(req);
  if (absoluteUrls.size >= KEPT_URLS) absoluteUrls.clear();
  absoluteUrls.set(key, url);
  return url;
}

const absoluteUrls = new Map<string, string | undefined>();
const KEPT_URLS = 256;

function makeAbsoluteUrl(req: Request): string | undefined {
  for (const host of [req.get('host'), 'localhost']) {
    try {
      return new URL(req.originalUrl, `${req.protocol}://${host || 'localhost'}`).toString();
    } catch {
      // try the next
    }
  }
  return undefined;
}
