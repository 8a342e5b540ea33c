import type { components as PD } from '../../../generated/purple-dot.ts';
import { badge, h, table, when } from '../dom.ts';
import type { Context, Panel } from '../context.ts';
import { actionButton, panel } from './section.ts';

type Waitlist = PD['schemas']['PrivateWaitlist'];
type WaitlistState = Waitlist['state'];
interface WaitlistPage { data: { waitlists: Waitlist[]; has_more: boolean } }

/** The moves the page offers; the simulator decides which are allowed and says why when one is not. */
const MOVES: [string, WaitlistState][] = [['Launch', 'LIVE'], ['Pause', 'PAUSED'], ['Close', 'CLOSED']];

const unitsLeft = (w: Waitlist): HTMLElement => h('ul', { class: 'plain' },
  w.availability.product.buy_size !== null
    ? h('li', {}, `shared: ${w.availability.product.available ?? '—'} of ${w.availability.product.buy_size} left`)
    : null,
  w.availability.variants.map((v) => h('li', {}, h('code', {}, v.sku), ' ',
    v.buy_size === null ? `${v.committed} taken` : `${v.available ?? 0} of ${v.buy_size} left`)));

export function waitlistsPanel(): Panel {
  return panel('waitlists', 'Waitlists', async (ctx: Context) => {
    const page = await ctx.api.admin<WaitlistPage>('GET', '/waitlists?limit=100', ctx.store.credentials.private_access_token);
    const rows = page.data.waitlists.map((w) => [
      h('code', { title: w.id }, w.id.slice(0, 8)),
      h('code', {}, w.availability.product.product_id),
      h('span', { 'data-waitlist-state': w.id }, badge(w.state)),
      when(w.launch_date),
      `${w.earliest_ship_date.slice(0, 10)} – ${w.latest_ship_date.slice(0, 10)}`,
      unitsLeft(w),
      h('div', { class: 'actions' }, MOVES.map(([label, state]) => actionButton(ctx, label,
        () => ctx.api.control('PATCH', `/waitlists/${encodeURIComponent(w.id)}`, { storeId: ctx.store.id, body: { state } }),
        { class: 'small', disabled: w.state === state, 'aria-label': `${label} waitlist ${w.id.slice(0, 8)}` }))),
    ]);
    return [
      table('Waitlists', ['Waitlist', 'Product', 'State', 'Launches', 'Ships', 'Units left', 'Move'], rows, 'This store has no waitlists.'),
      page.data.has_more ? h('p', { class: 'muted' }, 'The first 100 waitlists are shown.') : null,
    ];
  });
}
