/**
 * The model and the moves of the invariant properties: random operations on the control and private APIs,
 * what each may answer, and the invariants checked against the model after every step.
 *
 * Every request goes through `send`, which refuses paths the specs do not declare (the harness checks only
 * spec paths, so such a request would bypass the contract check) and fails on any 5xx. The harness itself
 * throws on any response that breaks the contract.
 */
import fc from 'fast-check';
import { operationFor } from '../support/contract.ts';
import { privateHeaders, type Harness, type Reply } from '../support/simulator.ts';

// ---------------------------------------------------------------------------------------------------------
// Shapes read from responses (only the fields the checks use).

interface LineView {
  id: string;
  sku: string;
  variant_id: string;
  quantity: number;
  cancelled: boolean;
  shopify_line_item_id: string | null;
}

interface OrderView {
  id: string;
  created_at: string;
  line_items: LineView[];
  exported_orders: { id: string; line_items: { id: string }[] }[];
}

interface WaitlistView {
  id: string;
  state: string;
  availability: {
    product: { buy_size: number | null; committed: number; available: number | null };
    variants: { variant_id: string; sku: string; buy_size: number | null; committed: number; available: number | null }[];
  };
}

interface FulfillmentOrderView {
  id: string;
  line_items: { id: string }[];
}

/** What one observation of the store shows: every waitlist and every pre-order, all pages. */
export interface View {
  waitlists: WaitlistView[];
  orders: OrderView[];
  count: number;
}

// ---------------------------------------------------------------------------------------------------------
// The fixture (a scenario as loaded, learnt once) and the model (what the sequence did to it).

export interface Variant {
  id: string;
  sku: string;
  product_id: string;
}

export interface OrderRef {
  id: string;
  lines: { id: string; sku: string }[];
}

export interface Fixture {
  scenario: string;
  variants: Variant[];
  skus: string[];
  waitlists: { id: string; skus: string[] }[];
  /** The scenario's own pre-orders, in list order. */
  orders: OrderRef[];
  /** Units of each SKU bought by the scenario's own pre-orders (every line, whatever became of it). */
  bought: Map<string, number>;
}

export interface Model {
  orders: OrderRef[];
  /** Units of each SKU ever bought: the scenario's, plus every placement answered 201. */
  bought: Map<string, number>;
}

export const UNKNOWN_VARIANT_ID = '99999999999999';
export const UNKNOWN_SKU = 'NO-SUCH-SKU';
const UNKNOWN_FULFILLMENT_ORDER_ID = '00000000-0000-4000-8000-000000000000';
const UNKNOWN_EXTERNAL_ORDER_ID = '9999999999';
const EMAILS = ['ada@example.com', 'grace@example.com', 'Ada@Example.com'];

// ---------------------------------------------------------------------------------------------------------
// Requests.

/** Thrown for a broken invariant or an unexpected answer; carries the trace of the run so far. */
export class InvariantViolation extends Error {}

/** How often each operation got each status, over many runs: proves the sequences reach the paths that change state. */
export type Tally = Map<string, number>;

export class Run {
  readonly trace: string[] = [];
  constructor(readonly h: Harness, readonly tally: Tally = new Map()) {}

  fail(message: string): never {
    throw new InvariantViolation(`${message}\n  trace of this run:\n    ${this.trace.join('\n    ')}`);
  }

  check(condition: boolean, message: () => string): void {
    if (!condition) this.fail(message());
  }

