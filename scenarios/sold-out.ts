import { defineScenario } from '../src/engine/scenario.ts';

export const soldOut = defineScenario({
  name: 'sold-out',
  summary: 'Two products whose LIVE waitlists are fully committed with no own stock (SOLD_OUT), plus one product without a waitlist (NO_OPEN_WAITLISTS).',
  build(b) {
    b.daysBefore(40);
    const items = [b.product({ sizes: ['S', 'M'] }), b.product({ sizes: ['One Size'] })];
    for (const item of items) b.waitlist(item, 4);
    b.product({ sizes: ['One Size'] });
    b.daysBefore(30);
    for (const item of items) {
      for (const variant of item.variants) {
        b.placeFor(b.shopper(), [{ variant_id: variant.id, quantity: 3 }]);
        b.minutes(90);
        b.placeFor(b.shopper(), [{ variant_id: variant.id, quantity: 1 }]);
        b.minutes(90);
      }
    }
  },
});
