import { badge, field, formValues, h, when } from '../dom.ts';
import type { Context, Panel } from '../context.ts';
import { actionButton, panel } from './section.ts';

type Secret = 'public_api_key' | 'private_access_token' | 'shared_secret';
const SECRETS: [Secret, string][] = [['public_api_key', 'Public API key'], ['private_access_token', 'Private access token'], ['shared_secret', 'Shared secret']];
const UNITS: [string, number][] = [['minutes', 60], ['hours', 3_600], ['days', 86_400]];

/** A secret shown as dots until asked for; the button says which it is. */
function secret(label: string, value: string): HTMLElement {
  const shown = h('code', { class: 'secret' }, '••••••••');
  const toggle = h('button', { type: 'button', class: 'small', 'aria-pressed': 'false', 'aria-label': `Show ${label}` }, 'Show');
  toggle.addEventListener('click', () => {
    const showing = toggle.getAttribute('aria-pressed') !== 'true';
    shown.textContent = showing ? value : '••••••••';
    toggle.textContent = showing ? 'Hide' : 'Show';
    toggle.setAttribute('aria-pressed', String(showing));
    toggle.setAttribute('aria-label', `${showing ? 'Hide' : 'Show'} ${label}`);
  });
  return h('span', { class: 'secret-row' }, shown, ' ', toggle);
}

const scenarioSelect = (ctx: Context, name: string, selected?: string): HTMLSelectElement =>
  h('select', { name }, ctx.scenarios.map((s) => h('option', { value: s.name, selected: s.name === selected, title: s.summary }, s.name)));

function submitting(handler: (values: Record<string, string>, form: HTMLFormElement) => void) {
  return (event: Event): void => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    handler(formValues(form), form);
  };
}

/** Saves a snapshot answer's `data` as a file, which `Upload` (PUT snapshot) takes back as it is. */
function download(storeId: string, snapshot: unknown): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(snapshot)], { type: 'application/json' }));
  const link = h('a', { href: url, download: `purple-dot-sim-${storeId}-snapshot.json` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

export function storePanel(): Panel {
  return panel('store', 'Store', async (ctx) => {
    const { store, api } = ctx;
    const at = { storeId: store.id };
    const facts = h('dl', { class: 'facts' },
      h('dt', {}, 'Store'), h('dd', {}, h('code', {}, store.id)),
      h('dt', {}, 'Scenario'), h('dd', {}, store.scenario),
      h('dt', {}, 'Seed'), h('dd', {}, store.seed),
      h('dt', {}, 'Clock'), h('dd', {}, h('time', { id: 'clock-now', datetime: store.clock.now }, when(store.clock.now)), ' ', badge(store.clock.mode)),
      h('dt', {}, 'Shop domain'), h('dd', {}, h('code', {}, store.shop_domain)),
      SECRETS.flatMap(([key, label]) => [h('dt', {}, label), h('dd', {}, secret(label, store.credentials[key]))]));

    const load = h('form', { class: 'inline', 'aria-label': 'Load a scenario', onsubmit: submitting((v) => void ctx.act(`Load ${v.scenario}`, () => api.control('POST', '/scenario', { ...at, body: { name: v.scenario, seed: Number(v.seed) } }))) },
      field('Scenario', scenarioSelect(ctx, 'scenario', store.scenario)),
      field('Seed', h('input', { name: 'seed', type: 'number', min: 0, value: store.seed, required: true, class: 'narrow' })),
      h('button', {}, 'Load scenario'));
    const setClock = h('form', { class: 'inline', 'aria-label': 'Set the clock', onsubmit: submitting((v) => void ctx.act('Set the clock', () => api.control('PUT', '/clock', { ...at, body: { now: v.now } }))) },
      field('Clock to', h('input', { name: 'now', value: store.clock.now, required: true, size: 26 })),
      h('button', {}, 'Set clock'));
    const advance = h('form', { class: 'inline', 'aria-label': 'Advance the clock', onsubmit: submitting((v) => {
      const seconds = Number(v.amount) * Number(v.unit);
      void ctx.act(`Advance the clock ${v.amount} × ${v.unit} s`, () => api.control('POST', '/clock/advance', { ...at, body: { seconds } }));
    }) },
      field('Advance by', h('input', { name: 'amount', type: 'number', min: 0, step: 'any', value: 1, required: true, class: 'narrow' })),
      field('Unit', h('select', { name: 'unit' }, UNITS.map(([label, seconds]) => h('option', { value: seconds, selected: label === 'days' }, label)))),
      h('button', {}, 'Advance clock'));
    const upload = h('input', { type: 'file', accept: 'application/json,.json', class: 'visually-hidden', id: 'snapshot-file', tabindex: -1 });
    upload.addEventListener('change', () => {
      const file = upload.files?.[0];
      if (!file) return;
      void ctx.act(`Upload snapshot ${file.name}`, async () => {
        const parsed = JSON.parse(await file.text()) as { meta?: unknown; data?: unknown };
        // A whole GET answer is accepted too: PUT takes its `data`.
        await api.control('PUT', '/snapshot', { ...at, body: parsed.meta !== undefined && parsed.data !== undefined ? parsed.data : parsed });
      });
      upload.value = '';
    });
    const steering = h('div', { class: 'actions' },
      actionButton(ctx, 'Reset to the scenario', () => api.control('POST', '/reset', at)),
      actionButton(ctx, 'Download snapshot', async () => download(store.id, await api.control('GET', '/snapshot', at))),
      h('button', { type: 'button', onclick: () => upload.click() }, 'Upload snapshot…'), upload);
    const create = h('form', { class: 'inline', 'aria-label': 'Create a store', onsubmit: submitting((v) => void ctx.act(`Create a ${v.scenario} store`, async () => {
      const made = await api.control<{ id: string }>('POST', '/stores', { body: { scenario: v.scenario, ...(v.seed ? { seed: Number(v.seed) } : {}), clock: v.clock } });
      await ctx.pick(made.id);
    })) },
      field('New store from', scenarioSelect(ctx, 'scenario')),
      field('Seed', h('input', { name: 'seed', type: 'number', min: 0, placeholder: '1', class: 'narrow' })),
      field('Clock', h('select', { name: 'clock' }, h('option', { value: 'manual' }, 'manual'), h('option', { value: 'system' }, 'system'))),
      h('button', {}, 'Create store'));
    return h('div', { class: 'store-grid' }, h('div', {}, facts, steering), h('div', {}, load, setClock, advance, create));
  });
}
