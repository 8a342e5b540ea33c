import type { operations } from '../../../generated/simulator.ts';
import { setOwnStock } from '../../domain/catalogue.ts';
import { runPendingExports } from '../../domain/exports.ts';
import { voidFulfillmentOrder } from '../../domain/fulfillment.ts';
import { changeWaitlist } from '../../domain/lifecycle.ts';
import { parseCents } from '../../domain/money.ts';
import { cancelPreOrder, placePreOrder } from '../../domain/pre-orders.ts';
import { createWaitlist } from '../../domain/waitlists.ts';
import { scenarios } from '../../../scenarios/index.ts';
import type { Handlers } from '../handler.ts';
import { presentFulfillmentOrder, presentPreOrder, presentWaitlist } from '../present/private.ts';
import type { Simulation, Snapshot } from '../simulation.ts';

const clockOf = (sim: Simulation) => ({ now: sim.clock.now().toISOString(), mode: sim.clock.mode });

function status(sim: Simulation) {
  const { public_api_key, private_access_token, shared_secret } = sim.defaultStore().data.settings;
  return {
    status: 200 as const,
    data: { scenario: sim.scenario, seed: sim.seed, clock: clockOf(sim), credentials: { public_api_key, private_access_token, shared_secret } },
  };
}

export const controlHandlers: Handlers<operations> = {
  listScenarios: () => ({ status: 200, data: scenarios.map((s) => ({ name: s.name, summary: s.summary })) }),
  getStatus: ({ sim }) => status(sim),
  reset: ({ sim }) => {
    sim.reset();
    return status(sim);
  },
  loadScenario: ({ sim, body }) => {
    sim.load(body.name, body.seed ?? 1);
    return status(sim);
  },
  exportSnapshot: ({ sim }) => ({ status: 200, data: sim.snapshot() }),
  importSnapshot: ({ sim, body }) => {
    sim.restore(body);
    return status(sim);
  },
  placePreOrder: ({ store, body, now }) => {
    const order = placePreOrder(store, now, {
      email: body.email,
      lines: body.lines,
      currency: body.currency,
      shipping_cents: body.shipping_price === undefined ? undefined : parseCents(body.shipping_price) ?? undefined,
      first_name: body.customer?.first_name,
      last_name: body.customer?.last_name,
      external_customer_id: body.customer?.external_id,
      shipping_address: body.shipping_address,
      discount_codes: body.discount_codes,
    });
    return { status: 201, data: presentPreOrder(order) };
  },
  cancelPreOrder: ({ store, path, body, now }) => ({
    status: 200,
    data: presentPreOrder(cancelPreOrder(store, now, path.id, body)),
  }),
  createWaitlist: ({ store, body, now }) => ({
    status: 201,
    data: presentWaitlist(store, createWaitlist(store, now, body)),
  }),
  updateWaitlist: ({ store, path, body, now }) => ({
    status: 200,
    data: presentWaitlist(store, changeWaitlist(store, now, path.id, body)),
  }),
  setVariantStock: ({ store, path, body }) => {
    const variant = setOwnStock(store, path.id, body.available_in_stock);
    return { status: 200, data: { variant_id: variant.id, sku: variant.sku, available_in_stock: variant.own_stock } };
  },
  getClock: ({ sim }) => ({ status: 200, data: clockOf(sim) }),
  setClock: ({ sim, body }) => {
    sim.clock.set(new Date(body.now));
    sim.tick();
    return { status: 200, data: clockOf(sim) };
  },
  advanceClock: ({ sim, body }) => {
    sim.clock.advance(Math.round(body.seconds * 1000));
    sim.tick();
    return { status: 200, data: clockOf(sim) };
  },
  runExports: ({ store, now }) => ({ status: 200, data: runPendingExports(store, now) }),
  voidFulfillmentOrder: ({ store, path, now }) => ({
    status: 200,
    data: presentFulfillmentOrder(store, voidFulfillmentOrder(store, now, path.id)),
  }),
};
