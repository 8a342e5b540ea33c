import { Faker, en } from '@faker-js/faker';
import { addProduct, addVariant } from '../src/domain/catalogue.ts';
import { createClock, type Clock } from '../src/domain/clock.ts';
import { setInventory } from '../src/domain/exports.ts';
import { fulfil } from '../src/domain/fulfillment.ts';
import { cancelPreOrder, placePreOrder } from '../src/domain/pre-orders.ts';
import { refund } from '../src/domain/refunds.ts';
import { createStoreState, type StoreState } from '../src/domain/store.ts';
import type { Address, PreOrder, Product, StoreSettings, Variant, Waitlist, WaitlistState } from '../src/domain/types.ts';
import { changeWaitlist } from '../src/domain/lifecycle.ts';
import { createWaitlist, type WaitlistInput } from '../src/domain/waitlists.ts';

/** Every scenario's data is anchored here, so the same scenario and seed build the same bytes anywhere. */
export const REFERENCE_DATE = new Date('2026-01-15T09:00:00.000Z');
const DAY = 86_400_000;

export const DEFAULT_CREDENTIALS = {
  public_api_key: '4b1d3f0e-8c2a-4f6b-9e7d-5a0c1b2d3e4f',
  private_access_token: 'pd_sim_private_access_token',
  // The shared secret the Purple Dot docs use in their examples.
  shared_secret: 'd9b24a0f-9c08-45e5-a6f7-53797906da19',
} as const;

export interface BuiltScenario {
  stores: StoreState[];
  /** The time the scenario ends at: a manual clock starts here. */
  now: Date;
}

export interface ProductSpec {
  sizes?: string[];
  ownStock?: number;
  price?: number;
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

  constructor(seed: number, settings: Partial<StoreSettings> = {}) {
    this.faker = new Faker({ locale: [en] });
    this.faker.seed(seed);
    this.clock = createClock('manual', new Date(REFERENCE_DATE.getTime() - 60 * DAY));
    this.store = createStoreState({
      id: 'store-1',
      name: 'Purple Dot Sim Store',
      currency: 'USD',
      watch_inventory: true,
      shipping_cents: 500,
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

  minutes(n: number): this {
    this.clock.advance(n * 60_000);
    return this;
  }

  product(spec: ProductSpec = {}): CatalogueItem {
    const f = this.faker;
    this.productCount += 1;
    const title = f.commerce.productName();
    const handle = `${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${this.productCount}`;
    const product = addProduct(this.store, { id: f.string.numeric({ length: 13, allowLeadingZeros: false }), handle, title });
    const prefix = `${title.split(' ').map((w) => w[0]).join('').toUpperCase()}${this.productCount}`;
    const price = spec.price ?? f.number.int({ min: 3, max: 25 }) * 1000 - 1;
    const variants = (spec.sizes ?? ['S', 'M', 'L']).map((size) =>
      addVariant(this.store, {
        id: f.string.numeric({ length: 14, allowLeadingZeros: false }),
        product_id: product.id,
        sku: `${prefix}-${size}`,
        title: `${title} - ${size}`,
        price_cents: price,
        taxable: true,
        tax_rate: 0.08,
        tax_title: 'Sales tax',
        own_stock: spec.ownStock ?? 0,
      }));
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

  inventory(sku: string, units: number): void {
    setInventory(this.store, this.now, sku, units);
  }

  fulfilAll(fulfillmentOrderId: string): void {
    fulfil(this.store, this.now, { fulfillment_order_id: fulfillmentOrderId, notify_customer: true, tracking_info: { number: this.faker.string.numeric(12), company: 'UPS' } });
  }

  refund(input: Parameters<typeof refund>[2]): void {
    refund(this.store, this.now, input);
  }

  done(): BuiltScenario {
    this.daysBefore(0);
    return { stores: [this.store], now: this.now };
  }
}
