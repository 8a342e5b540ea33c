import type { Request } from 'express';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';

/** A refusal of the body, shaped as body-parser's errors are, so `bodyRefusal` words both the same way. */
class BodyReadError extends Error {
  constructor(message: string, readonly status: number, readonly type: string, readonly limit?: number) {
    super(message);
  }
}

/** The decoded body as it arrived, in chunks, and its length (a class: no parsed JSON body can pass for one). */
export class BodyChunks {
  constructor(readonly chunks: Buffer[], readonly length: number) {}
}

const decoders: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * Reads a request body (gzip, deflate or br undone, at most `limit` bytes after decoding) without joining it
 * into one buffer. A snapshot is 150 MB: one `Buffer.concat` of it held the event loop for most of a second
 * here (a fresh 150 MB allocation faults in every page at once); the chunks are joined later, a few
 * megabytes per step (see snapshot-import.ts). Refusals reject with body-parser's error types.
 */
export function readBodyChunks(req: Request, limit: number): Promise<BodyChunks> {
  return new Promise((resolve, reject) => {
    const encoding = (req.get('content-encoding') ?? 'identity').toLowerCase();
    const declared = Number(req.get('content-length'));
    const tooLarge = (): BodyReadError => new BodyReadError('request entity too large', 413, 'entity.too.large', limit);
    // The rest of a refused body is read and dropped, so the refusal reaches a client still sending it.
    const refuse = (error: BodyReadError): void => {
      req.unpipe();
      req.resume();
      reject(error);
    };
    if (encoding === 'identity' && declared > limit) return refuse(tooLarge());
    let stream: Readable = req;
    if (encoding !== 'identity') {
      const decoder = decoders[encoding];
      if (!decoder) return refuse(new BodyReadError(`content encoding "${encoding}" is unsupported`, 415, 'encoding.unsupported'));
      const decoding = decoder();
      decoding.on('error', () => refuse(new BodyReadError('the body cannot be decoded', 400, 'encoding.failed')));
      stream = req.pipe(decoding) as unknown as Readable;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    let done = false;
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > limit) {
        done = true;
        stream.off('data', onData);
        if (stream !== req) (stream as unknown as { destroy(): void }).destroy();
        return refuse(tooLarge());
      }
      chunks.push(chunk);
    };
    stream.on('data', onData);
    stream.once('end', () => {
      if (done) return;
      done = true;
      resolve(new BodyChunks(chunks, length));
    });
    req.once('aborted', () => {
      if (!done) reject(new BodyReadError('request aborted', 400, 'request.aborted'));
      done = true;
    });
  });
}
