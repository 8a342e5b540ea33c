import type { components as Sim } from '../../../generated/simulator.ts';
import { badge, h, json, table, when } from '../dom.ts';
import type { Panel } from '../context.ts';
import { actionButton, panel } from './section.ts';

type FaultRule = Sim['schemas']['FaultRule'];
type Delivery = Sim['schemas']['WebhookDelivery'];
type Subscription = Sim['schemas']['WebhookSubscription'];
type Coverage = Sim['schemas']['CoverageReport'];

/** The named profiles of `applyFaultProfile`, as the spec lists them. */
const PROFILES: [string, string][] = [
  ['flaky-network', '50–400 ms on every call, a reset on 5%'],
  ['rate-limited', '429 on 30% of calls'],
  ['launch-day', 'slow, 503 and 429 on 10% each'],
];

const ruleText = (rule: FaultRule): string => [
  rule.operationId ?? (rule.path ? `${rule.method ?? 'any'} ${rule.path}` : 'every Purple Dot call'),
  rule.status ? `→ ${rule.status}` : null,
  rule.kind ? `→ ${rule.kind}` : null,
  rule.latencyMs !== undefined ? `+${Array.isArray(rule.latencyMs) ? rule.latencyMs.join('–') : rule.latencyMs} ms` : null,
  rule.probability !== undefined ? `${Math.round(rule.probability * 100)}% of calls` : null,
].filter(Boolean).join(' ');

export function faultsPanel(): Panel {
  return panel('faults', 'Faults', async (ctx) => {
    const at = { storeId: ctx.store.id };
    const rules = await ctx.api.control<FaultRule[]>('GET', '/faults', at);
    return [
      h('div', { class: 'actions' },
        PROFILES.map(([name, summary]) => actionButton(ctx, `Switch on ${name}`, () => ctx.api.control('POST', `/faults/profiles/${name}`, at), { title: summary })),
        actionButton(ctx, 'Switch every fault off', () => ctx.api.control('DELETE', '/faults', at), { disabled: rules.length === 0 })),
      table('Fault rules', ['Rule', 'Does', 'Matched', 'Fired', 'Left', ''], rules.map((rule) => [
        h('code', {}, rule.id), ruleText(rule), rule.matched, rule.applied, rule.remaining ?? '∞',
        actionButton(ctx, 'Remove', () => ctx.api.control('DELETE', `/faults/${encodeURIComponent(rule.id)}`, at), { class: 'small', 'aria-label': `Remove fault rule ${rule.id}` }),
      ]), 'No faults: the Purple Dot API answers as it should.'),
    ];
  }, 'Make this store\'s Purple Dot API slow or failing on purpose. The control API and this page\'s own reads are never faulted.');
}

export function webhooksPanel(): Panel {
  return panel('webhooks', 'Webhook deliveries', async (ctx) => {
    const at = { storeId: ctx.store.id };
    const [subscriptions, deliveries] = await Promise.all([
      ctx.api.control<Subscription[]>('GET', '/webhooks', at),
      ctx.api.control<Delivery[]>('GET', '/webhooks/deliveries', at),
    ]);
    const newest = [...deliveries].reverse().slice(0, 50);
    return [
      table('Subscriptions', ['Subscription', 'URL', 'Events'], subscriptions.map((s) => [h('code', {}, s.id), h('code', {}, s.url), s.events.join(', ')]),
        'No subscriptions: POST /__sim/webhooks {"url": …} to receive this store\'s webhooks.'),
      table('Deliveries', ['#', 'Event', 'Attempt', 'Status', 'Sent', 'Detail'], newest.map((d) => [
        d.seq, h('code', {}, d.event), d.attempt, d.status === null ? badge(d.error ? 'failed' : 'not sent') : badge(String(d.status)), when(d.sent_at),
        h('details', {}, h('summary', {}, d.error ?? d.url), d.fault ? h('p', {}, `receiver fault: ${d.fault}`) : null, json({ headers: d.headers, body: d.body })),
      ]), 'No webhooks sent yet.'),
    ];
  });
}

export function coveragePanel(): Panel {
  return panel('coverage', 'API coverage', async (ctx) => {
    const report = await ctx.api.control<Coverage>('GET', '/coverage', { storeId: ctx.store.id });
    const met = Object.entries(report.operations).filter(([, op]) => op.calls > 0);
    const faults = Object.entries(report.faults).map(([kind, count]) => `${kind} ${count}`).join(', ');
    return [
      h('p', {}, `${report.calls} calls to the Purple Dot API; ${met.length} operations met, ${report.untouched.length} untouched.${faults ? ` Faults met: ${faults}.` : ''}`),
      table('Coverage', ['Operation', 'Calls', 'Statuses', 'Paged', 'Filters', 'Broke the spec'], met.map(([id, op]) => [
        h('code', {}, id), op.calls, Object.entries(op.statuses).map(([status, n]) => `${status}×${n}`).join(' '), op.paged ? 'yes' : 'no', op.filters.join(', ') || '—',
        op.nonConforming > 0 ? badge(String(op.nonConforming)) : '0',
      ]), 'No Purple Dot calls yet: point your integration at this store.'),
      report.untouched.length > 0 ? h('p', { class: 'muted' }, 'Untouched: ', report.untouched.flatMap((id) => [h('code', {}, id), ' '])) : null,
    ];
  }, 'What this store\'s requests met of the Purple Dot API (the control API and this page\'s reads never count).');
}
