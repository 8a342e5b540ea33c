/**
 * Small HTTP steps over the simulator harness, shared by the domain and end-to-end tests.
 * Where two tests need a step to behave differently, each behaviour has its own name.
 */
import { expect, onTestFinished } from 'vitest';
import { startHarness, type Harness, type Reply } from './simulator.ts';

export type Query = Record<string, string>;
export interface Line { variant_id: string; quantity: number }
export interface Units { open_units: number; canceled_units: number; exported_units: number }
export interface UnitsReply extends Units { sku: string; at_time: string }

// ── Simulators

/** A simulator of its own for one test, closed when the test ends. */
export async function fresh(scenario: string): Promise<Harness> {
  const h = await startHarness({ scenario });
  onTestFinished(() => h.close());
  return h;
}

// ── The simulator clock

/** The simulator time now, as an ISO string. */
export async function now(h: Harness): Promise<string> {
  const res = await h.control('GET', '/__sim/clock');
  expect(res.status).toBe(200);
  return res.body.data.now;
}

/** Moves the simulator clock on by a number of seconds. */
export const advance = (h: Harness, seconds: number): Promise<Reply> => h.control('POST', '/__sim/clock/advance', { seconds });

/** An ISO time moved by some milliseconds. */
export const plus = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();

// ── Waitlists

/** Every waitlist of the store, through the private API. */
export async function waitlists(h: Harness): Promise<any[]> {
  const res = await h.privateGet('/admin/api/v1/waitlists', { limit: 100 });
  expect(res.status).toBe(200);
  return res.body.data.waitlists;
}

/** One waitlist by id, which must exist. */
export async function waitlist(h: Harness, id: string): Promise<any> {
  const found = (await waitlists(h)).find((w) => w.id === id);
  expect(found).toBeDefined();
  return found;
}

/** The availability figures of one variant of a waitlist. */
export const variantOf = (w: any, variantId: string): any => w.availability.variants.find((v: any) => v.variant_id === variantId);

/** Moves the first waitlist (the scheduled-launch one) to LIVE with any further changes, and returns it. */
async function goLive(h: Harness, changes: (scheduled: any) => Record<string, unknown>): Promise<any> {
  const [scheduled] = await waitlists(h);
  const res = await h.control('PATCH', `/__sim/waitlists/${scheduled.id}`, { state: 'LIVE', ...changes(scheduled) });
  expect(res.status).toBe(200);
  expect(res.body.data.state).toBe('LIVE');
  return res.body.data;
}

/** The scheduled-launch product, moved to LIVE: a waitlist with no pre-orders on it yet. */
export const launched = (h: Harness): Promise<any> => goLive(h, () => ({}));

/** Like `launched`, but every variant also gets this buy size as it goes LIVE. */
export const launchedWithBuySize = (h: Harness, buySize: number): Promise<any> =>
  goLive(h, (scheduled) => ({ variants: scheduled.availability.variants.map((v: any) => ({ variant_id: v.variant_id, buy_size: buySize })) }));

// ── Placing and cancelling pre-orders

/** The reply to POST /__sim/pre-orders, whatever its status (for tests of refused placements). */
export const postPreOrder = (h: Harness, email: string, lines: Line[]): Promise<Reply> =>
  h.control('POST', '/__sim/pre-orders', { email, lines });

/** Places a pre-order that must be accepted (201) and returns it. */
export async function place(h: Harness, email: string, lines: Line[]): Promise<any> {
  const res = await postPreOrder(h, email, lines);
  expect(res.status).toBe(201);
  return res.body.data;
}

/** Places a pre-order, then moves the clock a minute on so creation times differ. */
export async function placeThenTick(h: Harness, email: string, lines: Line[]): Promise<any> {
  const order = await place(h, email, lines);
  await advance(h, 60);
  return order;
}

