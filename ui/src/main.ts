import { ApiError, createApi } from './api.ts';
import { field, h, show } from './dom.ts';
import type { Context, Panel, ScenarioSummary, Store } from './context.ts';
import { createJournalView } from './journal.ts';
import { createNotices, describeError } from './notices.ts';
import { productsPanel, unitsPanel } from './panels/catalogue.ts';
import { fulfilmentPanel } from './panels/fulfilment.ts';
import { coveragePanel, faultsPanel, webhooksPanel } from './panels/harness.ts';
import { preOrdersPanel } from './panels/pre-orders.ts';
import { storePanel } from './panels/store.ts';
import { waitlistsPanel } from './panels/waitlists.ts';
import { initialToken, saveToken } from './token.ts';

/** A burst of journal entries (a connector's sync) refreshes the panels once, this long after the first. */
const REFRESH_AFTER_MS = 500;

const app = document.getElementById('app')!;
const picker = document.getElementById('store-picker') as HTMLSelectElement;
const notices = createNotices(document.getElementById('notices')!);
const api = createApi(initialToken());

const webhooks = webhooksPanel();
const panels: Panel[] = [storePanel(), faultsPanel(), waitlistsPanel(), productsPanel(), unitsPanel(), preOrdersPanel(), fulfilmentPanel(), webhooks, coveragePanel()];
/**
 * Webhooks go out after the change that caused them, and their delivery is no request (no journal entry brings
 * a refresh): they are looked at again this long after a refresh, then after each of these pauses, since an
 * attempt may be held up or retried.
 */
const DELIVERY_LOOKS_MS = [1_500, 1_500, 3_000, 6_000];
let lateLook: ReturnType<typeof setTimeout> | undefined;
const journal = createJournalView(api, { onEntry: () => scheduleRefresh(), onLocked: () => void locked() });

let stores: Store[] = [];
let scenarios: ScenarioSummary[] = [];
let storeId = new URLSearchParams(location.hash.slice(1)).get('store') ?? 'default';
let refreshing: Promise<void> | undefined;
let again = false;
let timer: ReturnType<typeof setTimeout> | undefined;

const context = (): Context => ({ api, store: stores.find((s) => s.id === storeId) ?? stores[0]!, scenarios, act, pick });

/** Reads the stores again, then every panel of the picked one; a refresh asked for meanwhile runs once after. */
function refresh(): Promise<void> {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      again = false;
      stores = await api.control<Store[]>('GET', '/stores');
      if (!stores.some((s) => s.id === storeId)) storeId = stores[0]?.id ?? 'default';
      fillPicker();
      const ctx = context();
      await Promise.all(panels.map((p) => p.load(ctx)));
      lookAtDeliveries(0);
    } while (again);
  })().catch((error: unknown) => {
    if (error instanceof ApiError && error.status === 401) return locked(error.message);
    notices.failed('Reading the stores', error);
  }).finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

/** The webhooks panel read again after the pauses of DELIVERY_LOOKS_MS from the `from`-th on; a refresh starts them over. */
function lookAtDeliveries(from: number): void {
  clearTimeout(lateLook);
  if (from >= DELIVERY_LOOKS_MS.length) return;
  lateLook = setTimeout(() => {
    void webhooks.load(context());
    lookAtDeliveries(from + 1);
  }, DELIVERY_LOOKS_MS[from]);
}

/** At most one refresh per interval however many entries arrive, and never starved by a steady stream of them. */
function scheduleRefresh(): void {
  if (timer !== undefined) return;
  timer = setTimeout(() => {
    timer = undefined;
    void refresh();
  }, REFRESH_AFTER_MS);
}

async function act(label: string, change: () => Promise<unknown>): Promise<void> {
  notices.working(label);
  try {
    await change();
    notices.done(label);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return locked(error.message);
    notices.failed(label, error);
  }
  await refresh();
}

async function pick(id: string): Promise<void> {
  storeId = id;
  history.replaceState(null, '', `#store=${encodeURIComponent(id)}`);
  journal.follow(id);
  await refresh();
}

function fillPicker(): void {
  show(picker, stores.map((s) => h('option', { value: s.id, selected: s.id === storeId }, `${s.id} · ${s.scenario} (seed ${s.seed})`)));
  picker.disabled = false;
}

function layout(): void {
  const sections = panels.map((p) => p.element);
  const nav = h('nav', { class: 'sections', 'aria-label': 'Sections' }, h('ul', {},
    [['store', 'Store'], ['faults', 'Faults'], ['waitlists', 'Waitlists'], ['products', 'Products'], ['units', 'Units'], ['pre-orders', 'Pre-orders'],
      ['fulfilment', 'Fulfillment'], ['webhooks', 'Webhooks'], ['coverage', 'Coverage'], ['journal', 'Journal']]
      .map(([id, label]) => h('li', {}, h('a', { href: `#${id}`, onclick: (event: Event) => {
        event.preventDefault();
        document.getElementById(id!)?.scrollIntoView();
        document.getElementById(id!)?.querySelector<HTMLElement>('h2, summary')?.focus();
      } }, label!)))));
  const aside = h('aside', { id: 'journal', 'aria-labelledby': 'journal-title' }, h('h2', { id: 'journal-title', tabindex: -1 }, 'Journal'), journal.element);
  for (const heading of sections.map((s) => s.querySelector('h2'))) heading?.setAttribute('tabindex', '-1');
  show(app, nav, h('div', { class: 'layout' }, h('div', { class: 'panels' }, sections), aside));
}

/** The simulator wants its control token: ask for it, and try it before showing anything. */
async function locked(message?: string): Promise<void> {
  journal.stop();
  picker.disabled = true;
  const error = h('p', { class: 'error', role: 'alert' }, message && api.token ? message : '');
  const input = h('input', { name: 'token', type: 'password', autocomplete: 'off', required: true, size: 32 });
  const form = h('form', { class: 'locked', 'aria-labelledby': 'locked-title', onsubmit: (event: Event) => {
    event.preventDefault();
    api.token = input.value.trim();
    void start();
  } },
    h('h2', { id: 'locked-title' }, 'This simulator is locked'),
    h('p', {}, 'It was started with a control token (--control-token). Enter it to see and steer the stores; it is kept in this tab only.'),
    field('Control token', input), h('button', {}, 'Unlock'), error);
  show(app, form);
  input.focus();
}

async function start(): Promise<void> {
  try {
    [stores, scenarios] = await Promise.all([api.control<Store[]>('GET', '/stores'), api.control<ScenarioSummary[]>('GET', '/scenarios')]);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      saveToken(undefined);
      return locked(error.message);
    }
    show(app, h('p', { class: 'error', role: 'alert' }, `The simulator did not answer: ${describeError(error)}`));
    return;
  }
  saveToken(api.token);
  layout();
  picker.onchange = () => void pick(picker.value);
  document.getElementById('refresh')!.onclick = () => void refresh();
  await pick(stores.some((s) => s.id === storeId) ? storeId : 'default');
}

// A store on the system clock changes on its own (scheduled launches and pauses need no request): look again now and then.
const SYSTEM_CLOCK_REFRESH_MS = 10_000;
setInterval(() => {
  if (document.visibilityState === 'visible' && stores.find((s) => s.id === storeId)?.clock.mode === 'system') void refresh();
}, SYSTEM_CLOCK_REFRESH_MS);

void start();
