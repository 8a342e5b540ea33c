import { defineScenario } from '../src/engine/scenario.ts';

export const readyToFulfil = defineScenario({
  name: 'ready-to-fulfil',
  summary: 'Stock covered every pre-order: all lines are exported and each pre-order has an UNFULFILLED fulfillment order waiting for POST /fulfillment.',
  build(b) {
    b.daysBefore(40);
    const item = b.product();
    b.waitlist(item, 20);
    b.daysBefore(30);
    b.preOrders(10, item.variants, { spacing: 500 });
    b.daysBefore(3);
    for (const variant of item.variants) b.inventory(variant.sku, 20);
  },
});
