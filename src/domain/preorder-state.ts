import { variantsOf } from './catalogue.ts';
import type { StoreState } from './store.ts';
import type { Product, Variant, Waitlist } from './types.ts';
import { openWaitlistForProduct, openWaitlistForVariant, variantUnitsLeft } from './waitlists.ts';

// The unit arithmetic lives with the waitlist (per-variant and per-product units); re-exported for the presenters.
export { productUnitsLeft, variantUnitsLeft } from './waitlists.ts';

export type PreorderState = 'NO_OPEN_WAITLISTS' | 'AVAILABLE_IN_STOCK' | 'ON_PREORDER' | 'SOLD_OUT';

/** The variant rules of the spec (getVariantPreorderState), in their documented order. */
export function variantState(state: StoreState, variant: Variant): { state: PreorderState; waitlist: Waitlist | undefined } {
  const waitlist = openWaitlistForVariant(state, variant.product_id, variant.id);
  if (!waitlist) return { state: 'NO_OPEN_WAITLISTS', waitlist };
  const ownStock = variant.own_stock > 0;
  if (ownStock && state.data.settings.watch_inventory) return { state: 'AVAILABLE_IN_STOCK', waitlist };
  if (variantUnitsLeft(waitlist, variant.id) > 0) return { state: 'ON_PREORDER', waitlist };
  if (ownStock) return { state: 'AVAILABLE_IN_STOCK', waitlist };
  return { state: 'SOLD_OUT', waitlist };
}

/** The product rules of the spec (getProductPreorderState): in stock beats pre-order beats sold out. */
export function productState(state: StoreState, product: Product): { state: PreorderState; waitlist: Waitlist | undefined } {
  const waitlist = openWaitlistForProduct(state, product.id);
  if (!waitlist) return { state: 'NO_OPEN_WAITLISTS', waitlist };
  const states = variantsOf(state, product).map((variant) => {
    const own = variantState(state, variant).state;
    // A variant the waitlist does not cover sells from own stock or not at all.
    if (own === 'NO_OPEN_WAITLISTS') return variant.own_stock > 0 ? 'AVAILABLE_IN_STOCK' : 'SOLD_OUT';
    return own;
  });
  if (states.includes('AVAILABLE_IN_STOCK')) return { state: 'AVAILABLE_IN_STOCK', waitlist };
  if (states.includes('ON_PREORDER')) return { state: 'ON_PREORDER', waitlist };
  return { state: 'SOLD_OUT', waitlist };
}
