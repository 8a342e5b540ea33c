import { defineScenario } from '../src/engine/scenario.ts';

export const refundWindow = defineScenario({
  name: 'refund-window',
  summary: 'Exported orders in every refund position: fulfilled, one partly refunded by line, one with shipping refunded, one appeased, and untouched ones ready for POST /refund.',
  build(b) {
    b.daysBefore(50);
    const item = b.product({ sizes: ['S', 'M'] });
    b.waitlist(item, 30);
    b.daysBefore(45);
    const orders = item.variants.flatMap((variant) =>
      [1, 2, 3].map(() => {
        const order = b.placeFor(b.shopper(), [{ variant_id: variant.id, quantity: 2 }]);
        b.minutes(240);
        return order;
      }));
    b.daysBefore(20);
    for (const variant of item.variants) b.inventory(variant.sku, 6);
    b.daysBefore(15);
    for (const fo of b.store.data.fulfillment_orders.slice(0, 4)) b.fulfilAll(fo.id);
    b.daysBefore(7);
    const [first, second, third] = orders.map((o) => o.line_items[0]!);
    b.refund({ id: 'seed-refund-1', order: first!.external_order_id!, line_items: [{ id: first!.external_line_item_id!, quantity: 1 }] });
    b.refund({ id: 'seed-refund-2', order: second!.external_order_id!, shipping: true });
    b.refund({ id: 'seed-refund-3', order: third!.external_order_id!, amount: '5.00', currency: 'USD' });
  },
});
