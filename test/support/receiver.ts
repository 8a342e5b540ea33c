/**
 * A webhook receiver that is down without giving up its port. Closing a receiver and listening on its port
 * again later races every other process's listen(0) for that port: on a loaded machine another test worker
 * can take it in between (EADDRINUSE, or attempts answered by someone else's server). This one stays bound
 * and, while down, destroys each connection as it arrives, before reading a byte of the request: the attempt
 * fails with no status and ECONNRESET (the connection was reset, where a closed port refuses it).
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Received, Receiver } from '../webhooks/receiver.ts';

export interface DownReceiver {
  /** The URL to subscribe; the same once the receiver is up. */
  url: string;
  /**
   * Answers from now on, as `startReceiver` does: `answer` decides each status from the request number
   * (1-based, counted from here), 200 by default.
   */
  up(answer?: (n: number, request: Omit<Received, 'status'>) => number): Receiver;
  close(): Promise<void>;
}

/** What the delivery log says of an attempt on a down receiver: the receiver dropped the connection. */
export const DROPPED = /ECONNRESET|EPIPE/;

export async function startDownReceiver(): Promise<DownReceiver> {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let answer: ((n: number, request: Omit<Received, 'status'>) => number) | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      const request = { method: req.method ?? '', path: req.url ?? '', headers, rawBody, body: JSON.parse(rawBody.toString('utf8')) };
      const status = answer!(received.length + 1, request);
      received.push({ ...request, status });
      res.writeHead(status).end();
      for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve();
    });
  });
  // Runs after node:http's own listener has taken the socket, and before any of its data is read.
  server.on('connection', (socket) => {
    if (!answer) socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const close = (): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
  return {
    url,
    up(given = () => 200) {
      answer = given;
      return {
        url,
        received,
        waitFor: (count) => new Promise((resolve) => {
          if (received.length >= count) return resolve(received);
          waiters.push({ count, resolve: () => resolve(received) });
        }),
        close,
      };
    },
    close,
  };
}