  async send<T = any>(method: string, path: string, options: { body?: unknown; query?: Record<string, string | number>; private?: boolean } = {}): Promise<Reply<T>> {
    // A path outside the specs would go unchecked by the harness: refuse to send it at all.
    operationFor(method, path);
    const query = new URLSearchParams(Object.entries(options.query ?? {}).map(([k, v]) => [k, String(v)])).toString();
    const init: { body?: unknown; headers?: Record<string, string> } = {};
    if (options.body !== undefined) init.body = options.body;
    if (options.private) init.headers = { ...privateHeaders };
    const reply = await this.h.request<T>(method, query ? `${path}?${query}` : path, init);
    this.check(reply.status < 500, () => `${method} ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    return reply;
  }

  /** Fails unless the status is one of the allowed ones and, for an error, its code is one allowed for that status. */
  expectOutcome(what: string, reply: Reply, allowed: Record<number, readonly string[] | 'any'>): void {
    const codes = allowed[reply.status];
    const code: string | undefined = reply.body?.error?.code;
    const key = `${what} ${reply.status}`;
    this.tally.set(key, (this.tally.get(key) ?? 0) + 1);
    this.check(codes !== undefined && (codes === 'any' || (code !== undefined && codes.includes(code))),
      () => `${what} answered ${reply.status} ${code ?? ''}; allowed: ${JSON.stringify(allowed)}; body: ${JSON.stringify(reply.body)}`);
  }
}

async function allPages<T>(run: Run, path: string, key: string, limit: number): Promise<T[]> {
  const items: T[] = [];
  let after: string | null = null;
  for (;;) {
    const query: Record<string, string | number> = { limit };
    if (after) query.starting_after = after;
    const reply = await run.send(`GET`, path, { query, private: true });
    run.check(reply.status === 200, () => `GET ${path} answered ${reply.status}`);
    items.push(...(reply.body.data[key] as T[]));
    if (!reply.body.data.has_more) return items;
    after = reply.body.data.starting_after as string;
  }
}

export async function observe(run: Run): Promise<View> {
  const waitlists = await allPages<WaitlistView>(run, '/admin/api/v1/waitlists', 'waitlists', 100);
  const orders = await allPages<OrderView>(run, '/admin/api/v1/pre-orders', 'orders', 200);
  const count = await run.send('GET', '/admin/api/v1/pre-orders/count', { private: true });
  run.check(count.status === 200, () => `GET /admin/api/v1/pre-orders/count answered ${count.status}`);
  return { waitlists, orders, count: count.body.data.count as number };
}

async function unitsOf(run: Run, sku: string): Promise<{ open_units: number; canceled_units: number; exported_units: number }> {
  const reply = await run.send('GET', `/admin/api/v1/pre-orders/count-units/sku/${encodeURIComponent(sku)}`, { private: true });
  run.check(reply.status === 200, () => `count-units of ${sku} answered ${reply.status}`);
  return reply.body.data;
}

/** Loads a scenario and learns its catalogue, waitlists and pre-orders once; every run resets to this. */
export async function loadFixture(h: Harness, scenario: string): Promise<Fixture> {
  const run = new Run(h);
  const loaded = await run.send('POST', '/__sim/scenario', { body: { name: scenario, seed: 1 } });
  run.check(loaded.status === 200, () => `loading ${scenario} answered ${loaded.status}`);
  const snapshot = await run.send('GET', '/__sim/snapshot');
  const store = Object.values(snapshot.body.data.stores as Record<string, { variants: Variant[] }>)[0];
  if (!store) throw new Error('the snapshot has no store');
  const variants = store.variants.map(({ id, sku, product_id }) => ({ id, sku, product_id }));
  const view = await observe(run);
  const bought = new Map<string, number>();
  for (const order of view.orders) for (const line of order.line_items) bought.set(line.sku, (bought.get(line.sku) ?? 0) + line.quantity);
  return {
    scenario,
    variants,
    skus: variants.map((v) => v.sku),
    waitlists: view.waitlists.map((w) => ({ id: w.id, skus: w.availability.variants.map((v) => v.sku) })),
    orders: view.orders.map((o) => ({ id: o.id, lines: o.line_items.map((l) => ({ id: l.id, sku: l.sku })) })),
    bought,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Operations. Indices are resolved against the model at run time (modulo the number of candidates), so a
// shrunk sequence stays meaningful.

export type Op =
  | { kind: 'advanceClock'; seconds: number }
  | { kind: 'place'; email: number; lines: { variant: number | 'unknown'; quantity: number }[] }
  | { kind: 'cancel'; order: number; line: number | null }
  | { kind: 'inventory'; sku: number | 'unknown'; units: number }
  | { kind: 'runExports' }
  | { kind: 'moveWaitlist'; waitlist: number; state: 'PAUSED' | 'LIVE' | 'CLOSED' }
  | { kind: 'fulfil'; fulfillmentOrder: number | 'unknown'; partial: { line: number; quantity: number } | null }
  | { kind: 'refund'; line: number | 'unknown'; shipping: boolean; key: number };

const index = fc.nat({ max: 1_000 });
const orUnknown = fc.oneof({ arbitrary: index, weight: 12 }, { arbitrary: fc.constant('unknown' as const), weight: 1 });

export const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advanceClock' as const), seconds: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 86_400 }), fc.constant(6 * 86_400)) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('place' as const),
      email: fc.nat({ max: EMAILS.length - 1 }),
      lines: fc.array(fc.record({ variant: orUnknown, quantity: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), order: index, line: fc.option(index, { nil: null }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('inventory' as const), sku: orUnknown, units: fc.integer({ min: 0, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('runExports' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('moveWaitlist' as const),
      waitlist: index,
      state: fc.oneof({ arbitrary: fc.constant('PAUSED' as const), weight: 3 }, { arbitrary: fc.constant('LIVE' as const), weight: 3 }, { arbitrary: fc.constant('CLOSED' as const), weight: 1 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('fulfil' as const),
      fulfillmentOrder: orUnknown,
      partial: fc.option(fc.record({ line: index, quantity: fc.integer({ min: 1, max: 5 }) }), { nil: null }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refund' as const), line: orUnknown, shipping: fc.boolean(), key: fc.nat({ max: 3 }) }) },
);

const pick = <T>(list: readonly T[], i: number): T | undefined => (list.length === 0 ? undefined : list[i % list.length]);

type Outcome = Record<number, readonly string[] | 'any'>;

/**
 * The one answer a placement may get, from the waitlists as last observed: lines are checked in order, the
 * first that fails decides (unknown variant 404; no LIVE waitlist allocating the variant, or fewer units left
 * than all lines of that variant ask for, 409); otherwise 201. On a per-product waitlist (variant `buy_size`
 * null) the lines of all the product's variants draw on the product's shared units.
 */
function expectedPlacement(view: View, lines: { variant: Variant | undefined; quantity: number }[]): Outcome {
  const wanted = new Map<string, number>();
  for (const line of lines) {
    if (!line.variant) return { 404: ['UNKNOWN_VARIANT'] };
    const waitlist = view.waitlists
      .filter((w) => w.state === 'LIVE')
      .find((w) => w.availability.variants.some((v) => v.variant_id === line.variant!.id));
    const allocation = waitlist?.availability.variants.find((v) => v.variant_id === line.variant!.id);
    if (!waitlist || !allocation) return { 409: ['WAITLIST_NOT_LIVE'] };
    const shared = allocation.buy_size === null;
    const pool = shared ? `waitlist ${waitlist.id}` : `variant ${line.variant.id}`;
    const total = (wanted.get(pool) ?? 0) + line.quantity;
    wanted.set(pool, total);
    const left = shared ? waitlist.availability.product.available : allocation.available;
    if (left !== null && total > left) return { 409: ['INSUFFICIENT_WAITLIST_UNITS'] };
  }
  return { 201: 'any' };
}

/** The one answer a cancellation may get, from the line states as last observed. */
function expectedCancellation(view: View, order: OrderRef, line: OrderRef['lines'][number] | undefined): Outcome {
  const states = lineStates(view);
  if (line) {
    const state = states.get(line.id)?.state;
    if (state === 'exported') return { 409: ['LINE_ITEM_ALREADY_EXPORTED'] };
    if (state === 'cancelled') return { 409: ['LINE_ITEM_ALREADY_CANCELLED'] };
    return { 200: 'any' };
  }
  const orderStates = order.lines.map((l) => states.get(l.id)?.state);
  if (orderStates.includes('open')) return { 200: 'any' };
  if (orderStates.includes('exported')) return { 409: ['LINE_ITEM_ALREADY_EXPORTED'] };
  return { 409: ['PRE_ORDER_ALREADY_CANCELLED'] };
}

/** Applies one operation, checks its answer is an acceptable one, updates the model; returns the SKUs it names. */
export async function apply(run: Run, fixture: Fixture, model: Model, view: View, op: Op): Promise<string[]> {
  switch (op.kind) {
    case 'advanceClock': {
      const reply = await run.send('POST', '/__sim/clock/advance', { body: { seconds: op.seconds } });
      run.trace.push(`advance clock ${op.seconds}s -> ${reply.status}`);
      run.expectOutcome('advance clock', reply, { 200: 'any' });
      return [];
    }
    case 'place': {
      const lines = op.lines.map((l) => {
        const variant = l.variant === 'unknown' ? undefined : pick(fixture.variants, l.variant);
        return { variant, variant_id: variant?.id ?? UNKNOWN_VARIANT_ID, quantity: l.quantity };
      });
      const email = EMAILS[op.email] ?? EMAILS[0]!;
      const reply = await run.send('POST', '/__sim/pre-orders', {
        body: { email, lines: lines.map(({ variant_id, quantity }) => ({ variant_id, quantity })) },
      });
      run.trace.push(`place [${lines.map((l) => `${l.variant?.sku ?? 'unknown variant'} x${l.quantity}`).join(', ')}] -> ${reply.status} ${reply.body?.error?.code ?? reply.body?.data?.id ?? ''}`);
      run.expectOutcome('place', reply, expectedPlacement(view, lines));
      if (reply.status === 201) {
        const placed = reply.body.data as OrderView;
        run.check(placed.line_items.length === lines.length, () => `the placed order has ${placed.line_items.length} lines, ${lines.length} were asked for`);
        placed.line_items.forEach((line, i) => {
          const asked = lines[i]!;
          run.check(line.sku === asked.variant?.sku && line.quantity === asked.quantity,
            () => `placed line ${i} is ${line.sku} x${line.quantity}, asked for ${asked.variant?.sku} x${asked.quantity}`);
        });
        for (const l of lines) model.bought.set(l.variant!.sku, (model.bought.get(l.variant!.sku) ?? 0) + l.quantity);
        model.orders.push({ id: placed.id, lines: placed.line_items.map((l) => ({ id: l.id, sku: l.sku })) });
      }
      return lines.flatMap((l) => (l.variant ? [l.variant.sku] : []));
    }
    case 'cancel': {
      const order = pick(model.orders, op.order);
      if (!order) return [];
      const line = op.line === null ? undefined : pick(order.lines, op.line);
      const body = line ? { reason: 'CUSTOMER', line_item_ids: [line.id] } : { reason: 'CUSTOMER' };
      const reply = await run.send('POST', `/__sim/pre-orders/${order.id}/cancel`, { body });
      run.trace.push(`cancel ${line ? `line ${line.sku} ${line.id} of` : 'whole'} order ${order.id} -> ${reply.status} ${reply.body?.error?.code ?? ''}`);
      run.expectOutcome('cancel', reply, expectedCancellation(view, order, line));
      return line ? [line.sku] : order.lines.map((l) => l.sku);
    }
    case 'inventory': {
      const sku = op.sku === 'unknown' ? UNKNOWN_SKU : pick(fixture.skus, op.sku) ?? UNKNOWN_SKU;
      const reply = await run.send('POST', '/admin/api/v1/inventory', { body: { sku, available_units: op.units }, private: true });
      run.trace.push(`inventory ${sku} = ${op.units} -> ${reply.status}`);
      run.expectOutcome('inventory', reply, { 201: 'any' });
      return [sku];
    }
    case 'runExports': {
      const reply = await run.send('POST', '/__sim/exports/run');
      run.trace.push(`run exports -> ${reply.status} ${JSON.stringify(reply.body?.data ?? {})}`);
      run.expectOutcome('run exports', reply, { 200: 'any' });
      return [];
    }
    case 'moveWaitlist': {
      const waitlist = pick(fixture.waitlists, op.waitlist);
      if (!waitlist) return [];
      const reply = await run.send('PATCH', `/__sim/waitlists/${waitlist.id}`, { body: { state: op.state } });
      run.trace.push(`waitlist ${waitlist.id} [${waitlist.skus.join(', ')}] -> ${op.state}: ${reply.status} ${reply.body?.error?.code ?? ''}`);
      run.expectOutcome('move waitlist', reply, { 200: 'any', 409: ['INVALID_STATE_TRANSITION', 'WAITLIST_CONFLICT'] });
      return waitlist.skus;
    }
    case 'fulfil': {
      const list = await allPages<FulfillmentOrderView>(run, '/admin/api/v1/fulfillment-orders', 'fulfillment_orders', 250);
      const target = op.fulfillmentOrder === 'unknown' ? undefined : pick(list, op.fulfillmentOrder);
      const fulfillment: Record<string, unknown> = { fulfillment_order_id: target?.id ?? UNKNOWN_FULFILLMENT_ORDER_ID };
      const line = target && op.partial ? pick(target.line_items, op.partial.line) : undefined;
      if (line && op.partial) fulfillment.line_items = [{ id: line.id, quantity: op.partial.quantity }];
      const reply = await run.send('POST', '/admin/api/v1/fulfillment', { body: { fulfillment }, private: true });
      run.trace.push(`fulfil ${target?.id ?? 'unknown fulfillment order'}${line ? ` line ${line.id} x${op.partial?.quantity}` : ' (all)'} -> ${reply.status} ${reply.body?.error?.code ?? ''}`);
      const allowed: Record<number, readonly string[] | 'any'> = { 201: 'any', 409: ['FULFILLMENT_ORDER_ALREADY_FULFILLED', 'FULFILLMENT_ORDER_VOIDED'] };
      if (!target) allowed[404] = ['UNKNOWN_FULFILLMENT_ORDER'];
      if (line) allowed[400] = ['QUANTITY_EXCEEDS_UNFULFILLED'];
      run.expectOutcome('fulfil', reply, allowed);
      return [];
    }
    case 'refund': {
      const exported = view.orders.flatMap((o) => o.line_items.flatMap((l) => {
        const external = o.exported_orders.find((e) => e.line_items.some((x) => x.id === l.id));
        // Only the first export of a pre-order carries its shipping, so only there can shipping be refunded.
        const carriesShipping = external === o.exported_orders[0];
        return l.shopify_line_item_id && external ? [{ order: external.id, line: l.shopify_line_item_id, carriesShipping }] : [];
      }));
      const target = op.line === 'unknown' ? undefined : pick(exported, op.line);
      const body: Record<string, unknown> = { id: `refund-${op.key}`, order: target?.order ?? UNKNOWN_EXTERNAL_ORDER_ID };
      if (target) body.line_items = [{ id: target.line, quantity: 1 }];
      if (op.shipping || !target) body.shipping = true;
      const reply = await run.send('POST', '/admin/api/v1/refund', { body, private: true });
      run.trace.push(`refund ${JSON.stringify(body)} -> ${reply.status} ${reply.body?.error?.code ?? ''}`);
      const shippingElsewhere = target !== undefined && body.shipping === true && !target.carriesShipping;
      const allowed: Record<number, readonly string[] | 'any'> = {
        400: ['NOT_ENOUGH_ITEMS_LEFT_TO_REFUND', 'SHIPPING_ALREADY_REFUNDED'],
        409: ['IDEMPOTENCY_KEY_REUSED'],
      };
      // A refund of shipping on a later export never succeeds: no earlier identical request can have been kept to replay.
      if (shippingElsewhere) allowed[400] = [...(allowed[400] as string[]), 'INVALID_REFUND_REQUEST'];
      else allowed[201] = 'any';
      if (!target) allowed[404] = ['UNKNOWN_ORDER'];
      run.expectOutcome('refund', reply, allowed);
      return [];
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Invariants.

type LineState = 'open' | 'cancelled' | 'exported';

function lineStates(view: View): Map<string, { sku: string; state: LineState }> {
  const states = new Map<string, { sku: string; state: LineState }>();
  for (const order of view.orders) {
    const exported = new Set(order.exported_orders.flatMap((e) => e.line_items.map((l) => l.id)));
    for (const line of order.line_items) {
      const isExported = line.shopify_line_item_id !== null || exported.has(line.id);
      states.set(line.id, { sku: line.sku, state: line.cancelled ? 'cancelled' : isExported ? 'exported' : 'open' });
    }
  }
  return states;
}

/** Lines in exported state. */
export function exportedLineCount(view: View): number {
  return [...lineStates(view).values()].filter((l) => l.state === 'exported').length;
}

/** SKUs with a line that is new or changed state between two observations (e.g. exported by a run, closed). */
export function changedSkus(before: View, after: View): string[] {
  const was = lineStates(before);
  const changed = new Set<string>();
  for (const [id, now] of lineStates(after)) if (was.get(id)?.state !== now.state) changed.add(now.sku);
  return [...changed];
}

/** Every invariant of the brief; the SKU unit counts are asked only for `skus` (the ones this run touched). */
export async function checkInvariants(run: Run, model: Model, view: View, skus: Iterable<string>): Promise<void> {
  // Waitlists: available is what is left of the buy size, never negative; committed never above the buy size.
  // (The simulator clamps available at 0, so "available >= 0" alone could not fail: compare with the difference.)
  for (const waitlist of view.waitlists) {
    for (const v of waitlist.availability.variants) {
      run.check(v.available === null || v.available >= 0, () => `waitlist ${waitlist.id} variant ${v.sku}: available ${v.available} < 0`);
      run.check(v.available === null || v.buy_size === null || v.available === v.buy_size - v.committed,
        () => `waitlist ${waitlist.id} variant ${v.sku}: available ${v.available} != buy_size ${v.buy_size} - committed ${v.committed}`);
      run.check(v.buy_size === null || v.committed <= v.buy_size, () => `waitlist ${waitlist.id} variant ${v.sku}: committed ${v.committed} > buy_size ${v.buy_size}`);
    }
    // The product's figures: its committed units are its variants', and a per-product waitlist's shared units
    // (variants with buy_size null) are never oversold.
    const product = waitlist.availability.product;
    const committed = waitlist.availability.variants.reduce((sum, v) => sum + v.committed, 0);
    run.check(product.committed === committed, () => `waitlist ${waitlist.id}: product committed ${product.committed} != ${committed} over its variants`);
    if (waitlist.availability.variants.some((v) => v.buy_size === null)) {
      run.check(waitlist.availability.variants.every((v) => v.buy_size === null && v.available === null), () => `waitlist ${waitlist.id} mixes per-variant and shared units`);
      run.check(product.buy_size !== null && product.committed <= product.buy_size && product.available === product.buy_size - product.committed,
        () => `waitlist ${waitlist.id}: shared units ${product.buy_size}, committed ${product.committed}, available ${product.available}`);
    }
  }

  // The count is the unpaginated list's length, and both are every order the model knows of.
  run.check(view.count === view.orders.length, () => `count ${view.count} != ${view.orders.length} orders in the unpaginated list`);
  run.check(view.orders.length === model.orders.length, () => `${view.orders.length} orders listed, the model placed ${model.orders.length}`);

  // No line is both cancelled and exported.
  for (const order of view.orders) {
    const exported = new Set(order.exported_orders.flatMap((e) => e.line_items.map((l) => l.id)));
    for (const line of order.line_items) {
      run.check(!(line.cancelled && line.shopify_line_item_id !== null),
        () => `line ${line.id} (${line.sku}) of order ${order.id} is cancelled and has shopify_line_item_id ${line.shopify_line_item_id}`);
      run.check(!(line.cancelled && exported.has(line.id)),
        () => `line ${line.id} (${line.sku}) of order ${order.id} is cancelled and in an exported order`);
    }
  }

  // Exports are strictly oldest first per SKU: no open line sits in an older pre-order than an exported line.
  const newestExported = new Map<string, { position: number; created_at: string; order: string }>();
  const states = lineStates(view);
  view.orders.forEach((order, position) => {
    for (const line of order.line_items) {
      if (states.get(line.id)?.state === 'exported') newestExported.set(line.sku, { position, created_at: order.created_at, order: order.id });
    }
  });
  view.orders.forEach((order, position) => {
    for (const line of order.line_items) {
      const newest = newestExported.get(line.sku);
      if (states.get(line.id)?.state !== 'open' || !newest) continue;
      const older = position < newest.position || Date.parse(order.created_at) < Date.parse(newest.created_at);
      run.check(!older,
        () => `open line ${line.id} (${line.sku}) of order ${order.id} (#${position}, ${order.created_at}) is older than exported order ${newest.order} (#${newest.position}, ${newest.created_at})`);
    }
  });

