import { maxHeaderSize, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorEnvelope } from '../engine/answer.ts';

interface Refusal {
  status: number;
  reason: string;
  code: string;
  message: string;
  field: string;
  problem: string;
}

/** Node's own status for each refusal it makes before routing, with the envelope's code and the part to blame. */
function refusalFor(error: NodeJS.ErrnoException): Refusal {
  const limit = `${Math.round(maxHeaderSize / 1024)} KiB`;
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, reason: 'Request Header Fields Too Large', code: 'REQUEST_TOO_LARGE', message: `The request line and headers exceed ${limit}.`, field: 'headers', problem: `the URL and headers together exceed ${limit}` };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout', code: 'REQUEST_TIMEOUT', message: 'The request did not arrive in time.', field: 'request', problem: 'did not arrive in time' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, reason: 'Payload Too Large', code: 'BODY_TOO_LARGE', message: 'The chunk extensions of the body are too large.', field: 'body', problem: 'chunk extensions are too large' };
    default:
      return { status: 400, reason: 'Bad Request', code: 'MALFORMED_REQUEST', message: 'The request is not valid HTTP/1.1.', field: 'request', problem: 'is not valid HTTP/1.1' };
  }
}

/**
 * Requests Node refuses before Express sees them (headers or URL over Node's header limit, unparsable HTTP,
 * a request too slow to arrive) would otherwise get Node's bare status line; this gives them the same status
 * Node would send, with the error envelope every other 4xx carries. `listen()` and the CLI install it; a
 * server of your own that mounts the app can too.
 */
export function answerTransportErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex & { _httpMessage?: { headersSent?: boolean } }) => {
    // As Node's default handler does: nothing to say on a dead socket or over a response already under way.
    if (error.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const refusal = refusalFor(error);
    const body = JSON.stringify(errorEnvelope(refusal.code, refusal.message, [{ field: refusal.field, problem: refusal.problem }]));
    socket.end(
      `HTTP/1.1 ${refusal.status} ${refusal.reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
