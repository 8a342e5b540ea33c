import { describe, expect, it } from 'vitest';
import { ScenarioBuilder } from '../../src/engine/scenario.ts';
import { setOwnStock } from '../../src/domain/catalogue.ts';
import { changeWaitlist } from '../../src/domain/lifecycle.ts';
import { productState, variantState } from '../../src/domain/preorder-state.ts';
import type { Waitlist } from '../../src/domain/types.ts';
import { presentAvailability, presentVariantState } from '../../src/engine/present/public.ts';

/** A store with one three-variant product; each case shapes stock and waitlist from here. */
function fixture(options: { watchInventory?: boolean; waitlist?: boolean; buySize?: number } = {}) {
  const b = new ScenarioBuilder(7, { watch_inventory: options.watchInventory ?? true });
  const item = b.product({ sizes: ['S', 'M', 'L'] });
  const waitlist = options.waitlist === false ? undefined : b.waitlist(item, options.buySize ?? 5);
  const [s, m, l] = item.variants as [typeof item.variants[0], typeof item.variants[0], typeof item.variants[0]];
  const sellOut = (variantId: string, units: number) => b.placeFor(b.shopper(), [{ variant_id: variantId, quantity: units }]);
  const move = (w: Waitlist, state: Waitlist['state']) => changeWaitlist(b.store, b.now, w.id, { state });
  return { b, store: b.store, product: item.product, s, m, l, waitlist, sellOut, move };
}

describe('variant pre-order state', () => {
  it('is NO_OPEN_WAITLISTS with a null waitlist when no waitlist covers the variant', () => {
    const { store, s } = fixture({ waitlist: false });
    expect(variantState(store, s).state).toBe('NO_OPEN_WAITLISTS');
    expect(presentVariantState(store, s).waitlist).toBeNull();
  });

  it.each(['PAUSED', 'CLOSED'] as const)('is NO_OPEN_WAITLISTS when the only waitlist is %s', (target) => {
    const f = fixture();
    f.move(f.waitlist!, target);
    expect(variantState(f.store, f.s).state).toBe('NO_OPEN_WAITLISTS');
  });

  it('is NO_OPEN_WAITLISTS when the only waitlist is a DRAFT', () => {
    const f = fixture({ waitlist: false });
    f.b.waitlist({ product: f.product, variants: [f.s, f.m, f.l] }, 5, { state: 'DRAFT' });
    expect(variantState(f.store, f.s).state).toBe('NO_OPEN_WAITLISTS');
  });

  it('is AVAILABLE_IN_STOCK, still naming its waitlist, when own stock exists and the store watches inventory', () => {
    const f = fixture();
    setOwnStock(f.store, f.b.now, f.s.id, 3);
    const shown = presentVariantState(f.store, f.s);
    expect(shown.state).toBe('AVAILABLE_IN_STOCK');
    expect(shown.waitlist?.id).toBe(f.waitlist!.id);
  });

  it('is ON_PREORDER when there is no own stock and the waitlist has units left', () => {
    const f = fixture({ buySize: 5 });
    f.sellOut(f.s.id, 4);
    const shown = presentVariantState(f.store, f.s);
    expect(shown.state).toBe('ON_PREORDER');
    expect(shown.waitlist?.units_left).toBe(1);
  });

  it('is ON_PREORDER with own stock when the store does not watch inventory and units are left', () => {
    const f = fixture({ watchInventory: false });
    setOwnStock(f.store, f.b.now, f.s.id, 3);
    expect(variantState(f.store, f.s).state).toBe('ON_PREORDER');
  });

  it('is AVAILABLE_IN_STOCK when inventory is not watched, own stock exists and the waitlist is exhausted', () => {
    const f = fixture({ watchInventory: false, buySize: 2 });
    f.sellOut(f.s.id, 2);
    setOwnStock(f.store, f.b.now, f.s.id, 3);
    expect(variantState(f.store, f.s).state).toBe('AVAILABLE_IN_STOCK');
  });

  it('is SOLD_OUT when there is neither own stock nor waitlist units', () => {
    const f = fixture({ buySize: 2 });
    f.sellOut(f.s.id, 2);
    const shown = presentVariantState(f.store, f.s);
    expect(shown.state).toBe('SOLD_OUT');
    expect(shown.waitlist?.units_left).toBe(0);
  });

  it('is ON_PREORDER with is_scheduled for a SCHEDULED waitlist with units', () => {
    const b = new ScenarioBuilder(7);
    const item = b.product({ sizes: ['One Size'] });
    const launch = new Date(b.now.getTime() + 86_400_000).toISOString();
    b.waitlist(item, 5, { state: 'SCHEDULED', launch_date: launch });
    const shown = presentVariantState(b.store, item.variants[0]!);
    expect(shown.state).toBe('ON_PREORDER');
    expect(shown.waitlist).toMatchObject({ is_scheduled: true, launch_date: launch });
  });
});

