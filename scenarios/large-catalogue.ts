import { defineScenario } from '../src/engine/scenario.ts';

/** The issue asks for 100,000 pre-orders; tests hold the scenario to it. */
export const LARGE_CATALOGUE_ORDERS = 100_000;

export const largeCatalogue = defineScenario({
  name: 'large-catalogue',
  summary: '100,000 pre-orders over 40 products for pagination and scale: mostly open, some cancelled, the oldest units of each first SKU exported.',
  build(b) {
    b.daysBefore(59);
    const items = Array.from({ length: 40 }, () => b.product({ sizes: ['S', 'M', 'L', 'XL'] }));
    for (const item of items) b.waitlist(item, 2_000);
    const variants = items.flatMap((i) => i.variants);
    // A small pool of shoppers keeps faker off the per-order path; 100,000 orders reuse 500 people.
    const shoppers = Array.from({ length: 500 }, () => b.shopper());
    b.daysBefore(58);
    for (let i = 0; i < LARGE_CATALOGUE_ORDERS; i += 1) {
      const order = b.placeFor(shoppers[i % shoppers.length]!, [{ variant_id: variants[(i * 7) % variants.length]!.id, quantity: 1 + (i % 2) }]);
      if (i % 50 === 0) b.cancel(order);
      b.minutes(0.5);
    }
    for (const item of items) b.inventory(item.variants[0]!.sku, 300);
  },
});
