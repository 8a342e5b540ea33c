import { defineScenario } from '../src/engine/scenario.ts';

export const soldOut = defineScenario({
  name: 'sold-out',
  summary: 'Two products whose LIVE waitlists are fully committed with no own stock (SOLD_OUT), one product without a waitlist (NO_OPEN_WAITLISTS), and a per-product waitlist whose 5 shared units S took 3 of and M 2, so all three variants, L too, are SOLD_OUT.',
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
    // Added last, so the data above is as it always was: units shared by the product (variant buy_size null)
    // run out through S and M, which sells out L, none of whose own units were ever sold.
    const shared = b.product();
    b.sharedWaitlist(shared, 5);
    b.placeFor(b.shopper(), [{ variant_id: shared.variants[0]!.id, quantity: 3 }]);
    b.minutes(90);
    b.placeFor(b.shopper(), [{ variant_id: shared.variants[1]!.id, quantity: 2 }]);
  },
});
