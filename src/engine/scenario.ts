import type { Faker } from '@faker-js/faker';
// The English build alone: the package root loads every locale (about 0.3 s and 40 MB at start-up).
import { faker as englishFaker } from '@faker-js/faker/locale/en';
import { addProduct, addVariant, setOwnStock } from '../domain/catalogue.ts';
import { createClock, type Clock } from '../domain/clock.ts';
import { setInventory } from '../domain/exports.ts';
import { fulfil } from '../domain/fulfillment.ts';
import { cancelPreOrder, placePreOrder } from '../domain/pre-orders.ts';
import { refund } from '../domain/refunds.ts';
import { createStoreState, type StoreState } from '../domain/store.ts';
import type { Address, PreOrder, Product, StoreSettings, Variant, Waitlist, WaitlistState } from '../domain/types.ts';
import { changeWaitlist } from '../domain/lifecycle.ts';
import { createWaitlist, type WaitlistInput } from '../domain/waitlists.ts';
import { DEFAULT_CREDENTIALS, DEFAULT_STORE_ID } from './defaults.ts';

/** Every scenario's data is anchored here, so the same scenario and seed build the same bytes anywhere. */
export const REFERENCE_DATE = new Date('2026-01-15T09:00:00.000Z');
const DAY = 86_400_000;

/** A named, seeded store: what `--scenario`, `POST /__sim/scenario` and `POST /__sim/stores` build. */
export interface Scenario {
  name: string;
  /** One line: what an integrator sees. */
  summary: string;
  /**
   * Fills the store through the builder, which places pre-orders, exports and refunds through the same
   * domain operations the API uses. The builder's clock starts 60 days before REFERENCE_DATE and only
   * moves forward; the store's clock starts where the builder's ends (at REFERENCE_DATE at the earliest).
   */
  build(builder: ScenarioBuilder): void;
}

/** Types a scenario of your own; pass it to `createSimulator({ scenarios: [mine] })` or `serve --scenario-file`. */
export const defineScenario = (scenario: Scenario): Scenario => scenario;

export interface BuiltScenario {
  state: StoreState;
  /** The time the scenario ends at: a manual clock starts here. */
  now: Date;
}

/** Builds a scenario for a store with the given settings (its ID and credentials). */
export function buildScenario(scenario: Scenario, seed: number, settings: Partial<StoreSettings>): BuiltScenario {
  const builder = new ScenarioBuilder(seed, settings);
  scenario.build(builder);
  builder.daysBefore(0);
  // The scenario's history is where the store starts, not a change anyone should be told about.
  builder.store.outbox.length = 0;
  return { state: builder.store, now: builder.now };
}

export interface ProductSpec {
  /** Variant titles, one variant each (default S, M, L); ignored when `variants` is given. */
  sizes?: string[];
  ownStock?: number;
  /** Unit price in cents. */
  price?: number;
  /** Your platform's IDs, handle and title; generated from the seed when left out. */
  id?: string;
  handle?: string;
  title?: string;
  variants?: VariantSpec[];
}

export interface VariantSpec {
  id?: string;
  sku?: string;
  /** Appended to the product title, e.g. a size. */
  title?: string;
  /** Unit price in cents. */
  price?: number;
  ownStock?: number;
}

export interface CatalogueItem {
  product: Product;
  variants: Variant[];
}

/**
 * Builds a scenario through the same domain operations the API uses, on a manual clock that only moves
 * forward, so histories (unit counts, update order) are as real as the ones the simulator records live.
 */
export class ScenarioBuilder {
  readonly faker: Faker;
  readonly store: StoreState;
  readonly clock: Clock;
  private productCount = 0;

  /** Settings default to the default store's; a scenario gets its store's own ID and credentials. */
  constructor(seed: number, settings: Partial<StoreSettings> = {}) {
    // A Faker of its own, so builders never share a random sequence (the English instance is a module singleton).
    const FakerOf = englishFaker.constructor as typeof Faker;
    this.faker = new FakerOf({ locale: englishFaker.rawDefinitions });
    this.faker.seed(seed);
    this.clock = createClock('manual', new Date(REFERENCE_DATE.getTime() - 60 * DAY));
    this.store = createStoreState({
      name: 'Purple Dot Sim Store',
      currency: 'USD',
      watch_inventory: true,
      shipping_cents: 500,
      inventory_mode: 'replace',
      flags: [],
      id: DEFAULT_STORE_ID,
      ...DEFAULT_CREDENTIALS,
      ...settings,
    }, seed);
  }

  get now(): Date {
    return this.clock.now();
  }

  /** Moves the clock to `days` (fractional allowed) before the reference date. */
  daysBefore(days: number): this {
    const target = REFERENCE_DATE.getTime() - days * DAY;
    if (target > this.clock.nowMs()) this.clock.set(new Date(target));
    return this;
  }

  /** Moves the clock to a given time (never back: an earlier time is ignored). */
  at(time: Date | string): this {
    const target = new Date(time).getTime();
    if (target > this.clock.nowMs()) this.clock.set(new Date(target));
    return this;
  }

  minutes(n: number): this {
    this.clock.advance(n * 60_000);
    return this;
  }

