import { conflict, invalid, notFound } from './errors.ts';
import { touchVariantStock } from './events.ts';
import { indexProduct, indexVariant, type StoreState } from './store.ts';
import type { Product, Variant } from './types.ts';

export function addProduct(state: StoreState, product: Omit<Product, 'variant_ids'>): Product {
  if (state.index.productsById.has(product.id)) throw conflict('DUPLICATE_PRODUCT', 'id', `product ${product.id} exists`);
  const created: Product = { ...product, variant_ids: [] };
  state.data.products.push(created);
  indexProduct(state.index, created);
  return created;
}

export function addVariant(state: StoreState, variant: Variant): Variant {
  const product = state.index.productsById.get(variant.product_id);
  if (!product) throw notFound('UNKNOWN_PRODUCT', 'product_id', `no product ${variant.product_id}`);
  if (state.index.variantsById.has(variant.id)) throw conflict('DUPLICATE_VARIANT', 'id', `variant ${variant.id} exists`);
  // SKUs key /inventory, counts and filters, so they must be unique in a store.
  if (state.index.variantsBySku.has(variant.sku)) throw conflict('DUPLICATE_SKU', 'sku', `SKU ${variant.sku} exists`);
  const created = { ...variant };
  state.data.variants.push(created);
  product.variant_ids.push(created.id);
  indexVariant(state.index, created);
  return created;
}

export function getProduct(state: StoreState, id: string, field = 'product_id'): Product {
  const product = state.index.productsById.get(id);
  if (!product) throw notFound('UNKNOWN_PRODUCT', field, `no product with ID ${id}`);
  return product;
}

export function getVariant(state: StoreState, id: string, field = 'variant_id'): Variant {
  const variant = state.index.variantsById.get(id);
  if (!variant) throw notFound('UNKNOWN_VARIANT', field, `no variant with ID ${id}`);
  return variant;
}

export function variantsOf(state: StoreState, product: Product): Variant[] {
  return product.variant_ids.map((id) => state.index.variantsById.get(id)).filter((v): v is Variant => v !== undefined);
}

export function setOwnStock(state: StoreState, now: Date, variantId: string, units: number): Variant {
  const variant = getVariant(state, variantId, 'id');
  if (!Number.isInteger(units) || units < 0) throw invalid('INVALID_REQUEST', 'available_in_stock', 'must be an integer >= 0');
  variant.own_stock = units;
  touchVariantStock(state, variant, now);
  return variant;
}
