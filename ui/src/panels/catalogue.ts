import type { components as PD } from '../../../generated/purple-dot.ts';
import type { components as Sim } from '../../../generated/simulator.ts';
import { badge, field, formValues, h, table } from '../dom.ts';
import type { Context, Panel } from '../context.ts';
import { panel } from './section.ts';

type Product = Sim['schemas']['ProductView'];
type UnitCount = PD['schemas']['SkuUnitCount'];

const variantOptions = (products: Product[]): HTMLOptionElement[] => products.flatMap((p) =>
  p.variants.map((v) => h('option', { value: v.id }, `${v.sku} · ${v.title} (${v.state})`)));

/** The variants of the catalogue, for the forms of other panels (pre-order placement). */
export async function loadProducts(ctx: Context): Promise<Product[]> {
  return ctx.api.control<Product[]>('GET', '/products', { storeId: ctx.store.id });
}

export function productsPanel(): Panel {
  return panel('products', 'Products', async (ctx) => {
    const products = await loadProducts(ctx);
    const at = { storeId: ctx.store.id };
    const rows = products.map((p) => [
      h('span', {}, p.title, h('br'), h('code', { class: 'muted' }, p.handle)),
      badge(p.state),
      h('ul', { class: 'plain' }, p.variants.map((v) => h('li', {}, h('code', {}, v.sku), ' ', badge(v.state), ` ${v.available_in_stock} in stock`))),
    ]);
    const stock = h('form', { class: 'inline', 'aria-label': 'Set a variant\'s own stock', onsubmit: (event: Event) => {
      event.preventDefault();
      const v = formValues(event.currentTarget as HTMLFormElement);
      void ctx.act('Set the variant\'s stock', () => ctx.api.control('PUT', `/variants/${encodeURIComponent(v.variant ?? '')}/stock`, { ...at, body: { available_in_stock: Number(v.units) } }));
    } },
      field('Variant', h('select', { name: 'variant' }, variantOptions(products))),
      field('Own stock', h('input', { name: 'units', type: 'number', min: 0, value: 0, required: true, class: 'narrow' })),
      h('button', {}, 'Set stock'));
    const inventory = h('form', { class: 'inline', 'aria-label': 'Post inventory', onsubmit: (event: Event) => {
      event.preventDefault();
      const v = formValues(event.currentTarget as HTMLFormElement);
      void ctx.act(`Post inventory for ${v.sku}`, () => ctx.api.admin('POST', '/inventory', ctx.store.credentials.private_access_token, { sku: v.sku, available_units: Number(v.units) }));
    } },
      field('SKU', h('select', { name: 'sku' }, products.flatMap((p) => p.variants.map((v) => h('option', { value: v.sku }, v.sku))))),
      field('Units available', h('input', { name: 'units', type: 'number', min: 0, value: 10, required: true, class: 'narrow' })),
      h('button', {}, 'Post inventory'));
    return [
      products.length > 0 ? h('div', {}, stock, inventory) : null,
      table('Products', ['Product', 'Pre-order state', 'Variants'], rows, 'This store has no products.'),
    ];
  }, 'The pre-order state of each product and variant, as the storefront API answers it. Own stock is the merchant\'s platform stock; inventory is what the connector posts to Purple Dot (POST /admin/api/v1/inventory).');
}

/** Units per SKU (A4), one read per SKU: only while the section is open, since a large catalogue has hundreds. */
export function unitsPanel(): Panel {
  let open = false;
  const inner = panel('units-body', 'Units per SKU', async (ctx) => {
    if (!open) return h('p', { class: 'muted' }, 'Open this section to count the units of every SKU.');
    const skus = (await loadProducts(ctx)).flatMap((p) => p.variants.map((v) => v.sku));
    const counts = await Promise.all(skus.map((sku) =>
      ctx.api.admin<{ data: UnitCount }>('GET', `/pre-orders/count-units/sku/${encodeURIComponent(sku)}`, ctx.store.credentials.private_access_token)));
    return table('Units per SKU', ['SKU', 'Open', 'Cancelled', 'Exported'],
      counts.map(({ data }) => [h('code', {}, data.sku), data.open_units, data.canceled_units, data.exported_units]), 'This store has no SKUs.');
  });
  const heading = inner.element.querySelector('h2');
  const details = h('details', { id: 'units' }, h('summary', {}, h('h2', { class: 'inline-heading' }, 'Units per SKU')), inner.element);
  heading?.remove();
  let last: Context | undefined;
  details.addEventListener('toggle', () => {
    open = details.open;
    if (last) void inner.load(last);
  });
  return {
    element: h('section', { 'aria-label': 'Units per SKU' }, details),
    load(ctx) {
      last = ctx;
      return inner.load(ctx);
    },
  };
}