  product(spec: ProductSpec = {}): CatalogueItem {
    const f = this.faker;
    this.productCount += 1;
    // Generated values are drawn whether or not they are overridden, so overriding one leaves the rest as they were.
    const generatedTitle = f.commerce.productName();
    const generatedId = f.string.numeric({ length: 13, allowLeadingZeros: false });
    const title = spec.title ?? generatedTitle;
    const handle = spec.handle ?? `${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${this.productCount}`;
    const product = addProduct(this.store, { id: spec.id ?? generatedId, handle, title });
    const prefix = `${title.split(' ').map((w) => w[0]).join('').toUpperCase()}${this.productCount}`;
    const generatedPrice = f.number.int({ min: 3, max: 25 }) * 1000 - 1;
    const price = spec.price ?? generatedPrice;
    const wanted: VariantSpec[] = spec.variants ?? (spec.sizes ?? ['S', 'M', 'L']).map((size) => ({ title: size }));
    const variants = wanted.map((v, i) => {
      const generatedVariantId = f.string.numeric({ length: 14, allowLeadingZeros: false });
      const size = v.title ?? String(i + 1);
      return addVariant(this.store, {
        id: v.id ?? generatedVariantId,
        product_id: product.id,
        sku: v.sku ?? `${prefix}-${size}`,
        title: `${title} - ${size}`,
        price_cents: v.price ?? price,
        taxable: true,
        tax_rate: 0.08,
        tax_title: 'Sales tax',
        own_stock: v.ownStock ?? spec.ownStock ?? 0,
      });
    });
    return { product, variants };
  }

  waitlist(item: CatalogueItem, buySize: number | number[], options: Partial<WaitlistInput> = {}): Waitlist {
    const shipStart = new Date(REFERENCE_DATE.getTime() + 45 * DAY);
    const shipEnd = new Date(shipStart.getTime() + 14 * DAY);
    return createWaitlist(this.store, this.now, {
      product_id: item.product.id,
      state: 'LIVE',
      earliest_ship_date: shipStart.toISOString(),
      latest_ship_date: shipEnd.toISOString(),
      labels: [],
      variants: item.variants.map((v, i) => ({ variant_id: v.id, buy_size: Array.isArray(buySize) ? buySize[i] ?? 0 : buySize })),
      ...options,
    });
  }

  /**
   * A per-product waitlist: `units` shared by all the product's variants, each shown with `buy_size: null`
   * (documented: a waitlist allocates units "by SKU or total").
   */
  sharedWaitlist(item: CatalogueItem, units: number, options: Partial<Omit<WaitlistInput, 'buy_size' | 'variants'>> = {}): Waitlist {
    return this.waitlist(item, 0, { ...options, buy_size: units, variants: item.variants.map((v) => ({ variant_id: v.id })) });
  }

  moveWaitlist(waitlist: Waitlist, state: WaitlistState): void {
    changeWaitlist(this.store, this.now, waitlist.id, { state });
  }

  shopper(): { email: string; first_name: string; last_name: string; address: Address } {
    const f = this.faker;
    const first = f.person.firstName();
    const last = f.person.lastName();
    return {
      email: f.internet.email({ firstName: first, lastName: last, provider: 'example.com' }).toLowerCase(),
      first_name: first,
      last_name: last,
      address: {
        first_name: first,
        last_name: last,
        address1: f.location.streetAddress(),
        address2: null,
        city: f.location.city(),
        postal_code: f.location.zipCode('#####'),
        province_code: f.location.state({ abbreviated: true }),
        country: 'United States',
        country_code: 'US',
        phone: null,
      },
    };
  }

  /** Places `count` single-line pre-orders spread `spacing` minutes apart over the given variants. */
  preOrders(count: number, variants: Variant[], options: { spacing?: number; maxQuantity?: number } = {}): PreOrder[] {
    const placed: PreOrder[] = [];
    for (let i = 0; i < count; i += 1) {
      const shopper = this.shopper();
      const variant = this.faker.helpers.arrayElement(variants);
      placed.push(this.placeFor(shopper, [{ variant_id: variant.id, quantity: this.faker.number.int({ min: 1, max: options.maxQuantity ?? 2 }) }]));
      this.minutes(options.spacing ?? 37);
    }
    return placed;
  }

  placeFor(shopper: ReturnType<ScenarioBuilder['shopper']>, lines: { variant_id: string; quantity: number }[]): PreOrder {
    return placePreOrder(this.store, this.now, {
      email: shopper.email,
      first_name: shopper.first_name,
      last_name: shopper.last_name,
      shipping_address: shopper.address,
      lines,
    });
  }

  cancel(order: PreOrder, reason = 'CUSTOMER'): void {
    cancelPreOrder(this.store, this.now, order.id, { reason });
  }

  /** Sets a variant's own (platform) stock, as `PUT /__sim/variants/{id}/stock` does. */
  stock(variant: Variant, units: number): void {
    setOwnStock(this.store, this.now, variant.id, units);
  }

  inventory(sku: string, units: number): void {
    setInventory(this.store, this.now, sku, units);
  }

  fulfilAll(fulfillmentOrderId: string): void {
    fulfil(this.store, this.now, { fulfillment_order_id: fulfillmentOrderId, notify_customer: true, tracking_info: { number: this.faker.string.numeric(12), company: 'UPS' } });
  }

  refund(input: Parameters<typeof refund>[2]): void {
    refund(this.store, this.now, input);
  }
}
