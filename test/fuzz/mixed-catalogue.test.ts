/**
 * Spec-driven fuzzing, in-process through `dispatchRaw`, on the mixed-catalogue scenario.
 * Every operation of both specs at its default weight, 60% of the requests mutated.
 * The suite itself: scenario-suite.ts.
 */
import { fuzzSuite } from './scenario-suite.ts';

fuzzSuite('mixed-catalogue', 'the mixed-catalogue scenario', {
  scenario: 'mixed-catalogue',
  mutatedShare: 0.6,
});
