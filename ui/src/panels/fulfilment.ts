import type { components as PD } from '../../../generated/purple-dot.ts';
import type { components as Sim } from '../../../generated/simulator.ts';
import { badge, h, table, when } from '../dom.ts';
import { panel } from './section.ts';
import type { Panel } from '../context.ts';

type FulfillmentOrder = PD['schemas']['FulfillmentOrder'];
type Refund = Sim['schemas']['RefundView'];

export function fulfilmentPanel(): Panel {
  return panel('fulfilment', 'Fulfillment orders and refunds', async (ctx) => {
    const [orders, refunds] = await Promise.all([
      ctx.api.admin<{ data: { fulfillment_orders: FulfillmentOrder[]; has_more: boolean } }>('GET', '/fulfillment-orders?limit=50', ctx.store.credentials.private_access_token),
      ctx.api.control<Refund[]>('GET', '/refunds', { storeId: ctx.store.id }),
    ]);
    const list = orders.data.fulfillment_orders;
    return [
      h('h3', {}, 'Fulfillment orders'),
      table('Fulfillment orders', ['Reference', 'Status', 'Email', 'Lines', 'Fulfillments', 'Created'], list.map((fo) => [
        h('code', {}, fo.reference), badge(fo.status), fo.customer.email,
        h('ul', { class: 'plain' }, fo.line_items.map((line) => h('li', {}, h('code', {}, line.sku), ` × ${line.quantity}`))),
        fo.fulfillments.length, when(fo.created_at),
      ]), 'No fulfillment orders: pre-orders become orders when inventory is posted for their SKUs.'),
      orders.data.has_more ? h('p', { class: 'muted' }, 'The oldest 50 are shown.') : null,
      h('h3', {}, 'Refunds'),
      table('Refunds', ['Refund', 'Order', 'Amount', 'At'], refunds.map((r) => [h('code', {}, r.id), h('code', {}, r.order), `${r.amount} ${r.currency}`, when(r.created_at)]),
        'No refunds yet (POST /admin/api/v1/refund).'),
    ];
  });
}
