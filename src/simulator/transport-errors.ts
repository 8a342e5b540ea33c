import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Requests Node refuses before Express sees them (headers or URL over Node's 16 KiB limit, unparsable HTTP)
 * would otherwise get Node's bare status line; this gives them the same error envelope as every other 4xx.
 */
export function answerTransportErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const [status, reason] = tooLarge ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
    const body = JSON.stringify({
      meta: { result: 'error' },
      error: tooLarge
        ? { code: 'REQUEST_TOO_LARGE', message: 'The request line and headers exceed 16 KiB.', details: [{ field: 'headers', problem: 'the URL and headers together exceed 16 KiB' }] }
        : { code: 'MALFORMED_REQUEST', message: 'The request is not valid HTTP/1.1.', details: [{ field: 'request', problem: 'is not valid HTTP/1.1' }] },
    });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
