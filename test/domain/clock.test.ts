import { describe, expect, it, onTestFinished } from 'vitest';
import { signShopperToken } from '../../src/client/shopper-token.ts';
import { credentials, startHarness, type Harness } from '../support/simulator.ts';
import { fresh, now, place, plus } from '../support/steps.ts';

const setClock = (h: Harness, iso: string) => h.control('PUT', '/__sim/clock', { now: iso });

async function liveVariant(h: Harness): Promise<any> {
  const live = (await h.privateGet('/admin/api/v1/waitlists', { limit: 100 })).body.data.waitlists.find((w: any) => w.state === 'LIVE');
  return live.availability.variants.find((v: any) => v.available > 2);
}

const shopperList = (h: Harness, email: string, timestamp: number) =>
  h.publicGet('/api/v1/pre-orders', { email, timestamp, token: signShopperToken(email, timestamp, credentials.shared_secret) });

describe('the simulator clock', () => {
  it('stamps a pre-order placed after PUT /__sim/clock with the simulator time', async () => {
    const h = await fresh('on-preorder');
    const variant = await liveVariant(h);
    const target = plus(await now(h), 3 * 86_400_000 + 1234);
    const set = await setClock(h, target);
    expect(set.status).toBe(200);
    expect(set.body.data).toEqual({ now: target, mode: 'manual' });

    const order = await place(h, 'timed@example.com', [{ variant_id: variant.variant_id, quantity: 1 }]);
    expect(order.created_at).toBe(target);
    expect(order.placed_at).toBe(target);
    const listed = (await h.privateGet('/admin/api/v1/pre-orders', { references: order.reference })).body.data.orders[0];
    expect(listed.created_at).toBe(target);
  });

  it('moves the next pre-order timestamp by the seconds advanced', async () => {
    const h = await fresh('on-preorder');
    const variant = await liveVariant(h);
    const first = await place(h, 'a@example.com', [{ variant_id: variant.variant_id, quantity: 1 }]);
    const advanced = await h.control('POST', '/__sim/clock/advance', { seconds: 90.5 });
    expect(advanced.body.data.now).toBe(plus(first.created_at, 90_500));
    const second = await place(h, 'b@example.com', [{ variant_id: variant.variant_id, quantity: 1 }]);
    expect(Date.parse(second.created_at) - Date.parse(first.created_at)).toBe(90_500);
  });

  it('stands still between requests in manual mode', async () => {
    const h = await fresh('on-preorder');
    const variant = await liveVariant(h);
    const start = await now(h);
    const a = await place(h, 'still@example.com', [{ variant_id: variant.variant_id, quantity: 1 }]);
    const b = await place(h, 'still@example.com', [{ variant_id: variant.variant_id, quantity: 1 }]);
    expect([a.created_at, b.created_at, await now(h)]).toEqual([start, start, start]);
  });

  it('accepts a shopper token signed for the simulator time', async () => {
    const h = await fresh('on-preorder');
    const variant = await liveVariant(h);
    // Far from the machine clock, so only the simulator clock can make the token valid.
    const target = plus(new Date(Math.max(Date.parse(await now(h)), Date.now())).toISOString(), 30 * 86_400_000);
    await setClock(h, target);
    const order = await place(h, 'token@example.com', [{ variant_id: variant.variant_id, quantity: 1 }]);
    const simSeconds = Math.floor(Date.parse(await now(h)) / 1000);

    const res = await shopperList(h, 'token@example.com', simSeconds);
    expect(res.status).toBe(200);
    expect(res.body.data.orders.map((o: any) => o.id)).toEqual([order.id]);
    const wall = await shopperList(h, 'token@example.com', Math.floor(Date.now() / 1000));
    expect(wall.status).toBe(401);
    expect(wall.body.error.code).toBe('EXPIRED_SHOPPER_TOKEN');
  });

  it('refuses a shopper token 11 s old after the clock advanced', async () => {
    const h = await fresh('on-preorder');
    const variant = await liveVariant(h);
    await place(h, 'old@example.com', [{ variant_id: variant.variant_id, quantity: 1 }]);
    const signedAt = Math.floor(Date.parse(await now(h)) / 1000);
    expect((await shopperList(h, 'old@example.com', signedAt)).status).toBe(200);

    await h.control('POST', '/__sim/clock/advance', { seconds: 11 });
    const res = await shopperList(h, 'old@example.com', signedAt);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('EXPIRED_SHOPPER_TOKEN');
    // A token for the new simulator time works again.
    expect((await shopperList(h, 'old@example.com', Math.floor(Date.parse(await now(h)) / 1000))).status).toBe(200);
  });

  it('accepts a shopper token a few seconds either side of the simulator time', async () => {
    const h = await fresh('on-preorder');
    const simSeconds = Math.floor(Date.parse(await now(h)) / 1000);
    for (const skew of [-5, 5]) expect((await shopperList(h, 'skew@example.com', simSeconds + skew)).status, String(skew)).toBe(200);
    const future = await shopperList(h, 'skew@example.com', simSeconds + 11);
    expect(future.status).toBe(401);
    expect(future.body.error.code).toBe('EXPIRED_SHOPPER_TOKEN');
  });

  it('refuses to go backwards with 409 CLOCK_BACKWARDS and keeps its time', async () => {
    const h = await fresh('on-preorder');
    const start = await now(h);
    const back = await setClock(h, plus(start, -1));
    expect(back.status).toBe(409);
    expect(back.body.error.code).toBe('CLOCK_BACKWARDS');
    expect(await now(h)).toBe(start);

    await h.control('POST', '/__sim/clock/advance', { seconds: 600 });
    const later = await now(h);
    const halfway = await setClock(h, plus(start, 300_000));
    expect(halfway.status).toBe(409);
    expect(halfway.body.error.code).toBe('CLOCK_BACKWARDS');
    expect(await now(h)).toBe(later);
    // The same time is not backwards.
    expect((await setClock(h, later)).status).toBe(200);
  });
});

