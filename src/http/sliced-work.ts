import type { Steps } from '../domain/steps.ts';

/** How long work in steps may hold the event loop before other requests get a turn. */
const SLICE_MS = 5;

/**
 * Runs work written in steps (see domain/steps.ts) a few milliseconds at a time, letting the event loop turn
 * in between, so a long import keeps other stores answering. Stops without a result when `abandoned()` says
 * the client has gone; otherwise hands `done` the result or what the work threw.
 */
export function runInSlices<T>(steps: Steps<T>, abandoned: () => boolean, done: (outcome: { value: T } | { error: unknown }) => void): void {
  const slice = (): void => {
    if (abandoned()) {
      steps.return(undefined as never);
      return;
    }
    const until = performance.now() + SLICE_MS;
    let outcome: { value: T } | { error: unknown } | undefined;
    try {
      for (;;) {
        const next = steps.next();
        if (next.done) {
          outcome = { value: next.value };
          break;
        }
        if (performance.now() >= until) break;
      }
    } catch (error) {
      outcome = { error };
    }
    if (outcome) done(outcome);
    else setImmediate(slice);
  };
  slice();
}
