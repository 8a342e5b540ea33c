/**
 * The domain state of one store, as plain JSON-serialisable data. Indexes live beside it (see store.ts)
 * and are rebuilt from it, so a snapshot is just this data.
 */
export type WaitlistState = 'DRAFT' | 'SCHEDULED' | 'LIVE' | 'PAUSED' | 'CLOSED';
export type LineStatus = 'open' | 'cancelled' | 'exported';
export type FulfillmentStatus = 'UNFULFILLED' | 'FULFILLED' | 'VOIDED';
/** How `POST /inventory` sets what may export: the documented absolute reading, or the older difference reading. */
export type InventoryMode = 'replace' | 'difference';

/** One flag of the integration settings, in the shape Purple Dot's SDK reads (`FlagConfig`, observed in the SDK). */
export type FlagConfig =
  | { type: 'boolean'; flag: string; enabled: boolean }
  | { type: 'variation'; flag: string; variations: { variation: string; weight: number }[] };

export interface StoreSettings {
  id: string;
  name: string;
  public_api_key: string;
  private_access_token: string;
  shared_secret: string;
  currency: string;
  /** Operations setting "Watch inventory levels in Shopify" (documented). */
  watch_inventory: boolean;
  shipping_cents: number;
  /** See the spec's `updateInventory`; a setting of the store, kept through reset and scenario loads. */
  inventory_mode: InventoryMode;
  /** What `GET /api/v1/integration-settings` answers; a setting of the store, kept through reset and scenario loads. */
  flags: FlagConfig[];
}

export interface Product {
  id: string;
  handle: string;
  title: string;
  variant_ids: string[];
}

export interface Variant {
  id: string;
  product_id: string;
  sku: string;
  title: string;
  price_cents: number;
  taxable: boolean;
  tax_rate: number;
  tax_title: string;
  /** The merchant's own platform stock (`available_in_stock`). */
  own_stock: number;
}

export interface WaitlistAllocation {
  variant_id: string;
  /** The variant's own units; null on a per-product waitlist, whose units the product's variants share. */
  buy_size: number | null;
  committed: number;
}

export interface Waitlist {
  id: string;
  product_id: string;
  state: WaitlistState;
  created_at: string;
  updated_at: string;
  launch_date: string | null;
  scheduled_pause_date: string | null;
  earliest_ship_date: string;
  latest_ship_date: string;
  display_dispatch_date: string;
  labels: string[];
  /** Units shared by every variant of a per-product waitlist (documented: units "by SKU or total"); null when allocated per variant. */
  product_buy_size: number | null;
  allocations: WaitlistAllocation[];
}

export interface Address {
  first_name: string;
  last_name: string;
  address1: string;
  address2: string | null;
  city: string;
  postal_code: string;
  province_code: string | null;
  country: string;
  country_code: string;
  phone: string | null;
}

export interface LineItem {
  id: string;
  variant_id: string;
  product_id: string;
  sku: string;
  name: string;
  quantity: number;
  price_cents: number;
  discount_cents: number;
  tax_cents: number;
  tax_rate: number;
  tax_title: string;
  taxable: boolean;
  waitlist_id: string;
  earliest_ship_date: string;
  latest_ship_date: string;
  estimated_ship_dates: string;
  status: LineStatus;
  cancelled_at: string | null;
  exported_at: string | null;
  /** Platform order ID of the export that took this line. */
  external_order_id: string | null;
  external_line_item_id: string | null;
  refunded_quantity: number;
}

export interface ExportedOrder {
  id: string;
  index: number;
  order_number: string;
  created_at: string;
  line_item_ids: string[];
  fulfillment_order_id: string;
  refunded_cents: number;
}

export interface PreOrder {
  id: string;
  /** Position in creation order; creation order is also `created_at` order because the clock never runs back. */
  seq: number;
  reference: string;
  order_number: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  external_customer_id: string | null;
  shipping_address: Address;
  currency: string;
  discount_codes: string[];
  shipping_cents: number;
  created_at: string;
  updated_at: string;
  /** Increases on every change; orders the update-time view. */
  update_seq: number;
  cancelled_at: string | null;
  cancel_reason: string | null;
  line_items: LineItem[];
  exported_orders: ExportedOrder[];
  refunded_cents: number;
  shipping_refunded: boolean;
}

export interface TrackingInfo {
  number?: string;
  company?: string;
  url?: string;
}

export interface Fulfillment {
  id: string;
  created_at: string;
  notify_customer: boolean;
  tracking_info: TrackingInfo | null;
  lines: { line_item_id: string; quantity: number }[];
}

export interface FulfillmentOrder {
  id: string;
  pre_order_id: string;
  index: number;
  status: FulfillmentStatus;
  created_at: string;
  updated_at: string;
  lines: { line_item_id: string; fulfilled_quantity: number }[];
  fulfillments: Fulfillment[];
}

export interface InventoryLevel {
  sku: string;
  available_units: number;
  /** Units the simulator may still export for this SKU (see the /inventory description in the spec). */
  export_budget: number;
  updated_at: string;
}

export interface RefundRecord {
  id: string;
  order: string;
  /** Canonical JSON of the request, to tell a replay from a conflicting reuse of the key. */
  payload: string;
  amount_cents: number;
  currency: string;
  created_at: string;
}

/** One point of a SKU's unit history: [epoch ms, open, canceled, exported]. */
export type UnitPoint = [number, number, number, number];

export interface Counters {
  ids: number;
  references: number;
  external_orders: number;
  external_line_items: number;
  updates: number;
}

/** A webhook trigger (see `WebhookEvent` in the control spec): W1 `waitlist.*`, W2 `pre_order.*`. */
export type WebhookEventName =
  | 'waitlist.created' | 'waitlist.stock_changed' | 'waitlist.pre_orders_changed' | 'waitlist.paused'
  | 'pre_order.created' | 'pre_order.updated' | 'pre_order.cancelled';

export interface WebhookSubscription {
  id: string;
  url: string;
  events: WebhookEventName[];
  created_at: string;
}

export interface WebhookFaults {
  duplicate: number;
  out_of_order: number;
  delay: number;
  delay_ms: number;
  tampered_signature: number;
  seed: number;
}

export interface WebhookSettings {
  backoff_ms: [number, number];
  timeout_ms: number;
  faults: WebhookFaults;
}

/** The store's webhook subscriptions and how they are delivered: the merchant's settings, kept like credentials. */
export interface WebhookState {
  /** The last subscription number handed out, so an id is never handed out twice. */
  seq: number;
  subscriptions: WebhookSubscription[];
  settings: WebhookSettings;
}

export type StoreData = {
  settings: StoreSettings;
  seed: number;
  counters: Counters;
  products: Product[];
  variants: Variant[];
  waitlists: Waitlist[];
  pre_orders: PreOrder[];
  fulfillment_orders: FulfillmentOrder[];
  inventory: InventoryLevel[];
  refunds: RefundRecord[];
  unit_history: Record<string, UnitPoint[]>;
  /** Absent only in snapshots made before webhooks; a store without it has no subscriptions. */
  webhooks?: WebhookState;
};
