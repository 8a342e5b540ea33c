import type { components } from '../../../generated/purple-dot.ts';
import { variantsOf } from '../../domain/catalogue.ts';
import { formatCents, lineTotalCents } from '../../domain/money.ts';
import { productState, productUnitsLeft, variantState, variantUnitsLeft } from '../../domain/preorder-state.ts';
import type { StoreState } from '../../domain/store.ts';
import type { PreOrder, Product, Variant, Waitlist } from '../../domain/types.ts';
import { isPerProduct, openWaitlistForProduct, openWaitlistForVariant } from '../../domain/waitlists.ts';

type Schemas = components['schemas'];

const PUBLIC_STATE = { SCHEDULED: 'SCHEDULED', LIVE: 'OPEN', PAUSED: 'PAUSED', CLOSED: 'CLOSED' } as const;

export function presentPublicWaitlist(state: StoreState, waitlist: Waitlist): Schemas['PublicWaitlist'] {
  const product = state.index.productsById.get(waitlist.product_id)!;
  if (waitlist.state === 'DRAFT') throw new Error(`draft waitlist ${waitlist.id} is never public`);
  return {
    id: waitlist.id,
    state: PUBLIC_STATE[waitlist.state],
    display_dispatch_date: waitlist.display_dispatch_date,
    payment_plan_descriptions: null,
    selling_plan_id: null,
    is_scheduled: waitlist.state === 'SCHEDULED',
    launch_date: waitlist.launch_date,
    product: { id: product.id, product_code: product.handle },
  };
}

export function presentAvailability(state: StoreState, product: Product): Schemas['Availability'] {
  const variants = variantsOf(state, product).map((variant): Schemas['AvailabilityVariant'] => {
    const waitlist = openWaitlistForVariant(state, product.id, variant.id);
    const stock = waitlist ? variantUnitsLeft(waitlist, variant.id) : 0;
    return {
      id: variant.id,
      sku: variant.sku,
      available: stock > 0,
      available_stock: stock,
      available_in_stock: variant.own_stock,
      oversell_enabled: waitlist?.state === 'LIVE' && stock > 0,
      waitlist_id: waitlist?.id ?? null,
    };
  });
  // Shared units are counted once: each variant of a per-product waitlist shows all of them (inferred).
  const open = openWaitlistForProduct(state, product.id);
  const total = open && isPerProduct(open) ? productUnitsLeft(open) : variants.reduce((sum, v) => sum + v.available_stock, 0);
  return { id: product.id, product_code: product.handle, available: total > 0, available_stock: total, variants };
}

function presentStateWaitlist(waitlist: Waitlist, unitsLeft: number): Schemas['PreorderStateWaitlist'] {
  return {
    id: waitlist.id,
    is_scheduled: waitlist.state === 'SCHEDULED',
    launch_date: waitlist.launch_date,
    selling_plan_id: null,
    display_dispatch_date: waitlist.display_dispatch_date,
    payment_plan_descriptions: null,
    use_extended_delivery_language: false,
    units_left: unitsLeft,
    compatible_checkouts: ['purple_dot'],
  };
}

export function presentProductState(state: StoreState, product: Product): Schemas['ProductPreorderState'] {
  const result = productState(state, product);
  return {
    state: result.state,
    waitlist: result.waitlist ? presentStateWaitlist(result.waitlist, productUnitsLeft(result.waitlist)) : null,
    product: { id: product.id, handle: product.handle },
  };
}

export function presentVariantState(state: StoreState, variant: Variant): Schemas['VariantPreorderState'] {
  const product = state.index.productsById.get(variant.product_id)!;
  const result = variantState(state, variant);
  return {
    state: result.state,
    waitlist: result.waitlist ? presentStateWaitlist(result.waitlist, variantUnitsLeft(result.waitlist, variant.id)) : null,
    product: { id: product.id, handle: product.handle },
  };
}

export function presentShopperPreOrder(order: PreOrder): Schemas['ShopperPreOrder'] {
  const linesTotal = order.line_items.reduce((sum, l) => sum + lineTotalCents(l), 0);
  return {
    id: order.id,
    reference: order.reference,
    created_at: order.created_at,
    total_amount: formatCents(linesTotal + order.shipping_cents),
    currency: order.currency,
    line_items: order.line_items.map((line) => ({
      id: line.id,
      estimated_ship_dates: line.estimated_ship_dates,
      product_id: line.product_id,
      variant_id: line.variant_id,
      order_id: line.external_order_id,
      cancelled: line.status === 'cancelled',
    })),
    shipping_address: { ...order.shipping_address },
  };
}
