import { ScenarioBuilder } from './builder.ts';
import type { Scenario } from './types.ts';

export const pausedWaitlist: Scenario = {
  name: 'paused-waitlist',
  summary: 'A waitlist PAUSED after 8 pre-orders: the product shows NO_OPEN_WAITLISTS, placements are refused with WAITLIST_NOT_LIVE until it is made LIVE again.',
  build(seed) {
    const b = new ScenarioBuilder(seed);
    b.daysBefore(30);
    const item = b.product();
    const waitlist = b.waitlist(item, 25);
    b.daysBefore(25);
    b.preOrders(8, item.variants, { spacing: 300 });
    b.daysBefore(5);
    b.moveWaitlist(waitlist, 'PAUSED');
    return b.done();
  },
};
