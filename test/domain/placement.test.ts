import { describe, expect, it } from 'vitest';
import { count, fresh, launched, listAll, place, postPreOrder, snapshot, unitsReply, variantOf, waitlist, waitlists } from '../support/steps.ts';

describe('placing a pre-order', () => {
  it('takes the units from the waitlist available, adds them to committed and raises the SKU open units', async () => {
    const h = await fresh('on-preorder');
    const live = (await waitlists(h)).find((w) => w.state === 'LIVE' && w.availability.variants.length >= 2);
    const [first, second] = live.availability.variants;
    const before = { first: await unitsReply(h, first.sku), second: await unitsReply(h, second.sku), count: await count(h) };
    const availabilityBefore = (await h.publicGet('/api/v1/availability', { product_id: live.availability.product.product_id })).body.data;

    const res = await postPreOrder(h, 'figures@example.com', [{ variant_id: first.variant_id, quantity: 3 }, { variant_id: second.variant_id, quantity: 2 }]);
    expect(res.status).toBe(201);
    expect(res.body.data.line_items.map((l: any) => [l.variant_id, l.quantity, l.cancelled, l.shopify_line_item_id]))
      .toEqual([[first.variant_id, 3, false, null], [second.variant_id, 2, false, null]]);

    const after = await waitlist(h, live.id);
    expect(variantOf(after, first.variant_id)).toMatchObject({ committed: first.committed + 3, available: first.available - 3, buy_size: first.buy_size });
    expect(variantOf(after, second.variant_id)).toMatchObject({ committed: second.committed + 2, available: second.available - 2, buy_size: second.buy_size });
    expect(after.availability.product.committed).toBe(live.availability.product.committed + 5);
    expect(after.availability.product.available).toBe(live.availability.product.available - 5);

    expect(await unitsReply(h, first.sku)).toMatchObject({ ...before.first, open_units: before.first.open_units + 3 });
    expect(await unitsReply(h, second.sku)).toMatchObject({ ...before.second, open_units: before.second.open_units + 2 });
    expect(await count(h)).toBe(before.count + 1);

    const availabilityAfter = (await h.publicGet('/api/v1/availability', { product_id: live.availability.product.product_id })).body.data;
    expect(availabilityAfter.available_stock).toBe(availabilityBefore.available_stock - 5);
  });

  it('is refused with 409 WAITLIST_NOT_LIVE while the variant waitlist is SCHEDULED', async () => {
    const h = await fresh('scheduled-launch');
    const [scheduled] = await waitlists(h);
    expect(scheduled.state).toBe('SCHEDULED');
    const res = await postPreOrder(h, 'early@example.com', [{ variant_id: scheduled.availability.variants[0].variant_id, quantity: 1 }]);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('WAITLIST_NOT_LIVE');
    expect(await count(h)).toBe(0);
  });

  it('is refused with 409 WAITLIST_NOT_LIVE while the variant waitlist is PAUSED', async () => {
    const h = await fresh('paused-waitlist');
    const paused = (await waitlists(h)).find((w) => w.state === 'PAUSED');
    expect(paused).toBeDefined();
    const variant = paused.availability.variants.find((v: any) => v.available > 0);
    const before = await count(h);
    const res = await postPreOrder(h, 'paused@example.com', [{ variant_id: variant.variant_id, quantity: 1 }]);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('WAITLIST_NOT_LIVE');
    expect(await count(h)).toBe(before);

    // Live again, the same placement goes through.
    expect((await h.control('PATCH', `/__sim/waitlists/${paused.id}`, { state: 'LIVE' })).status).toBe(200);
    expect((await postPreOrder(h, 'paused@example.com', [{ variant_id: variant.variant_id, quantity: 1 }])).status).toBe(201);
  });

  it('is refused with 409 WAITLIST_NOT_LIVE when no waitlist holds the variant', async () => {
    const h = await fresh('scheduled-launch');
    const [scheduled] = await waitlists(h);
    const variantId = scheduled.availability.variants[0].variant_id;
    expect((await h.control('PATCH', `/__sim/waitlists/${scheduled.id}`, { state: 'CLOSED' })).status).toBe(200);

    const closedOnly = await postPreOrder(h, 'none@example.com', [{ variant_id: variantId, quantity: 1 }]);
    expect(closedOnly.status).toBe(409);
    expect(closedOnly.body.error.code).toBe('WAITLIST_NOT_LIVE');

    // A DRAFT waitlist does not hold the product either.
    const draft = await h.control('POST', '/__sim/waitlists', {
      product_id: scheduled.availability.product.product_id,
      earliest_ship_date: scheduled.earliest_ship_date,
      latest_ship_date: scheduled.latest_ship_date,
      variants: [{ variant_id: variantId, buy_size: 5 }],
    });
    expect(draft.status).toBe(201);
    expect(draft.body.data.state).toBe('DRAFT');
    const withDraft = await postPreOrder(h, 'none@example.com', [{ variant_id: variantId, quantity: 1 }]);
    expect(withDraft.status).toBe(409);
    expect(withDraft.body.error.code).toBe('WAITLIST_NOT_LIVE');
    expect(await count(h)).toBe(0);
  });

  it('is refused with 409 WAITLIST_NOT_LIVE for a variant the LIVE waitlist of its product does not cover', async () => {
    const h = await fresh('scheduled-launch');
    const [scheduled] = await waitlists(h);
    const [covered, uncovered] = scheduled.availability.variants;
    expect((await h.control('PATCH', `/__sim/waitlists/${scheduled.id}`, { state: 'CLOSED' })).status).toBe(200);
    const partial = await h.control('POST', '/__sim/waitlists', {
      product_id: scheduled.availability.product.product_id,
      state: 'LIVE',
      earliest_ship_date: scheduled.earliest_ship_date,
      latest_ship_date: scheduled.latest_ship_date,
      variants: [{ variant_id: covered.variant_id, buy_size: 5 }],
    });
    expect(partial.status).toBe(201);

    const refused = await postPreOrder(h, 'uncovered@example.com', [{ variant_id: uncovered.variant_id, quantity: 1 }]);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('WAITLIST_NOT_LIVE');
    const placed = await postPreOrder(h, 'covered@example.com', [{ variant_id: covered.variant_id, quantity: 1 }]);
    expect(placed.status).toBe(201);
    expect(placed.body.data.line_items[0].waitlist_id).toBe(partial.body.data.id);
  });

  it('is refused with 409 INSUFFICIENT_WAITLIST_UNITS when fewer units are left than asked', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launched(h);
    const variant = live.availability.variants[0];

    const tooMany = await postPreOrder(h, 'greedy@example.com', [{ variant_id: variant.variant_id, quantity: variant.available + 1 }]);
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error.code).toBe('INSUFFICIENT_WAITLIST_UNITS');

    const exactly = await postPreOrder(h, 'exact@example.com', [{ variant_id: variant.variant_id, quantity: variant.available }]);
    expect(exactly.status).toBe(201);
    expect(variantOf(await waitlist(h, live.id), variant.variant_id)).toMatchObject({ committed: variant.buy_size, available: 0 });

    const oneMore = await postPreOrder(h, 'late@example.com', [{ variant_id: variant.variant_id, quantity: 1 }]);
    expect(oneMore.status).toBe(409);
    expect(oneMore.body.error.code).toBe('INSUFFICIENT_WAITLIST_UNITS');
  });

  it('counts two lines of the same variant together against the units left', async () => {
    const h = await fresh('scheduled-launch');
    const live = await launched(h);
    const variant = live.availability.variants[0];
    const firstPart = Math.ceil(variant.available / 2) + 1;
    const secondPart = variant.available - firstPart + 1;
    expect(firstPart).toBeLessThanOrEqual(variant.available);
    expect(secondPart).toBeLessThanOrEqual(variant.available);
    const res = await postPreOrder(h, 'split@example.com', [
      { variant_id: variant.variant_id, quantity: firstPart },
      { variant_id: variant.variant_id, quantity: secondPart },
    ]);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('INSUFFICIENT_WAITLIST_UNITS');
  });

  it('gives every pre-order a reference of #PD and 7 digits, unique in the store', async () => {
    const h = await fresh('on-preorder');
    const live = (await waitlists(h)).find((w) => w.state === 'LIVE');
    const variant = live.availability.variants.find((v: any) => v.available >= 5);
    const existing = await listAll(h);
    const placed: any[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await postPreOrder(h, `ref${i}@example.com`, [{ variant_id: variant.variant_id, quantity: 1 }]);
      expect(res.status).toBe(201);
      placed.push(res.body.data);
    }
    for (const order of placed) {
      expect(order.reference).toMatch(/^#PD[0-9]{7}$/);
      expect(order.order_number).toBe(order.reference.slice(1));
      expect(existing.map((o) => o.reference)).not.toContain(order.reference);
    }
    const all = await listAll(h);
    expect(all).toHaveLength(existing.length + placed.length);
    expect(new Set(all.map((o) => o.reference)).size).toBe(all.length);
    for (const order of all) expect(order.reference).toMatch(/^#PD[0-9]{7}$/);
  });

  it('changes nothing when it is refused', async () => {
    const h = await fresh('on-preorder');
    const live = (await waitlists(h)).filter((w) => w.state === 'LIVE');
    const [fits, tooSmall] = live[0].availability.variants;
    const before = await snapshot(h);
    const figures = { units: await unitsReply(h, fits.sku), count: await count(h) };

    // The first line would fit; the second asks for more than is left, so the whole order is refused.
    const refused = await postPreOrder(h, 'refused@example.com', [
      { variant_id: fits.variant_id, quantity: 1 },
      { variant_id: tooSmall.variant_id, quantity: tooSmall.available + 1 },
    ]);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('INSUFFICIENT_WAITLIST_UNITS');
    expect(await snapshot(h)).toEqual(before);
    expect(variantOf(await waitlist(h, live[0].id), fits.variant_id)).toMatchObject({ committed: fits.committed, available: fits.available });
    expect(await unitsReply(h, fits.sku)).toEqual(figures.units);
    expect(await count(h)).toBe(figures.count);

    // The same with a second line on a paused waitlist.
    expect((await h.control('PATCH', `/__sim/waitlists/${live[1].id}`, { state: 'PAUSED' })).status).toBe(200);
    const paused = await snapshot(h);
    const notLive = await postPreOrder(h, 'refused@example.com', [
      { variant_id: fits.variant_id, quantity: 1 },
      { variant_id: live[1].availability.variants[0].variant_id, quantity: 1 },
    ]);
    expect(notLive.status).toBe(409);
    expect(notLive.body.error.code).toBe('WAITLIST_NOT_LIVE');
    expect(await snapshot(h)).toEqual(paused);
    expect(await unitsReply(h, fits.sku)).toEqual(figures.units);
    expect(await count(h)).toBe(figures.count);
  });
});

describe('IDs across a reset or a scenario load', () => {
  it('gives what the API creates after a reset or a load IDs and references nothing had before, and the scenario the same data', async () => {
    const h = await fresh('on-preorder');
    const line = async () => ({ variant_id: (await waitlists(h)).find((w) => w.state === 'LIVE').availability.variants[0].variant_id, quantity: 1 });
    const scenarioIds = async () => (await listAll(h)).map((o) => o.id);
    const asBuilt = await scenarioIds();
    const seen = new Set<string>();
    for (const step of ['reset', 'load', 'reset']) {
      const placed = await place(h, 'again@example.com', [await line()]);
      const items = placed.line_items.map((l: { id: string }) => l.id);
      for (const id of [placed.id, placed.reference, ...items]) {
        expect(seen.has(id), `${id} was given before`).toBe(false);
        seen.add(id);
      }
      const res = step === 'reset' ? await h.control('POST', '/__sim/reset') : await h.control('POST', '/__sim/scenario', { name: 'on-preorder', seed: 1 });
      expect(res.status).toBe(200);
      expect(await scenarioIds()).toEqual(asBuilt);
    }
  });
});
