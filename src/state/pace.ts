/**
 * Long work done in slices: `await pace()` between two small steps lets the event loop turn (timers, sockets,
 * other requests) once `sliceMs` have gone by since it last did. The work queue of src/http answers requests
 * in slices of 5 ms; the state file's own work takes slices of the same order, so neither starves the other.
 */
export function pacer(sliceMs = 8): () => Promise<void> {
  let until = performance.now() + sliceMs;
  return async () => {
    if (performance.now() < until) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    until = performance.now() + sliceMs;
  };
}

/** Runs a generator's steps to the end, pausing as `pace` says between them; resolves with what it returns. */
export async function runPaced<T>(steps: Generator<unknown, T>, pace: () => Promise<void>): Promise<T> {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    await pace();
  }
}
