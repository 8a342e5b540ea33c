import type { WebhookSettings, WebhookState } from '../domain/types.ts';

/**
 * Delivery defaults (simulator design): a failing receiver sees its three attempts within about 1.5 s plus
 * the attempts' own time, and with every attempt timing out (2 s each) all three still start within 10 s.
 */
export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = Object.freeze({
  backoff_ms: Object.freeze([500, 1000]) as unknown as [number, number],
  timeout_ms: 2000,
  faults: Object.freeze({ duplicate: 0, out_of_order: 0, delay: 0, delay_ms: 1000, tampered_signature: 0, seed: 1 }),
}) as WebhookSettings;

/** Attempts per webhook (documented: "each delivery attempted up to 3 times"). */
export const MAX_ATTEMPTS = 3;

/** Subscriptions one store may hold (inferred cap, see `addWebhook`). */
export const MAX_SUBSCRIPTIONS = 20;

export type WebhookSettingsInput = {
  backoff_ms?: [number, number];
  timeout_ms?: number;
  faults?: Partial<WebhookSettings['faults']>;
};

/** The settings a `setWebhookSettings` body gives: every field left out takes its default. */
export function settingsFrom(input: WebhookSettingsInput): WebhookSettings {
  const defaults = DEFAULT_WEBHOOK_SETTINGS;
  return {
    backoff_ms: [...(input.backoff_ms ?? defaults.backoff_ms)] as [number, number],
    timeout_ms: input.timeout_ms ?? defaults.timeout_ms,
    faults: { ...defaults.faults, ...input.faults },
  };
}

/** A store's webhook state as read: the defaults when it never had any. Never written through. */
export function readWebhookState(webhooks: WebhookState | undefined): WebhookState {
  return webhooks ?? { seq: 0, subscriptions: [], settings: settingsFrom({}) };
}
