import { DomainError, malformedJson } from '../domain/errors.ts';
import type { Steps } from '../domain/steps.ts';
import { MAX_SNAPSHOT_DEPTH, tooDeepProblem } from './integrity.ts';
import { JsonTextError, ownValue, parseJsonInPieces, setOwnValue, type JsonPath } from './json-pieces.ts';
import { loadSpecs, type SpecOperation } from './spec.ts';
import type { HostedStore, PreparedRestore, Snapshot } from './store.ts';
import { arrayItemProblems, bodyProblems, bodyRefusal } from './validate.ts';
import { withSourceJson } from './source-json.ts';

const STORE_SNAPSHOT = '#/components/schemas/StoreSnapshot';

let storeLists: ReadonlySet<string> | undefined;

/** The lists of a store's snapshot, as the spec declares them (`pre_orders`, …). */
function listsOfStore(): ReadonlySet<string> {
  type Schemas = Record<string, { properties?: Record<string, { type?: unknown }> }>;
  const schemas = (loadSpecs().simulator.components as { schemas?: Schemas } | undefined)?.schemas;
  storeLists ??= new Set(Object.entries(schemas?.StoreSnapshot?.properties ?? {}).filter(([, schema]) => schema.type === 'array').map(([key]) => key));
  return storeLists;
}

/**
 * The arrays of a snapshot read in batches: a store's lists (`stores.<id>.pre_orders`) and each SKU's unit
 * history (`stores.<id>.unit_history.<sku>`). The schema that validates each batch, or null for a list the
 * spec does not name (the whole body's validation refuses that key); undefined for every other array.
 */
function listSchema(path: JsonPath): string | null | undefined {
  if (path[0] !== 'stores') return undefined;
  if (path.length === 3) return listsOfStore().has(path[2]!) ? `${STORE_SNAPSHOT}/properties/${path[2]}` : null;
  if (path.length === 4 && path[2] === 'unit_history') return `${STORE_SNAPSHOT}/properties/unit_history/additionalProperties`;
  return undefined;
}

/** Calls `fn` with the batched lists of `body` set aside (empty arrays in their place), and puts them back. */
function withListsAside<T>(body: unknown, fn: () => T): T {
  const aside: [object, string, unknown[]][] = [];
  const setAside = (holder: object, key: string, path: JsonPath): void => {
    const value = ownValue(holder, key);
    if (Array.isArray(value) && listSchema(path) !== undefined) {
      aside.push([holder, key, value]);
      setOwnValue(holder, key, []);
    }
  };
  const stores = ownValue(body, 'stores');
  if (stores !== null && typeof stores === 'object') {
    for (const id of Object.keys(stores)) {
      const store = ownValue(stores, id);
      if (store === null || typeof store !== 'object') continue;
      for (const key of Object.keys(store)) setAside(store, key, ['stores', id, key]);
      const history = ownValue(store, 'unit_history');
      if (history !== null && typeof history === 'object' && !Array.isArray(history)) {
        for (const sku of Object.keys(history)) setAside(history, sku, ['stores', id, 'unit_history', sku]);
      }
    }
  }
  try {
    return fn();
  } finally {
    for (const [holder, key, value] of aside) setOwnValue(holder, key, value);
  }
}

/** Bytes copied per step when joining a body's chunks (a step stays around a millisecond). */
const JOIN_BYTES_PER_STEP = 4 * 1024 * 1024;

/**
 * A body's chunks as one buffer, copied a few megabytes per step: a fresh 150 MB buffer has its pages faulted in
 * as it is written, which in one go held the event loop for most of a second.
 */
function* joinInSteps(chunks: readonly Uint8Array[]): Steps<Buffer> {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const joined = Buffer.allocUnsafe(length);
  let at = 0;
  let sinceStep = 0;
  for (const chunk of chunks) {
    joined.set(chunk, at);
    at += chunk.length;
    sinceStep += chunk.length;
    if (sinceStep >= JOIN_BYTES_PER_STEP) {
      sinceStep = 0;
      yield;
    }
  }
  return joined;
}

/**
 * A snapshot import's body, from its JSON text to a state ready to install, in steps of a few milliseconds:
 * parsed in batches (see json-pieces.ts), each batch of a list validated against its items' schema as it is
 * read, the rest of the body validated whole with the lists set aside, then indexed and checked by the store.
 * Refuses as the whole-body path does: MALFORMED_JSON for text that is not JSON, the operation's
 * INVALID_SNAPSHOT naming the field for a schema violation, or naming `stores` for a value nested too deep;
 * a snapshot that is valid JSON and valid to the schema but contradicts itself comes back prepared with its
 * failure, which `restore` then refuses.
 */
export function* prepareSnapshotImport(store: HostedStore, operation: SpecOperation, given: Uint8Array | readonly Uint8Array[]): Steps<PreparedRestore> {
  const bytes = given instanceof Uint8Array ? given : yield* joinInSteps(given);
  let body: unknown;
  try {
    body = yield* parseJsonInPieces(bytes, {
      split: (path) => listSchema(path) !== undefined,
      // The root and the key's own value come before the levels a store's data may nest.
      maxDepth: MAX_SNAPSHOT_DEPTH + 2,
      onItems(path, start, items) {
        const pointer = listSchema(path);
        if (!pointer) return;
        const problems = arrayItemProblems(pointer, items, path, start);
        if (problems.length > 0) throw bodyRefusal(operation, problems);
      },
    });
  } catch (error) {
    if (!(error instanceof JsonTextError)) throw error;
    if (error.kind === 'malformed') throw malformedJson();
    const why = tooDeepProblem(error.path || 'body');
    throw new DomainError('invalid', 'INVALID_SNAPSHOT', `the snapshot cannot be loaded: ${why}`, [{ field: 'stores', problem: why }]);
  }
  yield;
  const problems = withListsAside(body, () => bodyProblems(operation, body));
  if (problems.length > 0) throw bodyRefusal(operation, problems);
  yield;
  // The state file writes the import's record from these bytes, which do not change, rather than from the
  // parsed objects, which the store keeps and changes in place from its next operation on (see source-json.ts).
  return withSourceJson(yield* store.prepareRestore(body as Snapshot, { copied: false, nestingChecked: true }), bytes);
}
