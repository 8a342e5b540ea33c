/**
 * Spec-driven fuzzing, in-process through `dispatchRaw`, on the partially-exported scenario, weighted to refunds, cancellations and inventory.
 * Every operation of both specs, with refunds, cancellations, inventory levels, exports and the clock drawn more often: what moves units between open, cancelled and exported.
 * The suite itself: scenario-suite.ts.
 */
import { fuzzSuite } from './scenario-suite.ts';

fuzzSuite('partially-exported', 'the partially-exported scenario, weighted to refunds, cancellations and inventory', {
  scenario: 'partially-exported',
  mutatedShare: 0.5,
  weights: { createRefund: 30, cancelPreOrder: 20, cancelPreOrderInStore: 6, updateInventory: 25, runExports: 12, advanceClock: 12, countSkuUnits: 15 },
});
