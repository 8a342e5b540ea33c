import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/http/app.ts';
import { harnessPerTest, privateHeaders, type Harness } from '../support/simulator.ts';

/**
 * The bytes of a page of pre-orders over HTTP, written from the store's kept JSON of each order (and of the
 * last pages), against `JSON.stringify` of the same page freshly presented in-process: after every kind of
 * change an order can go through, they must be the same bytes.
 */
const harness = harnessPerTest();

const QUERIES: Record<string, string>[] = [{ limit: '50' }, { limit: '200' }, { limit: '7' }, { updated_at_min: '2000-01-01T00:00:00Z', limit: '13' }];

/** The raw answer to a page over HTTP, twice (the second from what the first left kept). */
async function pageOverHttp(h: Harness, query: Record<string, string>): Promise<{ bytes: Buffer; headers: Headers }> {
  const url = `${h.url}/admin/api/v1/pre-orders?${new URLSearchParams(query)}`;
  await fetch(url, { headers: privateHeaders }).then((res) => res.arrayBuffer());
  const res = await fetch(url, { headers: privateHeaders });
  expect(res.status).toBe(200);
  return { bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

/** The same page presented afresh in-process, as JSON.stringify writes it. */
function freshPage(h: Harness, query: Record<string, string>): string {
  const answer = h.sim.engine.dispatchRaw('listPreOrders', { query, headers: privateHeaders });
  expect(answer.status).toBe(200);
  return JSON.stringify(answer.body);
}

/** Every query's page over HTTP is the fresh page, byte for byte; returns the first page's text. */
async function expectFreshPages(h: Harness): Promise<string> {
  const texts: string[] = [];
  for (const query of QUERIES) {
    const { bytes, headers } = await pageOverHttp(h, query);
    const fresh = freshPage(h, query);
    expect(bytes.toString('utf8')).toBe(fresh);
    expect(bytes.equals(Buffer.from(fresh))).toBe(true);
    expect(headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(headers.get('content-length')).toBe(String(bytes.length));
    texts.push(fresh);
  }
  return texts[0]!;
}

interface PresentedLine { sku: string; cancelled: boolean; shopify_line_item_id: string | null }
interface PresentedOrder { id: string; currency: string; line_items: PresentedLine[]; exported_orders: { id: string }[] }

async function orders(h: Harness): Promise<PresentedOrder[]> {
  return (await h.privateGet('/admin/api/v1/pre-orders', { limit: 200 })).body.data.orders;
}

describe('a page of pre-orders over HTTP, written from kept JSON', () => {
  it('answered from the cache is byte-identical to a freshly presented one after a refund', async () => {
    const h = await harness('ready-to-fulfil');
    const before = await expectFreshPages(h);
    const order = (await orders(h)).find((o) => o.exported_orders.length > 0 && o.line_items.some((l) => l.shopify_line_item_id))!;
    const line = order.line_items.find((l) => l.shopify_line_item_id)!;
    const refunded = await h.privatePost('/admin/api/v1/refund', {
      id: 'cache-refund', order: order.exported_orders[0]!.id, line_items: [{ id: line.shopify_line_item_id, quantity: 1 }],
    });
    expect(refunded.status).toBe(201);
    expect(await expectFreshPages(h)).not.toBe(before);
    // An appeasement changes only the amount refunded.
    const appeased = await h.privatePost('/admin/api/v1/refund', { id: 'cache-appeasement', order: order.exported_orders[0]!.id, amount: '0.01', currency: order.currency });
    expect(appeased.status).toBe(201);
    await expectFreshPages(h);
  });

  it('answered from the cache is byte-identical to a freshly presented one after an export, a cancellation and a fulfilment', async () => {
    const h = await harness('on-preorder');
    let last = await expectFreshPages(h);
    const open = (await orders(h)).filter((o) => o.line_items.some((l) => !l.cancelled && !l.shopify_line_item_id));
    expect(open.length).toBeGreaterThan(1);
    const sku = open[0]!.line_items.find((l) => !l.cancelled && !l.shopify_line_item_id)!.sku;
    expect((await h.privatePost('/admin/api/v1/inventory', { sku, available_units: 1 })).status).toBe(201);
    const exported = await expectFreshPages(h);
    expect(exported).not.toBe(last);
    last = exported;

    const cancel = open.find((o) => !o.line_items.some((l) => l.sku === sku))!;
    expect((await h.control('POST', `/__sim/pre-orders/${cancel.id}/cancel`, { reason: 'CUSTOMER' })).status).toBe(200);
    const cancelled = await expectFreshPages(h);
    expect(cancelled).not.toBe(last);

    const [fo] = (await h.privateGet('/admin/api/v1/fulfillment-orders')).body.data.fulfillment_orders;
    expect((await h.privatePost('/admin/api/v1/fulfillment', { fulfillment: { fulfillment_order_id: fo.id } })).status).toBe(201);
    await expectFreshPages(h);
  });

  it('answered from the cache is byte-identical to a freshly presented one after a reset, a scenario load and a snapshot import', async () => {
    const h = await harness('partially-exported');
    const original = await expectFreshPages(h);
    const snapshot = (await h.control('GET', '/__sim/snapshot')).body.data;
    expect((await h.control('POST', '/__sim/scenario', { name: 'mixed-catalogue' })).status).toBe(200);
    expect(await expectFreshPages(h)).not.toBe(original);
    expect((await h.control('POST', '/__sim/reset')).status).toBe(200);
    await expectFreshPages(h);
    expect((await h.control('PUT', '/__sim/snapshot', snapshot)).status).toBe(200);
    expect(await expectFreshPages(h)).toBe(original);
  });

  it('writes names outside ASCII as the UTF-8 that res.json writes', async () => {
    const h = await harness('on-preorder');
    const [order] = await orders(h);
    const variant = (await h.privateGet('/admin/api/v1/waitlists')).body.data.waitlists
      .flatMap((w: { state: string; availability: { variants: { variant_id: string }[] } }) => (w.state === 'LIVE' ? w.availability.variants : []))[0];
    const placed = await h.control('POST', '/__sim/pre-orders', {
      email: 'zoe@example.com', customer: { first_name: 'Zoë 🎉', last_name: 'Ünal' }, lines: [{ variant_id: variant.variant_id, quantity: 1 }],
    });
    expect(placed.status).toBe(201);
    expect(order).toBeDefined();
    const { bytes } = await pageOverHttp(h, { limit: '200' });
    expect(bytes.toString('utf8')).toContain('Zoë 🎉');
    expect(bytes.equals(Buffer.from(freshPage(h, { limit: '200' })))).toBe(true);
  });

  it('answers HEAD with the same headers as GET and no body', async () => {
    const h = await harness('on-preorder');
    const get = await pageOverHttp(h, { limit: '5' });
    const head = await fetch(`${h.url}/admin/api/v1/pre-orders?limit=5`, { method: 'HEAD', headers: privateHeaders });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(get.headers.get('content-length'));
    expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });
});

describe('a simulator mounted in an app with JSON settings of its own', () => {
  let sim: Simulator | undefined;
  afterEach(() => sim?.engine.close());

  it('writes pages as that app’s res.json does (json spaces kept)', async () => {
    sim = createSimulator({ scenario: 'on-preorder' });
    const parent = express();
    parent.set('json spaces', 2);
    parent.use(sim.app);
    const server = parent.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/admin/api/v1/pre-orders?limit=3`, { headers: privateHeaders });
      const fresh = sim.engine.dispatchRaw('listPreOrders', { query: { limit: '3' }, headers: privateHeaders });
      expect(await res.text()).toBe(JSON.stringify(fresh.body, null, 2));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
