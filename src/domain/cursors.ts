import { createHmac, timingSafeEqual } from 'node:crypto';
import type { StoreState } from './store.ts';

/**
 * Cursors for lists in update order. A pre-order that changes after it was served moves to the end of that
 * order, so its ID no longer says where the page stopped; the cursor carries the position itself (the
 * update seq of the page's last entry), signed with a key of the store and bound to the time range, so the
 * server keeps nothing per walker and a forged, altered or foreign cursor is recognised. It is shaped as a
 * UUID (version 8), because the spec and every client treat `starting_after` as one; pre-order IDs are
 * version 4, so the two never collide.
 */

const SEQ_BYTES = 6;

function keyOf(state: StoreState): string {
  // The store's own secret: a cursor survives a restart from the state file, and is foreign to any other store.
  return `purple-dot-sim cursor\u0000${state.data.settings.private_access_token}`;
}

function cursorBytes(state: StoreState, seq: number, fromMs: number, toMs: number): Buffer {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(seq, 0, SEQ_BYTES);
  createHmac('sha256', keyOf(state)).update(`${seq}|${fromMs}|${toMs}`).digest().copy(bytes, SEQ_BYTES, 0, 16 - SEQ_BYTES);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return bytes;
}

const asUuid = (hex: string): string => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

/** The cursor after the entry with update seq `seq` of the update-order list over `[fromMs, toMs]`. */
export function updateCursor(state: StoreState, seq: number, fromMs: number, toMs: number): string {
  return asUuid(cursorBytes(state, seq, fromMs, toMs).toString('hex'));
}

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The update seq a cursor of this store and range stands for; undefined when it is not one. */
export function readUpdateCursor(state: StoreState, cursor: string, fromMs: number, toMs: number): number | undefined {
  if (!UUID_V8.test(cursor)) return undefined;
  const given = Buffer.from(cursor.replaceAll('-', ''), 'hex');
  const seq = given.readUIntBE(0, SEQ_BYTES);
  return timingSafeEqual(given, cursorBytes(state, seq, fromMs, toMs)) ? seq : undefined;
}
