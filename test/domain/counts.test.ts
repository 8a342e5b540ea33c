import { describe, expect, it } from 'vitest';
import type { Harness } from '../support/simulator.ts';
import { advance, count, fresh, listAllCheckingPages, now, plus, unitsReply, type Query } from '../support/steps.ts';

/**
 * mixed-catalogue (open, cancelled and exported lines, a closed waitlist) plus later changes at known
 * times: a two-line order with one line cancelled and one exported, a cancellation and a new order.
 */
async function busyStore(h: Harness): Promise<{ changedFrom: string; mixed: any }> {
  const waitlists = (await h.privateGet('/admin/api/v1/waitlists', { limit: 100 })).body.data.waitlists;
  const live = waitlists.find((w: any) => w.state === 'LIVE' && w.availability.variants.length >= 2 && w.availability.variants.every((v: any) => v.available > 2));
  const [a, b] = live.availability.variants;
  await advance(h, 3600);
  const changedFrom = await now(h);
  const mixed = (await h.control('POST', '/__sim/pre-orders', { email: 'Mixed.Case@Example.com', lines: [{ variant_id: a.variant_id, quantity: 1 }, { variant_id: b.variant_id, quantity: 1 }] })).body.data;
  await advance(h, 60);
  expect((await h.control('POST', `/__sim/pre-orders/${mixed.id}/cancel`, { reason: 'CUSTOMER', line_item_ids: [mixed.line_items[1].id] })).status).toBe(200);
  await advance(h, 60);
  const open = (await unitsReply(h, a.sku)).open_units;
  const level = (await h.privatePost('/admin/api/v1/inventory', { sku: a.sku, available_units: 1 })).body.data.available_units;
  // The first post may not reach the newest order; raise until every open unit of a is out.
  expect((await h.privatePost('/admin/api/v1/inventory', { sku: a.sku, available_units: level + open })).status).toBe(201);
  await advance(h, 60);
  const all = await listAllCheckingPages(h, {}, 200);
  const mixedNow = all.find((o) => o.id === mixed.id);
  expect(mixedNow.line_items.map((l: any) => [l.cancelled, l.shopify_line_item_id !== null])).toEqual([[false, true], [true, false]]);
  const openOrder = all.find((o) => o.cancelled_at === null && o.line_items.every((l: any) => !l.cancelled && l.shopify_line_item_id === null));
  expect((await h.control('POST', `/__sim/pre-orders/${openOrder.id}/cancel`, { reason: 'MERCHANT' })).status).toBe(200);
  await advance(h, 60);
  expect((await h.control('POST', '/__sim/pre-orders', { email: 'late@example.com', lines: [{ variant_id: b.variant_id, quantity: 2 }] })).status).toBe(201);
  return { changedFrom, mixed };
}

describe('GET /pre-orders/count', () => {
  it('equals the length of the unpaginated list for many filter combinations', async () => {
    const h = await fresh('mixed-catalogue');
    const { changedFrom, mixed } = await busyStore(h);
    const all = await listAllCheckingPages(h, {}, 200);
    expect(all.length).toBeGreaterThan(10);
    const middle = all[Math.floor(all.length / 2)];
    const skus = [...new Set(all.flatMap((o) => o.line_items.map((l: any) => l.sku)))] as string[];
    const references = [all[0].reference, middle.reference, all[all.length - 1].reference, '#PD0000000'].join(',');
    const emails = all.map((o) => o.customer.email as string);

    const filters: Query[] = [
      {},
      { created_at_min: middle.created_at },
      { created_at_min: plus(all[all.length - 1].created_at, 1) },
      { updated_at_min: changedFrom },
      { updated_at_max: changedFrom },
      { updated_at_min: changedFrom, updated_at_max: plus(changedFrom, 150_000) },
      { references },
      { skus: skus[0]! },
      { skus: skus.slice(0, 3).join(',') },
      { skus: 'NO-SUCH-SKU' },
      { email: emails[3]!.toUpperCase() },
      { email: mixed.customer.email.toLowerCase() },
      { all_line_items: 'cancelled' },
      { all_line_items: 'exported' },
      { all_line_items: 'cancelled,exported' },
      { some_line_item: 'cancelled' },
      { some_line_item: 'exported' },
      { some_line_item: 'exported,cancelled' },
      { skus: skus[0]!, some_line_item: 'exported' },
      { skus: skus.join(','), all_line_items: 'cancelled' },
      { email: emails[0]!, created_at_min: all[0].created_at },
      { created_at_min: middle.created_at, all_line_items: 'cancelled,exported' },
      { updated_at_min: changedFrom, some_line_item: 'cancelled' },
      { updated_at_min: changedFrom, skus: skus.slice(0, 2).join(',') },
      { updated_at_max: changedFrom, some_line_item: 'exported' },
      { references, some_line_item: 'cancelled' },
      { references: mixed.reference, all_line_items: 'cancelled,exported', email: mixed.customer.email },
    ];
    const counts: number[] = [];
    for (const filter of filters) {
      const listed = await listAllCheckingPages(h, filter, 7);
      const counted = await count(h, filter);
      expect.soft(counted, JSON.stringify(filter)).toBe(listed.length);
      expect.soft(new Set(listed.map((o) => o.id)).size, JSON.stringify(filter)).toBe(listed.length);
      counts.push(counted);
    }
    // The filters do filter: some match nothing, some a part, none more than everything.
    expect(counts[0]).toBe(all.length);
    expect(counts.some((c) => c === 0)).toBe(true);
    expect(counts.filter((c) => c > 0 && c < all.length).length).toBeGreaterThan(filters.length / 2);
  });

  it('gives the same list whatever the page size', async () => {
    const h = await fresh('mixed-catalogue');
    const { changedFrom } = await busyStore(h);
    const filters: Query[] = [{}, { updated_at_min: changedFrom }, { some_line_item: 'cancelled' }];
    for (const filter of filters) {
      const ids = (await listAllCheckingPages(h, filter, 200)).map((o) => o.id);
      expect((await listAllCheckingPages(h, filter, 1)).map((o) => o.id)).toEqual(ids);
      expect((await listAllCheckingPages(h, filter, 3)).map((o) => o.id)).toEqual(ids);
      expect(await count(h, filter)).toBe(ids.length);
    }
  });

  it('ignores limit and starting_after', async () => {
    const h = await fresh('on-preorder');
    const all = await listAllCheckingPages(h, {}, 200);
    expect(await count(h, { limit: '1' })).toBe(all.length);
    expect(await count(h, { limit: '1', starting_after: all[0].id })).toBe(all.length);
  });
});

