/**
 * The JSON text a value was parsed from, kept beside the value (a WeakMap keyed by the value: nothing to see,
 * copy or serialise, and it goes when the value goes).
 *
 * Why: a snapshot import's log record carries the snapshot as its body, and the store keeps the snapshot's own
 * objects (an import over HTTP does not copy 100,000 pre-orders) and changes them in place from its next
 * operation on. Encoding that body in steps, across turns of the event loop, could then write a later state
 * under the import; encoding it in one turn held the loop for seconds. The bytes the body was parsed from do
 * not change: the state file writes them, in steps, in place of the body's encoding.
 *
 * Whoever attaches bytes promises that they are UTF-8 JSON text that `JSON.parse` accepts, that they are what
 * the value was parsed from (a replay of the log hands the operation this text's value again, and it must do
 * what the value did), and that nobody changes them afterwards.
 */

const sources = new WeakMap<object, Uint8Array>();

/** Records that `value` was parsed from `bytes` (see above); returns `value`. */
export function withSourceJson<T extends object>(value: T, bytes: Uint8Array): T {
  sources.set(value, bytes);
  return value;
}

/** The bytes `value` was parsed from, if they were recorded. */
export function sourceJsonOf(value: unknown): Uint8Array | undefined {
  return value !== null && typeof value === 'object' ? sources.get(value) : undefined;
}
