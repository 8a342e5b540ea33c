/**
 * A real HTTP receiver for webhook tests (node:http, raw body kept), and an independent judge of webhook
 * bodies: the Purple Dot spec's `webhooks` schemas compiled with an Ajv of its own.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export interface Received {
  method: string;
  path: string;
  /** Header names lower-cased, as Node gives them. */
  headers: Record<string, string>;
  rawBody: Buffer;
  body: any;
  /** The status the receiver answered. */
  status: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Resolves once `count` requests have been received in all. */
  waitFor(count: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** Decides each status from the request number (1-based, counted from the first answered) and the request. */
export type Answer = (n: number, request: Omit<Received, 'status'>) => number;

/**
 * A receiver on a port of its own, answering as `answering()` says at the moment a connection comes: while it
 * gives none, the connection is destroyed before a byte of the request is read (the sender sees it reset).
 */
export async function listenForHooks(answering: () => Answer | undefined): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      const request = { method: req.method ?? '', path: req.url ?? '', headers, rawBody, body: JSON.parse(rawBody.toString('utf8')) };
      const status = answering()!(received.length + 1, request);
      received.push({ ...request, status });
      res.writeHead(status).end();
      for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve();
    });
  });
  // Runs after node:http's own listener has taken the socket, and before any of its data is read.
  server.on('connection', (socket) => {
    if (!answering()) socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/hooks`,
    received,
    waitFor: (count) => new Promise((resolve) => {
      if (received.length >= count) return resolve(received);
      waiters.push({ count, resolve: () => resolve(received) });
    }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A receiver that answers every request; `answer` decides each status, 200 by default. */
export function startReceiver(answer: Answer = () => 200): Promise<Receiver> {
  return listenForHooks(() => answer);
}

const SPEC_ID = 'https://webhook.test/spec/purple-dot.openapi.yaml';
const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true, allowUnionTypes: true });
addFormats(ajv);
ajv.addSchema(parse(readFileSync(new URL('../../spec/purple-dot.openapi.yaml', import.meta.url), 'utf8')), SPEC_ID);
const validators = new Map<string, ValidateFunction>();

/** Problems of a webhook body against the schema the spec's `webhooks` section gives it; empty when it conforms. */
export function webhookBodyProblems(webhook: 'waitlistStock' | 'preOrderEvent', body: unknown): string[] {
  let validate = validators.get(webhook);
  if (!validate) {
    validate = ajv.compile({ $ref: `${SPEC_ID}#/webhooks/${webhook}/post/requestBody/content/application~1json/schema` });
    validators.set(webhook, validate);
  }
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${webhook}: ${e.instancePath || '(root)'} ${e.message}`);
}