  // Every unit ever bought is still on some line of the list.
  const listed = new Map<string, number>();
  for (const order of view.orders) for (const line of order.line_items) listed.set(line.sku, (listed.get(line.sku) ?? 0) + line.quantity);
  for (const sku of new Set([...listed.keys(), ...model.bought.keys()])) {
    run.check((listed.get(sku) ?? 0) === (model.bought.get(sku) ?? 0), () => `SKU ${sku}: ${listed.get(sku) ?? 0} units on listed lines, ${model.bought.get(sku) ?? 0} bought`);
  }

  // Per SKU: open + canceled + exported = every unit ever bought, and each figure is the units of the lines
  // the list shows in that state.
  const byState = new Map<string, Record<LineState, number>>();
  for (const order of view.orders) {
    for (const line of order.line_items) {
      const figures = byState.get(line.sku) ?? { open: 0, cancelled: 0, exported: 0 };
      figures[states.get(line.id)!.state] += line.quantity;
      byState.set(line.sku, figures);
    }
  }
  for (const sku of skus) {
    const units = await unitsOf(run, sku);
    const total = units.open_units + units.canceled_units + units.exported_units;
    const bought = model.bought.get(sku) ?? 0;
    run.check(total === bought,
      () => `SKU ${sku}: open ${units.open_units} + canceled ${units.canceled_units} + exported ${units.exported_units} = ${total}, but ${bought} units were bought`);
    const shown = byState.get(sku) ?? { open: 0, cancelled: 0, exported: 0 };
    run.check(units.open_units === shown.open && units.canceled_units === shown.cancelled && units.exported_units === shown.exported,
      () => `SKU ${sku}: counted open ${units.open_units}, canceled ${units.canceled_units}, exported ${units.exported_units}; the listed lines hold open ${shown.open}, cancelled ${shown.cancelled}, exported ${shown.exported}`);
  }
}