describe('GET /pre-orders/count-units/sku/{sku}', () => {
  it('answers as of at_time from the kept history', async () => {
    const h = await fresh('scheduled-launch');
    const [scheduled] = (await h.privateGet('/admin/api/v1/waitlists')).body.data.waitlists;
    expect((await h.control('PATCH', `/__sim/waitlists/${scheduled.id}`, { state: 'LIVE' })).status).toBe(200);
    const [a] = scheduled.availability.variants;
    const place = async (quantity: number) => (await h.control('POST', '/__sim/pre-orders', { email: 'u@example.com', lines: [{ variant_id: a.variant_id, quantity }] })).body.data;

    const t0 = await now(h);
    const first = await place(3);
    await advance(h, 60);
    const t1 = await now(h);
    await place(2);
    await advance(h, 60);
    const t2 = await now(h);
    expect((await h.control('POST', `/__sim/pre-orders/${first.id}/cancel`, { reason: 'CUSTOMER' })).status).toBe(200);
    await advance(h, 60);
    const t3 = await now(h);
    expect((await h.privatePost('/admin/api/v1/inventory', { sku: a.sku, available_units: 2 })).status).toBe(201);
    await advance(h, 60);

    const figures = async (at?: string) => {
      const { open_units, canceled_units, exported_units } = await unitsReply(h, a.sku, at);
      return [open_units, canceled_units, exported_units];
    };
    expect(await figures(plus(t0, -1000))).toEqual([0, 0, 0]);
    expect(await figures(plus(t0, 30_000))).toEqual([3, 0, 0]);
    expect(await figures(plus(t1, 30_000))).toEqual([3 + 2, 0, 0]);
    expect(await figures(plus(t2, 30_000))).toEqual([2, 3, 0]);
    expect(await figures(plus(t3, 30_000))).toEqual([0, 3, 2]);
    expect(await figures()).toEqual([0, 3, 2]);

    const echoed = await unitsReply(h, a.sku, plus(t1, 30_000));
    expect(echoed.sku).toBe(a.sku);
    expect(echoed.at_time).toBe(plus(t1, 30_000));
    expect((await unitsReply(h, a.sku)).at_time).toBe(await now(h));
  });

  it('adds open, canceled and exported units up to every unit bought, for every SKU', async () => {
    for (const scenario of ['mixed-catalogue', 'partially-exported', 'refund-window']) {
      const h = await fresh(scenario);
      if (scenario === 'mixed-catalogue') await busyStore(h);
      const all = await listAllCheckingPages(h, {}, 200);
      const bought = new Map<string, { open: number; canceled: number; exported: number }>();
      for (const line of all.flatMap((o) => o.line_items)) {
        const entry = bought.get(line.sku) ?? { open: 0, canceled: 0, exported: 0 };
        if (line.cancelled) entry.canceled += line.quantity;
        else if (line.shopify_line_item_id !== null) entry.exported += line.quantity;
        else entry.open += line.quantity;
        bought.set(line.sku, entry);
      }
      expect(bought.size).toBeGreaterThan(0);
      for (const [sku, expected] of bought) {
        const counted = await unitsReply(h, sku);
        const total = expected.open + expected.canceled + expected.exported;
        expect(counted.open_units + counted.canceled_units + counted.exported_units, `${scenario} ${sku}`).toBe(total);
        expect([counted.open_units, counted.canceled_units, counted.exported_units], `${scenario} ${sku}`)
          .toEqual([expected.open, expected.canceled, expected.exported]);
      }
    }
  });

  it('answers zeros for a SKU nobody bought', async () => {
    const h = await fresh('on-preorder');
    const res = await unitsReply(h, 'NOBODY-BOUGHT-THIS');
    expect([res.open_units, res.canceled_units, res.exported_units]).toEqual([0, 0, 0]);
  });
});
