/**
 * Long work written as a generator that yields wherever it may be paused: run to its end in one go
 * (`runSteps`), or a few milliseconds at a time by an adapter that lets other requests in between.
 */
export type Steps<T> = Generator<void, T>;

/** Runs work to its end and returns its result. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** Items handled between pauses: well under a millisecond of indexing or checking. */
export const ITEMS_PER_STEP = 1000;
