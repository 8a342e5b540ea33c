import { describe, expect, it } from 'vitest';
import { signShopperToken } from '../../src/client/shopper-token.ts';
import { credentials, harnessPerTest, type Harness } from '../support/simulator.ts';

/**
 * A shopper's pre-orders (P5) over HTTP, written from the kept JSON of each presented order (present/public.ts),
 * against `JSON.stringify` of the same answer freshly presented in-process: after every kind of change a
 * shopper's order can go through, the same bytes.
 */
const harness = harnessPerTest();

/** The shopper credential for `email` at the store's time (a manual clock). */
function shopperQuery(h: Harness, email: string, extra: Record<string, string> = {}): Record<string, string> {
  const timestamp = Math.floor(h.sim.engine.defaultStore().clock.now().getTime() / 1000);
  return { api_key: credentials.public_api_key, email, timestamp: String(timestamp), token: signShopperToken(email, timestamp, credentials.shared_secret), ...extra };
}

/** P5's answer for the shopper over HTTP (asked twice: the second from what the first left kept) and afresh in-process. */
async function expectFreshAnswer(h: Harness, email: string, extra: Record<string, string> = {}): Promise<string> {
  const query = shopperQuery(h, email, extra);
  const url = `${h.url}/api/v1/pre-orders?${new URLSearchParams(query)}`;
  await fetch(url).then((res) => res.arrayBuffer());
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  const fresh = h.sim.engine.dispatchRaw('listShopperPreOrders', { query });
  expect(fresh.status).toBe(200);
  const text = JSON.stringify(fresh.body);
  expect(bytes.toString('utf8')).toBe(text);
  expect(bytes.equals(Buffer.from(text))).toBe(true);
  expect(res.headers.get('content-length')).toBe(String(bytes.length));
  return text;
}

interface Line { id: string; sku: string; cancelled: boolean; shopify_line_item_id: string | null }
interface Order { id: string; currency: string; customer: { email: string }; line_items: Line[]; exported_orders: { id: string }[] }

async function orders(h: Harness): Promise<Order[]> {
  return (await h.privateGet('/admin/api/v1/pre-orders', { limit: 200 })).body.data.orders;
}

describe("a shopper's pre-orders over HTTP, written from kept JSON", () => {
  it('are byte-identical to a fresh answer after an export, a cancellation, a refund and a new placement', async () => {
    const h = await harness('on-preorder');
    const all = await orders(h);
    // A shopper with an order not exported (an exported line cannot be cancelled).
    const cancel = all.find((o) => o.line_items.length > 0 && o.line_items.every((l) => !l.cancelled && !l.shopify_line_item_id))!;
    const email = cancel.customer.email;
    let last = await expectFreshAnswer(h, email);
    await expectFreshAnswer(h, email, { limit: '1' });

    expect((await h.control('POST', `/__sim/pre-orders/${cancel.id}/cancel`, { reason: 'CUSTOMER' })).status).toBe(200);
    const cancelled = await expectFreshAnswer(h, email);
    expect(cancelled).not.toBe(last);
    last = cancelled;

    const line = all.filter((o) => o.customer.email === email && o.id !== cancel.id).flatMap((o) => o.line_items).find((l) => !l.cancelled && !l.shopify_line_item_id);
    if (line) {
      expect((await h.privatePost('/admin/api/v1/inventory', { sku: line.sku, available_units: 1 })).status).toBe(201);
      const exported = await expectFreshAnswer(h, email);
      expect(exported).not.toBe(last);
      last = exported;
    }

    const refundable = (await orders(h)).find((o) => o.customer.email === email && o.line_items.some((l) => l.shopify_line_item_id && !l.cancelled));
    if (refundable) {
      const refundLine = refundable.line_items.find((l) => l.shopify_line_item_id && !l.cancelled)!;
      const refunded = await h.privatePost('/admin/api/v1/refund', {
        id: 'shopper-cache-refund', order: refundable.exported_orders[0]!.id, line_items: [{ id: refundLine.shopify_line_item_id, quantity: 1 }],
      });
      expect(refunded.status).toBe(201);
      last = await expectFreshAnswer(h, email);
    }

    const variant = (await h.privateGet('/admin/api/v1/waitlists')).body.data.waitlists
      .flatMap((w: { state: string; availability: { variants: { variant_id: string }[] } }) => (w.state === 'LIVE' ? w.availability.variants : []))[0];
    const placed = await h.control('POST', '/__sim/pre-orders', { email, customer: { first_name: 'Zoë 🎉', last_name: 'Ünal' }, lines: [{ variant_id: variant.variant_id, quantity: 1 }] });
    expect(placed.status).toBe(201);
    expect(await expectFreshAnswer(h, email)).not.toBe(last);
  });

  it('are byte-identical to a fresh answer after a reset, a scenario load and a snapshot import', async () => {
    const h = await harness('partially-exported');
    const email = (await orders(h))[0]!.customer.email;
    const original = await expectFreshAnswer(h, email);
    const snapshot = (await h.control('GET', '/__sim/snapshot')).body.data;
    expect((await h.control('POST', '/__sim/scenario', { name: 'mixed-catalogue' })).status).toBe(200);
    const other = (await orders(h))[0]!.customer.email;
    await expectFreshAnswer(h, other);
    await expectFreshAnswer(h, email);
    expect((await h.control('POST', '/__sim/reset')).status).toBe(200);
    await expectFreshAnswer(h, other);
    expect((await h.control('PUT', '/__sim/snapshot', snapshot)).status).toBe(200);
    expect(await expectFreshAnswer(h, email)).toBe(original);
  });

  it('keep their own objects for in-process callers, which may change them', () => {
    return harness('on-preorder').then(async (h) => {
      const email = (await orders(h))[0]!.customer.email;
      const query = shopperQuery(h, email);
      const first = h.sim.engine.dispatchRaw('listShopperPreOrders', { query }).body as { data: { orders: { id: string }[] } };
      first.data.orders[0]!.id = 'changed by the caller';
      const again = h.sim.engine.dispatchRaw('listShopperPreOrders', { query }).body as { data: { orders: { id: string }[] } };
      expect(again.data.orders[0]!.id).not.toBe('changed by the caller');
      await expectFreshAnswer(h, email);
    });
  });
});