/** The reply to cancelling some lines (or, without line ids, every open line) of a pre-order. */
export const cancel = (h: Harness, order: any, body: { reason: string; line_item_ids?: string[] }): Promise<Reply> =>
  h.control('POST', `/__sim/pre-orders/${order.id}/cancel`, body);

// ── Reading pre-orders

/** The one pre-order with this reference, as the private list shows it. */
export async function preOrder(h: Harness, reference: string): Promise<any> {
  const res = await h.privateGet('/admin/api/v1/pre-orders', { references: reference });
  expect(res.body.data.orders).toHaveLength(1);
  return res.body.data.orders[0];
}

/** Every pre-order the list returns under the filters, following the cursor page by page. */
export async function listAll(h: Harness, filter: Query = {}, limit = 200): Promise<any[]> {
  const orders: any[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page += 1) {
    const res = await h.privateGet('/admin/api/v1/pre-orders', { ...filter, limit, ...(cursor ? { starting_after: cursor } : {}) });
    expect(res.status, JSON.stringify(filter)).toBe(200);
    orders.push(...res.body.data.orders);
    if (!res.body.data.has_more) return orders;
    cursor = res.body.data.starting_after;
  }
  throw new Error('the cursor never ends');
}

/** Like `listAll`, but also checks every page: its size, its cursor and no Link header on the last one. */
export async function listAllCheckingPages(h: Harness, filter: Query, limit: number): Promise<any[]> {
  const orders: any[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page += 1) {
    const res = await h.privateGet('/admin/api/v1/pre-orders', { ...filter, limit, ...(cursor ? { starting_after: cursor } : {}) });
    expect(res.status, JSON.stringify(filter)).toBe(200);
    const { orders: items, has_more, starting_after } = res.body.data;
    expect(items.length).toBeLessThanOrEqual(limit);
    orders.push(...items);
    if (!has_more) {
      expect(starting_after).toBeNull();
      expect(res.headers.get('link')).toBeNull();
      return orders;
    }
    // Creation order resumes after the last item's ID (documented); update order after a signed cursor.
    if (filter.updated_at_min === undefined) expect(starting_after).toBe(items[items.length - 1].id);
    else expect(starting_after).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(res.headers.get('link')).toContain(`starting_after=${starting_after}`);
    cursor = starting_after;
  }
  throw new Error('the cursor never ends');
}

/** GET /pre-orders/count under the filters. */
export async function count(h: Harness, filter: Query = {}): Promise<number> {
  const res = await h.privateGet('/admin/api/v1/pre-orders/count', filter);
  expect(res.status, JSON.stringify(filter)).toBe(200);
  return res.body.data.count;
}

/** The whole count-units reply for a SKU (with sku and at_time), now or as of `atTime`. */
export async function unitsReply(h: Harness, sku: string, atTime?: string): Promise<UnitsReply> {
  const res = await h.privateGet(`/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent(sku)}`, atTime ? { at_time: atTime } : {});
  expect(res.status).toBe(200);
  return res.body.data;
}

/** Only the open, canceled and exported units of a SKU, for comparing figures with toEqual. */
export async function units(h: Harness, sku: string): Promise<Units> {
  const { open_units, canceled_units, exported_units } = await unitsReply(h, sku);
  return { open_units, canceled_units, exported_units };
}

// ── Stock, snapshots and money

/** Posts a stock level for a SKU, which must be accepted and echoed back. */
export async function postInventory(h: Harness, sku: string, availableUnits: number): Promise<void> {
  const res = await h.privatePost('/admin/api/v1/inventory', { sku, available_units: availableUnits });
  expect(res.status).toBe(201);
  expect(res.body.data).toEqual({ sku, available_units: availableUnits });
}

/** The whole simulator state, as GET /__sim/snapshot returns it. */
export async function snapshot(h: Harness): Promise<any> {
  return (await h.control('GET', '/__sim/snapshot')).body.data;
}

/** A money string in integer cents. */
export const cents = (money: string): number => Number(money.replace('.', ''));
