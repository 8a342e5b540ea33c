import { describe, expect, it } from 'vitest';
import { scenarios } from '../../scenarios/index.ts';
import { startHarness, type Harness } from '../support/simulator.ts';

/** Raw bytes of a walk over every read of both APIs, so any difference anywhere shows. */
async function walk(h: Harness): Promise<string[]> {
  const store = h.sim.engine.defaultStore().state.data;
  const key = `api_key=${store.settings.public_api_key}`;
  const headers = { 'X-Purple-Dot-Access-Token': store.settings.private_access_token };
  const paths = [
    `/api/v1/waitlists?${key}`,
    ...store.products.map((p) => `/api/v1/availability?${key}&product_id=${p.id}`),
    ...store.products.map((p) => `/api/v1/products/preorder-state?${key}&handle=${p.handle}`),
    ...store.variants.map((v) => `/api/v1/variants/preorder-state?${key}&variant_id=${v.id}`),
    '/admin/api/v1/waitlists?limit=100',
    '/admin/api/v1/pre-orders?limit=200',
    '/admin/api/v1/pre-orders/count',
    ...store.variants.map((v) => `/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent(v.sku)}`),
    '/admin/api/v1/fulfillment-orders?limit=250',
  ];
  const bodies: string[] = [];
  for (const path of paths) {
    const res = await fetch(`${h.url}${path}`, { headers });
    bodies.push(`${res.status} ${res.headers.get('link')?.replace(h.url, '') ?? ''} ${await res.text()}`);
  }
  return bodies;
}

describe('determinism', () => {
  const small = scenarios.filter((s) => s.name !== 'large-catalogue');

  it.each(small.map((s) => s.name))('answers byte-identically from two simulators with scenario %s and the same seed', async (name) => {
    const [a, b] = await Promise.all([startHarness({ scenario: name, seed: 42 }), startHarness({ scenario: name, seed: 42 })]);
    try {
      const [left, right] = await Promise.all([walk(a), walk(b)]);
      expect(left.length).toBeGreaterThan(5);
      expect(left).toEqual(right);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('builds different data from a different seed', async () => {
    const [a, b] = await Promise.all([startHarness({ seed: 1 }), startHarness({ seed: 2 })]);
    try {
      expect(await walk(a)).not.toEqual(await walk(b));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('gives the same new IDs and references to the same placement in two simulators', async () => {
    const [a, b] = await Promise.all([startHarness(), startHarness()]);
    try {
      const variant = a.sim.engine.defaultStore().state.data.variants[0]!;
      const body = { email: 'same@example.com', lines: [{ variant_id: variant.id, quantity: 1 }] };
      const [left, right] = await Promise.all([a.control('POST', '/__sim/pre-orders', body), b.control('POST', '/__sim/pre-orders', body)]);
      expect(left.status).toBe(201);
      expect(left.body).toEqual(right.body);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
