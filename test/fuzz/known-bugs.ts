/**
 * Bugs the fuzzing found in src/, not fixed here (this folder only tests). Each has a pinned counterexample
 * in known-bugs.test.ts, skipped until the bug is fixed, and a predicate that keeps the requests that hit
 * it out of the random runs, so the runs stay green and keep looking for new bugs. When a bug is fixed:
 * un-skip its test, delete its entry here.
 */
import type { Plan } from './requests.ts';

export interface KnownBug {
  name: string;
  /** What goes wrong, precisely enough to fix it. */
  summary: string;
  /** The plans that hit it, kept out of the random runs. */
  hits(plan: Plan): boolean;
}

/** None open today; an entry names the bug, says how to fix it, and keeps its requests out of the random runs. */
export const KNOWN_BUGS: KnownBug[] = [];

/**
 * Whether a plan hits a known bug (and so is left out of a random run). `FUZZ_KNOWN_BUGS=include` sends
 * them all, to see which bugs are still there.
 */
export const hitsKnownBug = (plan: Plan): boolean => process.env.FUZZ_KNOWN_BUGS !== 'include' && KNOWN_BUGS.some((bug) => bug.hits(plan));
