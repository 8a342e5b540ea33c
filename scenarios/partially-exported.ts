import { defineScenario } from '../src/engine/scenario.ts';

export const partiallyExported = defineScenario({
  name: 'partially-exported',
  summary: 'Stock arrived for part of the demand: the oldest pre-orders of two SKUs are exported (UNFULFILLED fulfillment orders), the newer ones stay open, and one order is split across two exports (/1, /2).',
  build(b) {
    b.daysBefore(40);
    const item = b.product({ sizes: ['S', 'M'] });
    b.waitlist(item, 30);
    const [small, medium] = item.variants;
    b.daysBefore(35);
    b.placeFor(b.shopper(), [{ variant_id: small!.id, quantity: 1 }, { variant_id: medium!.id, quantity: 1 }]);
    b.minutes(60);
    b.preOrders(12, item.variants, { spacing: 600, maxQuantity: 1 });
    b.daysBefore(10);
    b.inventory(small!.sku, 4);
    b.daysBefore(5);
    b.inventory(medium!.sku, 3);
  },
});