describe('the system clock (npm start)', () => {
  it('returns to the machine time on reset, so wall-clock shopper tokens work again after an advance', async () => {
    const h = await startHarness({ scenario: 'on-preorder', clock: 'system' });
    onTestFinished(() => h.close());
    const email = h.sim.engine.defaultStore().state.data.pre_orders[0]!.email;
    const wallToken = () => shopperList(h, email, Math.floor(Date.now() / 1000));
    expect((await wallToken()).status).toBe(200);
    expect((await h.control('POST', '/__sim/clock/advance', { seconds: 86_400 })).status).toBe(200);
    const expired = await wallToken();
    expect([expired.status, expired.body.error.code]).toEqual([401, 'EXPIRED_SHOPPER_TOKEN']);
    expect((await h.control('POST', '/__sim/reset')).status).toBe(200);
    expect((await wallToken()).status).toBe(200);
    expect(Math.abs(Date.parse(await now(h)) - Date.now())).toBeLessThan(5_000);
  });
});

describe('a SCHEDULED waitlist', () => {
  async function scheduled(h: Harness): Promise<any> {
    const [waitlist] = (await h.privateGet('/admin/api/v1/waitlists')).body.data.waitlists;
    expect(waitlist.state).toBe('SCHEDULED');
    expect(Date.parse(waitlist.launch_date)).toBeGreaterThan(Date.parse(await now(h)));
    return waitlist;
  }

  async function states(h: Harness, id: string): Promise<[string, string, boolean]> {
    const priv = (await h.privateGet('/admin/api/v1/waitlists')).body.data.waitlists.find((w: any) => w.id === id);
    const pub = (await h.publicGet('/api/v1/waitlists')).body.data.find((w: any) => w.id === id);
    return [priv.state, pub.state, pub.is_scheduled];
  }

  it('goes LIVE when PUT /__sim/clock passes its launch_date', async () => {
    const h = await fresh('scheduled-launch');
    const waitlist = await scheduled(h);
    const variantId = waitlist.availability.variants[0].variant_id;

    await setClock(h, plus(waitlist.launch_date, -1000));
    expect(await states(h, waitlist.id)).toEqual(['SCHEDULED', 'SCHEDULED', true]);
    const early = await h.control('POST', '/__sim/pre-orders', { email: 'early@example.com', lines: [{ variant_id: variantId, quantity: 1 }] });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('WAITLIST_NOT_LIVE');

    await setClock(h, plus(waitlist.launch_date, 1000));
    expect(await states(h, waitlist.id)).toEqual(['LIVE', 'OPEN', false]);
    const onTime = await h.control('POST', '/__sim/pre-orders', { email: 'ontime@example.com', lines: [{ variant_id: variantId, quantity: 1 }] });
    expect(onTime.status).toBe(201);
    const variantState = (await h.publicGet('/api/v1/variants/preorder-state', { variant_id: variantId })).body.data;
    expect(variantState.state).toBe('ON_PREORDER');
    expect(variantState.waitlist.is_scheduled).toBe(false);
  });

  it('pauses at its scheduled_pause_date once LIVE', async () => {
    const h = await fresh('scheduled-launch');
    const waitlist = await scheduled(h);
    const pauseAt = plus(waitlist.launch_date, 86_400_000);
    expect((await h.control('PATCH', `/__sim/waitlists/${waitlist.id}`, { scheduled_pause_date: pauseAt })).status).toBe(200);
    await setClock(h, plus(pauseAt, -1000));
    expect(await states(h, waitlist.id)).toEqual(['LIVE', 'OPEN', false]);
    await setClock(h, pauseAt);
    const paused = (await h.privateGet('/admin/api/v1/waitlists')).body.data.waitlists.find((w: any) => w.id === waitlist.id);
    expect(paused.state).toBe('PAUSED');
    const refused = await h.control('POST', '/__sim/pre-orders', { email: 'late@example.com', lines: [{ variant_id: waitlist.availability.variants[0].variant_id, quantity: 1 }] });
    expect(refused.body.error.code).toBe('WAITLIST_NOT_LIVE');
  });

  it('goes LIVE when POST /__sim/clock/advance passes its launch_date', async () => {
    const h = await fresh('scheduled-launch');
    const waitlist = await scheduled(h);
    const seconds = (Date.parse(waitlist.launch_date) - Date.parse(await now(h))) / 1000;
    await h.control('POST', '/__sim/clock/advance', { seconds: seconds - 1 });
    expect((await states(h, waitlist.id))[0]).toBe('SCHEDULED');
    await h.control('POST', '/__sim/clock/advance', { seconds: 2 });
    expect(await states(h, waitlist.id)).toEqual(['LIVE', 'OPEN', false]);
  });

  it('keeps its launch_date once LIVE on schedule, and takes the moment it went live when launched early', async () => {
    const onTime = await fresh('scheduled-launch');
    const waitlist = await scheduled(onTime);
    await setClock(onTime, plus(waitlist.launch_date, 3_600_000));
    const live = (await onTime.publicGet('/api/v1/waitlists')).body.data.find((w: any) => w.id === waitlist.id);
    expect(live.launch_date).toBe(waitlist.launch_date);

    const early = await fresh('scheduled-launch');
    const launchedAt = await now(early);
    expect((await early.control('PATCH', `/__sim/waitlists/${waitlist.id}`, { state: 'LIVE' })).status).toBe(200);
    const shown = (await early.publicGet('/api/v1/waitlists')).body.data.find((w: any) => w.id === waitlist.id);
    expect(shown.launch_date).toBe(launchedAt);
  });
});

