import type { Server, ServerResponse } from 'node:http';
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

/**
 * Watches a server's connections and requests, so that closing can stop accepting, let the requests under
 * way finish (bounded), and only then cut what is left; and, beyond `maxConnections`, answers a new
 * connection 503 in the envelope rather than dropping it unanswered.
 */
export function guardServer(server: Server, maxConnections = Infinity): ServerGuard {
  const sockets = new Set<Socket>();
  const underWay = new Set<ServerResponse>();
  let closing = false;
  let settled: (() => void) | undefined;
  server.on('connection', (socket: Socket) => {
    if (sockets.size >= maxConnections) {
      const body = JSON.stringify(errorEnvelope('TOO_MANY_CONNECTIONS', `The simulator serves at most ${maxConnections} connections at once; retry shortly.`, [
        { field: 'connection', problem: `over the limit of ${maxConnections}` },
      ]));
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // One listener for every response ('close' comes once per response): no closure and no once-wrapper per request.
  function finished(this: ServerResponse): void {
    underWay.delete(this);
    if (closing) {
      server.closeIdleConnections();
      if (underWay.size === 0) settled?.();
    }
  }
  server.on('request', (_req, res: ServerResponse) => {
    underWay.add(res);
    if (closing) res.setHeader('Connection', 'close');
    res.on('close', finished);
  });
  return {
    close({ graceMs = 0 } = {}) {
      closing = true;
      const stopped = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      server.closeIdleConnections();
      for (const res of underWay) if (!res.headersSent) res.setHeader('Connection', 'close');
      const drained = underWay.size === 0 || graceMs <= 0
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
