import { conflict, invalid, notFound } from '../domain/errors.ts';
import type { StoreData, WebhookEventName, WebhookSettings, WebhookState, WebhookSubscription } from '../domain/types.ts';
import { MAX_SUBSCRIPTIONS, readWebhookState, settingsFrom, type WebhookSettingsInput } from './settings.ts';

export const WEBHOOK_EVENTS: readonly WebhookEventName[] = [
  'waitlist.created', 'waitlist.stock_changed', 'waitlist.pre_orders_changed', 'waitlist.paused',
  'pre_order.created', 'pre_order.updated', 'pre_order.cancelled',
];

/** Why `url` cannot take webhooks, or undefined when it can: an absolute http(s) URL with a host. */
export function webhookUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `must be an http or https URL, not ${parsed.protocol.replace(/:$/, '')}`;
  if (parsed.hostname === '') return 'must name a host';
  return undefined;
}

/** The store's webhook state, made on first write (a store that never had any snapshots without it). */
function writable(data: StoreData): WebhookState {
  data.webhooks ??= readWebhookState(undefined);
  return data.webhooks;
}

export function addSubscription(data: StoreData, now: Date, input: { url: string; events?: WebhookEventName[] }): WebhookSubscription {
  const problem = webhookUrlProblem(input.url);
  if (problem) throw invalid('INVALID_REQUEST', 'url', problem);
  const current = readWebhookState(data.webhooks);
  if (current.subscriptions.length >= MAX_SUBSCRIPTIONS) {
    throw conflict('TOO_MANY_WEBHOOKS', 'url', `a store holds at most ${MAX_SUBSCRIPTIONS} webhook subscriptions; remove one first`);
  }
  const state = writable(data);
  state.seq += 1;
  // Kept in the order the spec lists them, whatever order they were asked in, so equal sets look equal.
  const events = input.events ? WEBHOOK_EVENTS.filter((e) => input.events!.includes(e)) : [...WEBHOOK_EVENTS];
  const subscription: WebhookSubscription = { id: `wh_${state.seq}`, url: new URL(input.url).href, events, created_at: now.toISOString() };
  state.subscriptions.push(subscription);
  return subscription;
}

export function removeSubscription(data: StoreData, id: string): WebhookSubscription {
  const subscriptions = readWebhookState(data.webhooks).subscriptions;
  const at = subscriptions.findIndex((s) => s.id === id);
  if (at < 0) throw notFound('UNKNOWN_WEBHOOK', 'webhookId', `the store has no webhook subscription ${id}`);
  return subscriptions.splice(at, 1)[0]!;
}

export function setSettings(data: StoreData, input: WebhookSettingsInput): WebhookSettings {
  const state = writable(data);
  state.settings = settingsFrom(input);
  return state.settings;
}

/**
 * What a snapshot's webhook state must hold beyond its schema; the first problem, or undefined. Ids unique
 * and numbered at most `seq`, so a later subscription never takes an id already in use.
 */
export function webhookStateProblem(webhooks: WebhookState | undefined): string | undefined {
  if (!webhooks) return undefined;
  const ids = new Set<string>();
  for (const subscription of webhooks.subscriptions) {
    if (ids.has(subscription.id)) return `webhook subscription ${subscription.id} is listed twice`;
    ids.add(subscription.id);
    if (Number(subscription.id.slice(3)) > webhooks.seq) return `webhook subscription ${subscription.id} is numbered past seq ${webhooks.seq}`;
    const problem = webhookUrlProblem(subscription.url);
    if (problem) return `webhook subscription ${subscription.id}: url ${problem}`;
  }
  return undefined;
}
