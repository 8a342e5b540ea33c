import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errorEnvelope } from '../engine/answer.ts';

export interface CloseOptions {
  /**
   * How long requests under way may take to finish once closing starts (ms). 0, the default for tests, cuts
   * every connection at once; `serve` gives 10 s on SIGTERM and SIGINT.
   */
  graceMs?: number;
}

export interface ServerGuard {
  close(options?: CloseOptions): Promise<void>;
}

/** A connection's place in `open`, the latest response under way on it, and how many are under way on it. */
const SLOT = Symbol('purple-dot-sim: slot among the open connections');
const RESPONSE = Symbol('purple-dot-sim: response under way');
const UNDER_WAY = Symbol('purple-dot-sim: responses under way');
type Tracked = Socket & { [SLOT]?: number; [RESPONSE]?: ServerResponse | undefined; [UNDER_WAY]?: number };

/**
 * Watches a server's connections and requests, so that closing can stop accepting, let the requests under
 * way finish (bounded), and only then cut what is left; and, beyond `maxConnections`, answers a new
 * connection 503 in the envelope rather than dropping it unanswered.
 *
 * Why no Set of responses (or of connections): with one, in a process that had been running a while, each
 * response under way and its request were promoted to the old generation, about 1.3 KB a request under load;
 * without it, as good as none (measured by bisection; see BENCHMARKS.md, "Latency tail", and
 * bench/gc-per-request.ts). The likely mechanism: a Set grows and shrinks into new tables as requests come and
 * go, a table it leaves behind still points at the responses it held, and once the Set is old such a table
 * keeps them alive through scavenges until a full collection. An array whose slots are emptied in place, and
 * properties of the connection, are written in place instead.
 */
export function guardServer(server: Server, maxConnections = Infinity): ServerGuard {
  const open: Tracked[] = [];
  let underWay = 0;
  let closing = false;
  let settled: (() => void) | undefined;
  const settleIfDrained = (): void => {
    if (closing && underWay === 0) settled?.();
  };
  const forget = (socket: Tracked): void => {
    const slot = socket[SLOT]!;
    const last = open.pop()!;
    if (last !== socket) {
      open[slot] = last;
      last[SLOT] = slot;
    }
    socket[RESPONSE] = undefined;
    // A pipelined response still queued when its connection is destroyed never emits 'close': counted off here.
    underWay -= socket[UNDER_WAY] ?? 0;
    socket[UNDER_WAY] = 0;
    settleIfDrained();
  };
  server.on('connection', (socket: Tracked) => {
    if (open.length >= maxConnections) {
      const body = JSON.stringify(errorEnvelope('TOO_MANY_CONNECTIONS', `The simulator serves at most ${maxConnections} connections at once; retry shortly.`, [
        { field: 'connection', problem: `over the limit of ${maxConnections}` },
      ]));
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    socket[SLOT] = open.length;
    open.push(socket);
    socket.once('close', () => forget(socket));
  });
  // One listener for every response ('close' comes once per response): no closure and no once-wrapper per request.
  function finished(this: ServerResponse): void {
    // The response has let go of its connection by now; its request has not.
    const socket = this.req.socket as Tracked;
    if (socket[RESPONSE] === this) socket[RESPONSE] = undefined;
    // Not counted again if its connection's close came first (see forget).
    if ((socket[UNDER_WAY] ?? 0) > 0) {
      socket[UNDER_WAY]! -= 1;
      underWay -= 1;
    }
    if (closing) {
      server.closeIdleConnections();
      settleIfDrained();
    }
  }
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as Tracked;
    underWay += 1;
    socket[UNDER_WAY] = (socket[UNDER_WAY] ?? 0) + 1;
    socket[RESPONSE] = res;
    if (closing) res.setHeader('Connection', 'close');
    res.on('close', finished);
  });
  return {
    close({ graceMs = 0 } = {}) {
      closing = true;
      const stopped = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      server.closeIdleConnections();
      for (const socket of open) {
        const res = socket[RESPONSE];
        if (res && !res.headersSent) res.setHeader('Connection', 'close');
      }
      const drained = underWay === 0 || graceMs <= 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
          settled = resolve;
          setTimeout(resolve, graceMs).unref();
        });
      return drained.then(() => {
        server.closeAllConnections();
        return stopped;
      });
    },
  };
}
