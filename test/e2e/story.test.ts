/**
 * One end-to-end story told through HTTP only: the Purple Dot API as a connector sees it, and the
 * /__sim control API standing in for shoppers, the merchant portal and the clock. No state is read or
 * changed behind the API's back.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_CREDENTIALS } from '../../src/engine/defaults.ts';
import { signShopperToken } from '../../src/client/shopper-token.ts';
import { startHarness, type Harness } from '../support/simulator.ts';
import { cents, listAll, preOrder, unitsReply, type Units } from '../support/steps.ts';

describe('a pre-order campaign from launch to refund', () => {
  it('keeps counts, unit counts and waitlist figures right through launch, orders, stock, exports, fulfilment and a refund', async () => {
    const h: Harness = await startHarness({ scenario: 'scheduled-launch' });
    onTestFinished(() => h.close());

    // ── The campaign as the API shows it before launch.
    const status = await h.control('GET', '/__sim/status');
    expect(status.body.data.credentials.shared_secret).toBe(DEFAULT_CREDENTIALS.shared_secret);
    const [waitlist] = (await h.privateGet('/admin/api/v1/waitlists')).body.data.waitlists;
    expect(waitlist.state).toBe('SCHEDULED');
    const [small, medium, large] = waitlist.availability.variants as { variant_id: string; sku: string; buy_size: number }[];
    const variants = [small!, medium!, large!];

    // What the story expects, kept from the inputs alone.
    const expected = {
      count: (await h.privateGet('/admin/api/v1/pre-orders/count')).body.data.count as number,
      units: Object.fromEntries(variants.map((v) => [v.sku, { open_units: 0, canceled_units: 0, exported_units: 0 }])) as Record<string, Units>,
      fulfillmentOrders: 0,
    };

    const check = async (step: string) => {
      const count = await h.privateGet('/admin/api/v1/pre-orders/count');
      expect(count.body.data.count, `${step}: count`).toBe(expected.count);
      const list = await listAll(h, {}, 2);
      expect(list.length, `${step}: list length`).toBe(expected.count);

      const now = (await h.control('GET', '/__sim/clock')).body.data.now;
      const current = (await h.privateGet('/admin/api/v1/waitlists')).body.data.waitlists.find((w: any) => w.id === waitlist.id);
      for (const variant of variants) {
        const units = await unitsReply(h, variant.sku);
        expect({ open_units: units.open_units, canceled_units: units.canceled_units, exported_units: units.exported_units }, `${step}: units of ${variant.sku}`)
          .toEqual(expected.units[variant.sku]);
        expect(units.at_time, `${step}: at_time`).toBe(now);
        const e = expected.units[variant.sku]!;
        const figures = current.availability.variants.find((v: any) => v.variant_id === variant.variant_id);
        expect(figures, `${step}: waitlist figures of ${variant.sku}`).toMatchObject({
          buy_size: variant.buy_size,
          committed: e.open_units + e.exported_units,
          available: variant.buy_size - e.open_units - e.exported_units,
        });
      }
      const product = current.availability.product;
      const committed = variants.reduce((sum, v) => sum + expected.units[v.sku]!.open_units + expected.units[v.sku]!.exported_units, 0);
      expect(product.committed, `${step}: product committed`).toBe(committed);
      expect(product.available, `${step}: product available`).toBe(product.buy_size - committed);

      const fos = (await h.privateGet('/admin/api/v1/fulfillment-orders', { limit: 250 })).body.data.fulfillment_orders;
      expect(fos.length, `${step}: fulfillment orders`).toBe(expected.fulfillmentOrders);
      return { now, waitlist: current, fos };
    };

    await check('before launch');

    // ── Launch: the clock passes the launch date and the waitlist goes live.
    const clockBefore = (await h.control('GET', '/__sim/clock')).body.data.now;
    const toLaunch = (Date.parse(waitlist.launch_date) - Date.parse(clockBefore)) / 1000;
    expect((await h.control('POST', '/__sim/clock/advance', { seconds: toLaunch + 60 })).status).toBe(200);
    const launched = await check('after launch');
    expect(launched.waitlist.state).toBe('LIVE');
    const publicWaitlist = (await h.publicGet('/api/v1/waitlists')).body.data.find((w: any) => w.id === waitlist.id);
    expect(publicWaitlist).toMatchObject({ state: 'OPEN', is_scheduled: false });

    // ── Shoppers pre-order, ten minutes apart.
    const place = async (email: string, lines: [typeof small, number][]) => {
      const res = await h.control('POST', '/__sim/pre-orders', { email, lines: lines.map(([v, quantity]) => ({ variant_id: v!.variant_id, quantity })) });
      expect(res.status).toBe(201);
      expected.count += 1;
      for (const [v, quantity] of lines) expected.units[v!.sku]!.open_units += quantity;
      await h.control('POST', '/__sim/clock/advance', { seconds: 600 });
      return res.body.data;
    };
    const ada = await place('ada@example.com', [[small, 2], [medium, 1]]);
    await check('Ada ordered');
    const ben = await place('ben@example.com', [[small, 1]]);
    await check('Ben ordered');
    const cy = await place('cy@example.com', [[small, 3]]);
    await check('Cy ordered');
    expect(new Set([ada.reference, ben.reference, cy.reference]).size).toBe(3);

    // ── Stock arrives for S: 3 units cover Ada (2) and Ben (1); Cy's 3 wait.
    const exportedAt = (await h.control('GET', '/__sim/clock')).body.data.now;
    const posted = await h.privatePost('/admin/api/v1/inventory', { sku: small!.sku, available_units: 3 });
    expect(posted.status).toBe(201);
    expected.units[small!.sku]!.open_units -= 3;
    expected.units[small!.sku]!.exported_units += 3;
    expected.fulfillmentOrders += 2;
    const afterStock = await check('S stock arrived');
    const smallUnitsAtStock = { ...expected.units[small!.sku]! };
    expect(afterStock.fos.map((fo: any) => [fo.reference, fo.status, fo.created_at])).toEqual([
      [`${ada.reference}-1`, 'UNFULFILLED', exportedAt],
      [`${ben.reference}-1`, 'UNFULFILLED', exportedAt],
    ]);
    const exportedCount = await h.privateGet('/admin/api/v1/pre-orders/count', { some_line_item: 'exported' });
    expect(exportedCount.body.data.count).toBe(2);
    const order = (o: any) => preOrder(h, o.reference);
    const adaExported = await order(ada);
    expect(adaExported.exported_orders.map((e: any) => e.order_number)).toEqual([`${ada.order_number}/1`]);
    expect((await order(cy)).exported_orders).toEqual([]);

    // Ada sees her S line on its way, her M line not yet.
    const clock = (await h.control('GET', '/__sim/clock')).body.data.now;
    const timestamp = Math.floor(Date.parse(clock) / 1000);
    const token = signShopperToken('ada@example.com', timestamp, DEFAULT_CREDENTIALS.shared_secret);
    const adaView = await h.publicGet('/api/v1/pre-orders', { email: 'ada@example.com', timestamp, token });
    expect(adaView.status).toBe(200);
    expect(adaView.body.data.orders[0].line_items.map((l: any) => l.order_id)).toEqual([adaExported.exported_orders[0].id, null]);

    // ── Stock arrives for M: Ada's second line goes out in a second export.
    await h.control('POST', '/__sim/clock/advance', { seconds: 3600 });
    expect((await h.privatePost('/admin/api/v1/inventory', { sku: medium!.sku, available_units: 1 })).status).toBe(201);
    expected.units[medium!.sku]!.open_units -= 1;
    expected.units[medium!.sku]!.exported_units += 1;
    expected.fulfillmentOrders += 1;
    const afterMedium = await check('M stock arrived');
    expect(afterMedium.fos.map((fo: any) => fo.reference)).toEqual([`${ada.reference}-1`, `${ben.reference}-1`, `${ada.reference}-2`]);
    expect((await order(ada)).exported_orders.map((e: any) => e.order_number)).toEqual([`${ada.order_number}/1`, `${ada.order_number}/2`]);

    // ── Ada's first fulfillment order ships in two parcels.
    const adaFo = afterMedium.fos[0];
    const [adaLine] = adaFo.line_items;
    const partial = await h.privatePost('/admin/api/v1/fulfillment', {
      fulfillment: { fulfillment_order_id: adaFo.id, line_items: [{ id: adaLine.id, quantity: 1 }], notify_customer: true, tracking_info: { number: 'TRACK-1', company: 'UPS' } },
    });
    expect(partial.status).toBe(201);
    expect(partial.body.data.fulfillment_order.status).toBe('UNFULFILLED');
    await check('partly fulfilled');
    const rest = await h.privatePost('/admin/api/v1/fulfillment', { fulfillment: { fulfillment_order_id: adaFo.id } });
    expect(rest.status).toBe(201);
    expect(rest.body.data.fulfillment.line_items).toEqual([{ id: adaLine.id, quantity: adaLine.quantity - 1 }]);
    const fulfilled = await check('fully fulfilled');
    const adaFoNow = fulfilled.fos.find((fo: any) => fo.id === adaFo.id);
    expect(adaFoNow.status).toBe('FULFILLED');
    expect(adaFoNow.fulfillments.map((f: any) => [f.notify_customer, f.tracking_info])).toEqual([[true, { number: 'TRACK-1', company: 'UPS' }], [false, null]]);

    // ── Ben asks for his money back before his parcel ships: a refund of his only unit voids his fulfillment order.
    const benOrder = await order(ben);
    const benLine = benOrder.line_items[0];
    const refund = { id: 'ben-refund', order: benOrder.exported_orders[0].id, line_items: [{ id: benLine.shopify_line_item_id, quantity: 1 }] };
    const refunded = await h.privatePost('/admin/api/v1/refund', refund);
    expect(refunded.status).toBe(201);
    expect(refunded.body.data.refunded).toEqual({ amount: benLine.total, currency: benOrder.currency });
    const afterRefund = await check('Ben refunded');
    expect(cents((await order(ben)).total_refunded)).toBe(cents(benOrder.total_refunded) + cents(benLine.total));
    expect(afterRefund.fos.find((fo: any) => fo.reference === `${ben.reference}-1`).status).toBe('VOIDED');
    // A retry of the same request is answered the same and refunds nothing more.
    const retry = await h.privatePost('/admin/api/v1/refund', refund);
    expect([retry.status, retry.body]).toEqual([refunded.status, refunded.body]);
    expect((await order(ben)).total_refunded).toBe(benLine.total);
    await check('refund retried');

    // ── Cy gives up waiting: her units return to the waitlist.
    expect((await h.control('POST', `/__sim/pre-orders/${cy.id}/cancel`, { reason: 'CUSTOMER' })).status).toBe(200);
    expected.units[small!.sku]!.open_units -= 3;
    expected.units[small!.sku]!.canceled_units += 3;
    await check('Cy cancelled');
    expect((await h.privateGet('/admin/api/v1/pre-orders/count', { all_line_items: 'cancelled' })).body.data.count).toBe(1);
    expect((await h.privateGet('/admin/api/v1/pre-orders/count', { all_line_items: 'exported' })).body.data.count).toBe(2);

    // ── The history still tells the story as it was when Cy's order was open.
    const atStock = (await h.privateGet(`/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent(small!.sku)}`, { at_time: new Date(Date.parse(exportedAt) + 1000).toISOString() })).body.data;
    expect(atStock).toMatchObject(smallUnitsAtStock);
  });
});
