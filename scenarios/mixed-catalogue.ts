import { REFERENCE_DATE, defineScenario } from '../src/engine/scenario.ts';

export const mixedCatalogue = defineScenario({
  name: 'mixed-catalogue',
  summary: 'Every pre-order state at once: ON_PREORDER, AVAILABLE_IN_STOCK, SOLD_OUT, NO_OPEN_WAITLISTS (no waitlist, DRAFT, PAUSED, CLOSED) and a SCHEDULED launch, with open, cancelled and exported lines; plus a per-product waitlist whose 12 units its three variants share (5 taken).',
  build(b) {
    b.daysBefore(45);
    const onPreorder = b.product();
    const inStock = b.product({ ownStock: 10, sizes: ['One Size'] });
    const soldOut = b.product({ sizes: ['One Size'] });
    b.product({ sizes: ['One Size'] });
    const draft = b.product({ sizes: ['One Size'] });
    const paused = b.product({ sizes: ['One Size'] });
    const closed = b.product({ sizes: ['One Size'] });
    const scheduled = b.product({ sizes: ['One Size'] });
    // Launched on a date, unlike the others that went live without one: both launch_date shapes appear.
    b.waitlist(onPreorder, 50, { launch_date: b.now.toISOString() });
    b.waitlist(inStock, 10);
    b.waitlist(soldOut, 3);
    b.waitlist(draft, 10, { state: 'DRAFT' });
    const pausedWaitlist = b.waitlist(paused, 10);
    const closedWaitlist = b.waitlist(closed, 10);
    b.waitlist(scheduled, 10, { state: 'SCHEDULED', launch_date: new Date(REFERENCE_DATE.getTime() + 5 * 86_400_000).toISOString() });
    b.daysBefore(40);
    b.preOrders(9, onPreorder.variants, { spacing: 400 });
    b.placeFor(b.shopper(), [{ variant_id: soldOut.variants[0]!.id, quantity: 3 }]);
    b.preOrders(2, paused.variants, { spacing: 100 });
    b.preOrders(2, closed.variants, { spacing: 100 });
    b.daysBefore(20);
    b.inventory(onPreorder.variants[0]!.sku, 2);
    b.daysBefore(10);
    b.moveWaitlist(pausedWaitlist, 'PAUSED');
    b.moveWaitlist(closedWaitlist, 'CLOSED');
    // Added last, so everything above keeps the data it always had: a per-product waitlist (variant buy_size
    // null), 12 units shared by S, M and L; 3 + 2 are taken by S and M, so L, with none of its own sold, has 7.
    b.daysBefore(8);
    const shared = b.product();
    b.sharedWaitlist(shared, 12);
    b.placeFor(b.shopper(), [{ variant_id: shared.variants[0]!.id, quantity: 3 }]);
    b.minutes(45);
    b.placeFor(b.shopper(), [{ variant_id: shared.variants[1]!.id, quantity: 2 }]);
  },
});
