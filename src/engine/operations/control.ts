import { readFileSync } from 'node:fs';
import type { operations } from '../../../generated/simulator.ts';
import { packageFileUrl } from '../../package-files.ts';
import { DEFAULT_STORE_ID } from '../defaults.ts';
import { FAULT_PROFILES } from '../faults.ts';
import { setOwnStock, variantsOf } from '../../domain/catalogue.ts';
import { productState, variantState } from '../../domain/preorder-state.ts';
import type { StoreState } from '../../domain/store.ts';
import { runPendingExports } from '../../domain/exports.ts';
import { voidFulfillmentOrder } from '../../domain/fulfillment.ts';
import { changeWaitlist } from '../../domain/lifecycle.ts';
import { formatCents, parseCents } from '../../domain/money.ts';
import { cancelPreOrder, placePreOrder } from '../../domain/pre-orders.ts';
import { updateSettings } from '../../domain/settings.ts';
import { createWaitlist } from '../../domain/waitlists.ts';
import { readWebhookState } from '../../webhooks/settings.ts';
import { addSubscription, removeSubscription, setSettings } from '../../webhooks/subscriptions.ts';
import type { BodyOf, EngineContext, Handler, Handlers, PathOf, QueryOf, Success } from '../handler.ts';
import { presentFulfillmentOrder, presentPreOrder, presentWaitlist } from '../present/private.ts';
import type { HostedStore } from '../store.ts';

/** The default store also owns the requests that named no store (a wrong credential lands there). */
const ownsEntry = (store: HostedStore, entryStore: string | null): boolean => entryStore === store.id || (store.id === DEFAULT_STORE_ID && entryStore === null);

let version: string | undefined;
const packageVersion = (): string => (version ??= (JSON.parse(readFileSync(packageFileUrl('package.json'), 'utf8')) as { version: string }).version);

const clockOf = (store: HostedStore) => ({ now: store.clock.now().toISOString(), mode: store.clock.mode });

function presentStore(store: HostedStore) {
  const { public_api_key, private_access_token, shared_secret } = store.credentials;
  return {
    id: store.id, scenario: store.scenario, seed: store.seed, clock: clockOf(store), credentials: { public_api_key, private_access_token, shared_secret },
    // Beside the credentials: the SDK names the store by it in place of the public key (observed in the SDK).
    shop_domain: store.shopDomain,
  };
}

const presentSettings = (store: HostedStore) => {
  const { inventory_mode, flags } = store.state.data.settings;
  return { inventory_mode, flags: structuredClone(flags) };
};

function status(store: HostedStore) {
  const { id, ...rest } = presentStore(store);
  return { status: 200 as const, data: { store: id, ...rest } };
}

/** The catalogue with its pre-order states, by the same rules as the public API's per-handle and per-variant reads. */
const presentProducts = (state: StoreState) => state.data.products.map((product) => {
  const decided = productState(state, product);
  return {
    id: product.id, handle: product.handle, title: product.title, state: decided.state, waitlist_id: decided.waitlist?.id ?? null,
    variants: variantsOf(state, product).map((v) => ({ id: v.id, sku: v.sku, title: v.title, available_in_stock: v.own_stock, state: variantState(state, v).state })),
  };
});

const presentRefunds = (state: StoreState) =>
  state.data.refunds.map((r) => ({ id: r.id, order: r.order, amount: formatCents(r.amount_cents), currency: r.currency, created_at: r.created_at }));

/** The journal entries of a store after `after`, the newest `limit`: the opening of a journal stream. */
const journalAfter = (engine: EngineContext, store: HostedStore, after = 0, limit = 100) =>
  engine.journal.entries().filter((entry) => entry.seq > after && ownsEntry(store, entry.store)).slice(-limit);

type StoreOperations = Omit<operations, `${string}InStore`>;

