import { closeSync, fsyncSync, openSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Parts under this size (a change's line) are joined, up to a megabyte per write; a larger one (a piece of a
 * large line) is written as it is: joining megabyte pieces copied a 137 MB line into fresh buffers, most of a
 * second in the turn that started the write.
 */
const SMALL_PART_BYTES = 64 * 1024;
const JOINED_WRITE_BYTES = 1024 * 1024;

/**
 * Writes the parts in order: small ones joined (one write for a batch of lines), large ones without a copy.
 * At `position` and on from there when given (a file opened for writing, not appending: Linux ignores the
 * position of a file opened with O_APPEND), else at the file's end. Resolves with the bytes written.
 */
export async function writeParts(file: FileHandle, parts: readonly Uint8Array[], position?: number): Promise<number> {
  const writes: Uint8Array[] = [];
  let small: Uint8Array[] = [];
  let smallBytes = 0;
  const joinSmall = (): void => {
    if (small.length > 0) writes.push(small.length === 1 ? small[0]! : Buffer.concat(small, smallBytes));
    small = [];
    smallBytes = 0;
  };
  for (const part of parts) {
    if (part.length >= SMALL_PART_BYTES) {
      joinSmall();
      writes.push(part);
    } else if (part.length > 0) {
      small.push(part);
      smallBytes += part.length;
      if (smallBytes >= JOINED_WRITE_BYTES) joinSmall();
    }
  }
  joinSmall();
  let written = 0;
  for (const bytes of writes) {
    for (let at = 0; at < bytes.length;) {
      const { bytesWritten } = await file.write(bytes, at, bytes.length - at, position === undefined ? null : position + written);
      at += bytesWritten;
      written += bytesWritten;
    }
  }
  return written;
}

/** Makes a file's rename (or creation) durable: the directory entry is data too. */
export function syncDirectory(path: string): void {
  try {
    const fd = openSync(dirname(path), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename is then as durable as they make it.
  }
}
