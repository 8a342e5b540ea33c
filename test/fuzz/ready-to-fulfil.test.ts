/**
 * Spec-driven fuzzing, in-process through `dispatchRaw`, on the ready-to-fulfil scenario, weighted to fulfilment.
 * Every operation of both specs, with fulfilment orders, fulfilments, refunds and voids drawn three times as often: the private API's writes on exported orders.
 * The suite itself: scenario-suite.ts.
 */
import { fuzzSuite } from './scenario-suite.ts';

fuzzSuite('ready-to-fulfil', 'the ready-to-fulfil scenario, weighted to fulfilment', {
  scenario: 'ready-to-fulfil',
  mutatedShare: 0.5,
  // Stores made and deleted a little more often than by default: among the many control operations, a deletion
  // must still find a store made earlier in its sequence.
  weights: { createFulfillment: 30, createRefund: 30, getFulfillmentOrder: 20, listFulfillmentOrders: 20, voidFulfillmentOrder: 10, voidFulfillmentOrderInStore: 4, runExports: 10, createStore: 4, deleteStore: 4 },
});
