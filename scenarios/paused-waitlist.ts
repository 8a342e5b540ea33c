import { defineScenario } from '../src/engine/scenario.ts';

export const pausedWaitlist = defineScenario({
  name: 'paused-waitlist',
  summary: 'A waitlist PAUSED after 8 pre-orders: the product shows NO_OPEN_WAITLISTS, placements are refused with WAITLIST_NOT_LIVE until it is made LIVE again.',
  build(b) {
    b.daysBefore(30);
    const item = b.product();
    const waitlist = b.waitlist(item, 25);
    b.daysBefore(25);
    b.preOrders(8, item.variants, { spacing: 300 });
    b.daysBefore(5);
    b.moveWaitlist(waitlist, 'PAUSED');
  },
});
