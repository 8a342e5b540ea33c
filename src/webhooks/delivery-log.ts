import type { components } from '../../generated/simulator.ts';

export type WebhookDelivery = components['schemas']['WebhookDelivery'];
export type WebhookFault = NonNullable<WebhookDelivery['fault']>;

/** Attempts kept per store, newest last (the answer of `listWebhookDeliveries`). */
export const DELIVERY_LOG_SIZE = 1000;

export interface DeliveryLog {
  record(entry: Omit<WebhookDelivery, 'seq'>): WebhookDelivery;
  entries(): WebhookDelivery[];
}

export function createDeliveryLog(capacity = DELIVERY_LOG_SIZE): DeliveryLog {
  const entries: WebhookDelivery[] = [];
  let seq = 0;
  return {
    record(entry) {
      seq += 1;
      const recorded = { seq, ...entry };
      entries.push(recorded);
      if (entries.length > capacity) entries.splice(0, entries.length - capacity);
      return recorded;
    },
    entries: () => entries.map((e) => ({ ...e, headers: { ...e.headers } })),
  };
}