/** The control operations of one store; the same handlers answer under `/__sim/…` and `/__sim/stores/{storeId}/…`. */
const storeHandlers: Handlers<StoreOperations> = {
  listScenarios: ({ engine }) => ({ status: 200, data: engine.scenarios.map((s) => ({ name: s.name, summary: s.summary })) }),
  listStores: ({ engine }) => ({ status: 200, data: engine.stores.list().map(presentStore) }),
  createStore: ({ engine, body }) => ({ status: 201, data: presentStore(engine.createStore(body)) }),
  // The store its `storeId` names is the store these act on (see dispatch.ts).
  getStore: ({ store }) => ({ status: 200, data: presentStore(store) }),
  deleteStore: ({ engine, store }) => ({ status: 200, data: presentStore(engine.deleteStore(store.id)) }),
  getIndex: ({ engine }) => ({
    status: 200,
    data: {
      name: 'purple-dot-sim',
      version: packageVersion(),
      stores: engine.stores.list().length,
      links: {
        status: '/__sim/status', stores: '/__sim/stores', scenarios: '/__sim/scenarios', journal: '/__sim/journal', faults: '/__sim/faults', coverage: '/__sim/coverage',
      },
    },
  }),
  getStatus: ({ store }) => status(store),
  getJournal: ({ engine, store, query }) => {
    const { limit = 100, ...filter } = query;
    const entries = engine.journal.entries(filter).filter((entry) => ownsEntry(store, entry.store));
    return { status: 200, data: entries.slice(-limit) };
  },
  // Over HTTP with `Accept: text/event-stream` the adapter streams (src/ui/journal-stream.ts); this is the opening.
  streamJournal: ({ engine, store, query }) => ({ status: 200, data: journalAfter(engine, store, query.after, query.limit) }),
  listProducts: ({ state }) => ({ status: 200, data: presentProducts(state) }),
  listRefunds: ({ state }) => ({ status: 200, data: presentRefunds(state) }),
  clearJournal: ({ engine, store }) => {
    let cleared = engine.journal.clear(store.id);
    if (store.id === DEFAULT_STORE_ID) cleared += engine.journal.clear(null);
    return { status: 200, data: { cleared } };
  },
  listFaults: ({ store }) => ({ status: 200, data: store.faults.list() }),
  addFault: ({ store, body }) => ({ status: 201, data: store.faults.add(body) }),
  clearFaults: ({ store }) => ({ status: 200, data: { cleared: store.faults.clear() } }),
  removeFault: ({ store, path }) => ({ status: 200, data: store.faults.remove(path.faultId) }),
  applyFaultProfile: ({ store, path }) => ({ status: 201, data: FAULT_PROFILES[path.profile].map((rule) => store.faults.add(rule)) }),
  getCoverage: ({ store }) => ({ status: 200, data: store.coverage.report() }),
  getSettings: ({ store }) => ({ status: 200, data: presentSettings(store) }),
  updateSettings: ({ store, state, body }) => {
    updateSettings(state, body);
    return { status: 200, data: presentSettings(store) };
  },
  listTrackedEvents: ({ store, query }) => ({ status: 200, data: store.tracked.list(query) }),
  reset: ({ store }) => {
    store.reset();
    return status(store);
  },
  loadScenario: ({ store, body }) => {
    store.load(body.name, body.seed ?? 1);
    return status(store);
  },
  exportSnapshot: ({ store }) => ({ status: 200, data: store.snapshot() }),
  importSnapshot: ({ store, body }) => {
    store.restore(body);
    return status(store);
  },
  placePreOrder: ({ state, body, now }) => {
    const order = placePreOrder(state, now, {
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
  cancelPreOrder: ({ state, path, body, now }) => ({
    status: 200,
    data: presentPreOrder(cancelPreOrder(state, now, path.id, body)),
  }),
  createWaitlist: ({ state, body, now }) => ({
    status: 201,
    data: presentWaitlist(state, createWaitlist(state, now, body)),
  }),
  updateWaitlist: ({ state, path, body, now }) => ({
    status: 200,
    data: presentWaitlist(state, changeWaitlist(state, now, path.id, body)),
  }),
  setVariantStock: ({ state, path, body, now }) => {
    const variant = setOwnStock(state, now, path.id, body.available_in_stock);
    return { status: 200, data: { variant_id: variant.id, sku: variant.sku, available_in_stock: variant.own_stock } };
  },
  getClock: ({ store }) => ({ status: 200, data: clockOf(store) }),
  setClock: ({ store, body, engine }) => {
    store.clock.set(new Date(body.now));
    store.tick();
    // Webhook retries and delays waiting on this store's clock go now if it reached them.
    engine.webhooks.clockMoved(store.id);
    return { status: 200, data: clockOf(store) };
  },
  advanceClock: ({ store, body, engine }) => {
    store.clock.advance(Math.round(body.seconds * 1000));
    store.tick();
    engine.webhooks.clockMoved(store.id);
    return { status: 200, data: clockOf(store) };
  },
  runExports: ({ state, now }) => ({ status: 200, data: runPendingExports(state, now) }),
  listWebhooks: ({ state }) => ({ status: 200, data: structuredClone(readWebhookState(state.data.webhooks).subscriptions) }),
  addWebhook: ({ state, body, now }) => ({ status: 201, data: structuredClone(addSubscription(state.data, now, body)) }),
  removeWebhook: ({ state, path }) => ({ status: 200, data: removeSubscription(state.data, path.webhookId) }),
  listWebhookDeliveries: ({ engine, store }) => ({ status: 200, data: engine.webhooks.deliveries(store.id) }),
  getWebhookSettings: ({ state }) => ({ status: 200, data: structuredClone(readWebhookState(state.data.webhooks).settings) }),
  setWebhookSettings: ({ state, body }) => ({ status: 200, data: structuredClone(setSettings(state.data, body)) }),
  voidFulfillmentOrder: ({ state, path, now }) => ({
    status: 200,
    data: presentFulfillmentOrder(state, voidFulfillmentOrder(state, now, path.id)),
  }),
};

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * The handler of an operation also answers its copy under `/__sim/stores/{storeId}/…`. The `true` type-checks
 * only while both copies take the same input (storeId aside) and give the same answers, so the spec cannot
 * let them drift apart unnoticed.
 */
function inStore<Base, Scoped>(
  handler: Handler<Base>,
  _same: Same<[QueryOf<Base>, PathOf<Base>, BodyOf<Base>, Success<Base>], [QueryOf<Scoped>, PathOf<Scoped>, BodyOf<Scoped>, Success<Scoped>]>,
): Handler<Scoped> {
  return handler as unknown as Handler<Scoped>;
}

type Ops = operations;

export const controlHandlers: Handlers<operations> = {
  ...storeHandlers,
  getStatusInStore: inStore<Ops['getStatus'], Ops['getStatusInStore']>(storeHandlers.getStatus, true),
  resetInStore: inStore<Ops['reset'], Ops['resetInStore']>(storeHandlers.reset, true),
  loadScenarioInStore: inStore<Ops['loadScenario'], Ops['loadScenarioInStore']>(storeHandlers.loadScenario, true),
  exportSnapshotInStore: inStore<Ops['exportSnapshot'], Ops['exportSnapshotInStore']>(storeHandlers.exportSnapshot, true),
  importSnapshotInStore: inStore<Ops['importSnapshot'], Ops['importSnapshotInStore']>(storeHandlers.importSnapshot, true),
  placePreOrderInStore: inStore<Ops['placePreOrder'], Ops['placePreOrderInStore']>(storeHandlers.placePreOrder, true),
  cancelPreOrderInStore: inStore<Ops['cancelPreOrder'], Ops['cancelPreOrderInStore']>(storeHandlers.cancelPreOrder, true),
  createWaitlistInStore: inStore<Ops['createWaitlist'], Ops['createWaitlistInStore']>(storeHandlers.createWaitlist, true),
  updateWaitlistInStore: inStore<Ops['updateWaitlist'], Ops['updateWaitlistInStore']>(storeHandlers.updateWaitlist, true),
  setVariantStockInStore: inStore<Ops['setVariantStock'], Ops['setVariantStockInStore']>(storeHandlers.setVariantStock, true),
  getClockInStore: inStore<Ops['getClock'], Ops['getClockInStore']>(storeHandlers.getClock, true),
  setClockInStore: inStore<Ops['setClock'], Ops['setClockInStore']>(storeHandlers.setClock, true),
  advanceClockInStore: inStore<Ops['advanceClock'], Ops['advanceClockInStore']>(storeHandlers.advanceClock, true),
  runExportsInStore: inStore<Ops['runExports'], Ops['runExportsInStore']>(storeHandlers.runExports, true),
  voidFulfillmentOrderInStore: inStore<Ops['voidFulfillmentOrder'], Ops['voidFulfillmentOrderInStore']>(storeHandlers.voidFulfillmentOrder, true),
  getJournalInStore: inStore<Ops['getJournal'], Ops['getJournalInStore']>(storeHandlers.getJournal, true),
  clearJournalInStore: inStore<Ops['clearJournal'], Ops['clearJournalInStore']>(storeHandlers.clearJournal, true),
  listFaultsInStore: inStore<Ops['listFaults'], Ops['listFaultsInStore']>(storeHandlers.listFaults, true),
  addFaultInStore: inStore<Ops['addFault'], Ops['addFaultInStore']>(storeHandlers.addFault, true),
  clearFaultsInStore: inStore<Ops['clearFaults'], Ops['clearFaultsInStore']>(storeHandlers.clearFaults, true),
  removeFaultInStore: inStore<Ops['removeFault'], Ops['removeFaultInStore']>(storeHandlers.removeFault, true),
  applyFaultProfileInStore: inStore<Ops['applyFaultProfile'], Ops['applyFaultProfileInStore']>(storeHandlers.applyFaultProfile, true),
  getCoverageInStore: inStore<Ops['getCoverage'], Ops['getCoverageInStore']>(storeHandlers.getCoverage, true),
  listWebhooksInStore: inStore<Ops['listWebhooks'], Ops['listWebhooksInStore']>(storeHandlers.listWebhooks, true),
  addWebhookInStore: inStore<Ops['addWebhook'], Ops['addWebhookInStore']>(storeHandlers.addWebhook, true),
  removeWebhookInStore: inStore<Ops['removeWebhook'], Ops['removeWebhookInStore']>(storeHandlers.removeWebhook, true),
  listWebhookDeliveriesInStore: inStore<Ops['listWebhookDeliveries'], Ops['listWebhookDeliveriesInStore']>(storeHandlers.listWebhookDeliveries, true),
  getWebhookSettingsInStore: inStore<Ops['getWebhookSettings'], Ops['getWebhookSettingsInStore']>(storeHandlers.getWebhookSettings, true),
  setWebhookSettingsInStore: inStore<Ops['setWebhookSettings'], Ops['setWebhookSettingsInStore']>(storeHandlers.setWebhookSettings, true),
  getSettingsInStore: inStore<Ops['getSettings'], Ops['getSettingsInStore']>(storeHandlers.getSettings, true),
  updateSettingsInStore: inStore<Ops['updateSettings'], Ops['updateSettingsInStore']>(storeHandlers.updateSettings, true),
  streamJournalInStore: inStore<Ops['streamJournal'], Ops['streamJournalInStore']>(storeHandlers.streamJournal, true),
  listProductsInStore: inStore<Ops['listProducts'], Ops['listProductsInStore']>(storeHandlers.listProducts, true),
  listRefundsInStore: inStore<Ops['listRefunds'], Ops['listRefundsInStore']>(storeHandlers.listRefunds, true),
  listTrackedEventsInStore: inStore<Ops['listTrackedEvents'], Ops['listTrackedEventsInStore']>(storeHandlers.listTrackedEvents, true),
};
