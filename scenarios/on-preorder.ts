import { defineScenario } from '../src/engine/scenario.ts';

export const onPreorder = defineScenario({
  name: 'on-preorder',
  summary: 'Three products on LIVE waitlists with units left and no own stock: every variant is ON_PREORDER; 24 pre-orders, two cancelled, none exported.',
  build(b) {
    b.daysBefore(40);
    const items = [b.product(), b.product(), b.product({ sizes: ['One Size'] })];
    for (const item of items) b.waitlist(item, 40, { labels: ['launch'] });
    b.daysBefore(30);
    const placed = b.preOrders(24, items.flatMap((i) => i.variants), { spacing: 23 * 60 });
    b.cancel(placed[3]!);
    b.cancel(placed[11]!, 'MERCHANT');
  },
});
