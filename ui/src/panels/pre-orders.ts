import type { components as PD } from '../../../generated/purple-dot.ts';
import { badge, field, formValues, h, table, when } from '../dom.ts';
import type { Context, Panel } from '../context.ts';
import { loadProducts } from './catalogue.ts';
import { actionButton, panel } from './section.ts';

type PreOrder = PD['schemas']['PreOrder'];
interface PreOrderPage { data: { orders: PreOrder[]; has_more: boolean; starting_after: string | null } }

/** The line-state filters of `listPreOrders`, as the API takes them (the API has no filter for open lines). */
const STATES: [string, string][] = [
  ['', 'any state'],
  ['some_line_item=cancelled', 'some line cancelled'],
  ['all_line_items=cancelled', 'every line cancelled'],
  ['some_line_item=exported', 'some line exported'],
  ['all_line_items=exported', 'every line exported'],
];
const PAGE_SIZE = 10;

interface Filters { state: string; sku: string; email: string; reference: string }
const NO_FILTERS: Filters = { state: '', sku: '', email: '', reference: '' };

function filterQuery(filters: Filters): URLSearchParams {
  const query = new URLSearchParams(filters.state);
  if (filters.sku) query.set('skus', filters.sku);
  if (filters.email) query.set('email', filters.email);
  if (filters.reference) query.set('references', filters.reference);
  return query;
}

/** A line as the API shows it: cancelled, exported (it has a platform line id) or still open. */
const lineState = (line: PreOrder['line_items'][number]): string => (line.cancelled ? 'cancelled' : line.shopify_line_item_id ? 'exported' : 'open');

export function preOrdersPanel(): Panel {
  let filters: Filters = { ...NO_FILTERS };
  /** The cursors of the pages before this one, so Previous can go back; the last is this page's. */
  let cursors: (string | undefined)[] = [undefined];
  let storeId: string | undefined;

  const view = panel('pre-orders', 'Pre-orders', async (ctx) => {
    if (ctx.store.id !== storeId) {
      storeId = ctx.store.id;
      filters = { ...NO_FILTERS };
      cursors = [undefined];
    }
    const token = ctx.store.credentials.private_access_token;
    const query = filterQuery(filters);
    const count = ctx.api.admin<{ data: { count: number } }>('GET', `/pre-orders/count?${query}`, token);
    const pageQuery = new URLSearchParams(query);
    pageQuery.set('limit', String(PAGE_SIZE));
    const cursor = cursors.at(-1);
    if (cursor) pageQuery.set('starting_after', cursor);
    const [page, total, products] = await Promise.all([ctx.api.admin<PreOrderPage>('GET', `/pre-orders?${pageQuery}`, token), count, loadProducts(ctx)]);

    const go = (next: (string | undefined)[]) => () => {
      cursors = next;
      void view.load(ctx);
    };
    const filterForm = h('form', { class: 'inline', role: 'search', 'aria-label': 'Filter pre-orders', onsubmit: (event: Event) => {
      event.preventDefault();
      const v = formValues(event.currentTarget as HTMLFormElement);
      filters = { state: v.state ?? '', sku: v.sku ?? '', email: v.email ?? '', reference: v.reference ?? '' };
      go([undefined])();
    } },
      field('State', h('select', { name: 'state' }, STATES.map(([value, label]) => h('option', { value, selected: value === filters.state }, label)))),
      field('SKU', h('input', { name: 'sku', value: filters.sku, size: 10 })),
      field('Email', h('input', { name: 'email', type: 'email', value: filters.email, size: 18 })),
      field('Reference', h('input', { name: 'reference', value: filters.reference, placeholder: '#PD1000001', size: 11 })),
      h('button', {}, 'Filter'),
      h('button', { type: 'button', onclick: () => { filters = { ...NO_FILTERS }; go([undefined])(); } }, 'Clear'));

    const place = h('form', { class: 'inline', 'aria-label': 'Place a pre-order', onsubmit: (event: Event) => {
      event.preventDefault();
      const v = formValues(event.currentTarget as HTMLFormElement);
      void ctx.act(`Place a pre-order for ${v.email}`, () => ctx.api.control('POST', '/pre-orders', {
        storeId: ctx.store.id, body: { email: v.email, lines: [{ variant_id: v.variant, quantity: Number(v.quantity) }] },
      }));
    } },
      field('Shopper email', h('input', { name: 'email', type: 'email', required: true, value: 'shopper@example.com', size: 20 })),
      field('Variant', h('select', { name: 'variant' }, products.flatMap((p) => p.variants.map((v) => h('option', { value: v.id }, `${v.sku} (${v.state})`))))),
      field('Quantity', h('input', { name: 'quantity', type: 'number', min: 1, value: 1, required: true, class: 'narrow' })),
      h('button', {}, 'Place pre-order'));

    const rows = page.data.orders.map((order) => [
      h('code', {}, order.reference),
      order.customer.email,
      when(order.placed_at),
      h('ul', { class: 'plain' }, order.line_items.map((line) => h('li', {}, h('code', {}, line.sku), ` × ${line.quantity} `, badge(lineState(line))))),
      `${order.total_price} ${order.currency}`,
      order.total_refunded === '0.00' ? '—' : order.total_refunded,
      order.line_items.some((line) => lineState(line) === 'open')
        ? actionButton(ctx, 'Cancel', () => ctx.api.control('POST', `/pre-orders/${encodeURIComponent(order.id)}/cancel`, { storeId: ctx.store.id, body: { reason: 'Cancelled from the dashboard' } }),
          { class: 'small', 'aria-label': `Cancel ${order.reference}` })
        : '',
    ]);
    const first = (cursors.length - 1) * PAGE_SIZE + 1;
    const paging = h('nav', { class: 'actions', 'aria-label': 'Pre-order pages' },
      h('span', { class: 'muted', role: 'status' }, total.data.count === 0 ? 'No pre-orders match.'
        : `${first}–${first + page.data.orders.length - 1} of ${total.data.count} pre-orders`),
      h('button', { type: 'button', class: 'small', disabled: cursors.length === 1, onclick: go(cursors.slice(0, -1)) }, 'Previous page'),
      h('button', { type: 'button', class: 'small', disabled: !page.data.has_more, onclick: go([...cursors, page.data.starting_after ?? undefined]) }, 'Next page'));
    return [place, filterForm,
      table('Pre-orders', ['Reference', 'Email', 'Placed', 'Lines', 'Total', 'Refunded', ''], rows,
        filters === NO_FILTERS || Object.values(filters).every((v) => v === '') ? 'This store has no pre-orders yet. Place one above.' : 'No pre-order matches these filters.'),
      paging];
  });
  return view;
}
