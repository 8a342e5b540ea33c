/**
 * Spec-driven fuzzing, in-process through `dispatchRaw`, on the on-preorder scenario.
 * Every operation of both specs at its default weight (see DEFAULT_WEIGHTS), half the requests mutated.
 * The suite itself: scenario-suite.ts.
 */
import { fuzzSuite } from './scenario-suite.ts';

fuzzSuite('on-preorder', 'the on-preorder scenario', {
  scenario: 'on-preorder',
  mutatedShare: 0.5,
});