describe('product pre-order state', () => {
  it('is NO_OPEN_WAITLISTS when the product has no LIVE or SCHEDULED waitlist', () => {
    const f = fixture();
    f.move(f.waitlist!, 'PAUSED');
    expect(productState(f.store, f.product).state).toBe('NO_OPEN_WAITLISTS');
  });

  it('is AVAILABLE_IN_STOCK when any variant is, even if others are on pre-order or sold out', () => {
    const f = fixture({ buySize: 1 });
    f.sellOut(f.l.id, 1);
    setOwnStock(f.store, f.b.now, f.m.id, 1);
    expect(productState(f.store, f.product).state).toBe('AVAILABLE_IN_STOCK');
  });

  it('is ON_PREORDER when no variant is in stock and at least one is on pre-order', () => {
    const f = fixture({ buySize: 1 });
    f.sellOut(f.s.id, 1);
    f.sellOut(f.m.id, 1);
    expect(variantState(f.store, f.l).state).toBe('ON_PREORDER');
    expect(productState(f.store, f.product).state).toBe('ON_PREORDER');
  });

  it('is SOLD_OUT when every variant is sold out', () => {
    const f = fixture({ buySize: 1 });
    for (const v of [f.s, f.m, f.l]) f.sellOut(v.id, 1);
    expect(productState(f.store, f.product).state).toBe('SOLD_OUT');
  });

  it('counts a variant the waitlist does not cover as sold out unless it has own stock', () => {
    const b = new ScenarioBuilder(7);
    const item = b.product({ sizes: ['S', 'M'] });
    b.waitlist(item, [1, 0]);
    b.store.data.waitlists[0]!.allocations.pop();
    b.placeFor(b.shopper(), [{ variant_id: item.variants[0]!.id, quantity: 1 }]);
    expect(productState(b.store, item.product).state).toBe('SOLD_OUT');
    setOwnStock(b.store, b.now, item.variants[1]!.id, 2);
    expect(productState(b.store, item.product).state).toBe('AVAILABLE_IN_STOCK');
  });
});

describe('availability', () => {
  it('derives each variant figure from the waitlist units left and sums them for the product', () => {
    const f = fixture({ buySize: 5 });
    f.sellOut(f.s.id, 2);
    f.sellOut(f.m.id, 5);
    const shown = presentAvailability(f.store, f.product);
    const bySku = Object.fromEntries(shown.variants.map((v) => [v.sku, v]));
    expect(bySku[f.s.sku]).toMatchObject({ available: true, available_stock: 3, oversell_enabled: true, waitlist_id: f.waitlist!.id });
    expect(bySku[f.m.sku]).toMatchObject({ available: false, available_stock: 0, oversell_enabled: false });
    expect(shown.available_stock).toBe(3 + 0 + 5);
    expect(shown.available).toBe(true);
  });

  it('reports no waitlist stock once the waitlist is paused', () => {
    const f = fixture();
    f.move(f.waitlist!, 'PAUSED');
    const shown = presentAvailability(f.store, f.product);
    expect(shown.available).toBe(false);
    expect(shown.variants.map((v) => v.id)).toEqual([f.s.id, f.m.id, f.l.id]);
    expect(shown.variants.every((v) => v.waitlist_id === null && v.available_stock === 0)).toBe(true);
  });
});
