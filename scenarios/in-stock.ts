import { defineScenario } from '../src/engine/scenario.ts';

export const inStock = defineScenario({
  name: 'in-stock',
  summary: 'Two products with own stock on hand while their waitlists stay LIVE; the store watches inventory, so every variant is AVAILABLE_IN_STOCK.',
  build(b) {
    b.daysBefore(40);
    const items = [b.product({ ownStock: 25 }), b.product({ ownStock: 8, sizes: ['One Size'] })];
    for (const item of items) b.waitlist(item, 30);
    b.daysBefore(35);
    b.preOrders(6, items.flatMap((i) => i.variants), { spacing: 12 * 60 });
  },
});