describe('a waitlist made LIVE without a launch date', () => {
  /** Closes the scenario's SCHEDULED waitlist and creates a LIVE one for the same product in its place. */
  async function replaceWithLive(h: Harness, extra: Record<string, unknown> = {}): Promise<{ scheduled: any; created: any }> {
    const [scheduled] = (await h.privateGet('/admin/api/v1/waitlists')).body.data.waitlists;
    expect((await h.control('PATCH', `/__sim/waitlists/${scheduled.id}`, { state: 'CLOSED' })).status).toBe(200);
    const created = await h.control('POST', '/__sim/waitlists', {
      product_id: scheduled.availability.product.product_id,
      state: 'LIVE',
      earliest_ship_date: scheduled.earliest_ship_date,
      latest_ship_date: scheduled.latest_ship_date,
      variants: scheduled.availability.variants.map((v: any) => ({ variant_id: v.variant_id, buy_size: 5 })),
      ...extra,
    });
    expect(created.status).toBe(201);
    return { scheduled, created };
  }

  it('shows launch_date null with is_scheduled false on every public read, as the documented example does', async () => {
    const h = await fresh('scheduled-launch');
    const { scheduled, created } = await replaceWithLive(h);
    const id = created.body.data.id;
    const variantId = scheduled.availability.variants[0].variant_id;
    const listed = (await h.publicGet('/api/v1/waitlists')).body.data.find((w: any) => w.id === id);
    const variant = (await h.publicGet('/api/v1/variants/preorder-state', { variant_id: variantId })).body.data;
    const privately = (await h.privateGet('/admin/api/v1/waitlists')).body.data.waitlists.find((w: any) => w.id === id);
    expect([listed.state, listed.is_scheduled, listed.launch_date]).toEqual(['OPEN', false, null]);
    expect([variant.state, variant.waitlist.id, variant.waitlist.is_scheduled, variant.waitlist.launch_date]).toEqual(['ON_PREORDER', id, false, null]);
    expect([privately.state, privately.launch_date]).toEqual(['LIVE', null]);
  });

  it('takes a future launch_date given to a LIVE waitlist, on creation or later, as now: it has launched', async () => {
    const h = await fresh('scheduled-launch');
    const at = await now(h);
    const nextYear = plus(at, 365 * 86_400_000);
    const { created } = await replaceWithLive(h, { launch_date: nextYear });
    expect([created.body.data.state, created.body.data.launch_date]).toEqual(['LIVE', at]);
    await h.control('POST', '/__sim/clock/advance', { seconds: 60 });
    const patched = await h.control('PATCH', `/__sim/waitlists/${created.body.data.id}`, { launch_date: nextYear });
    expect([patched.status, patched.body.data.launch_date]).toEqual([200, await now(h)]);
  });
});
