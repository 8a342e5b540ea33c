/**
 * Events nobody would hear (no engine subscriber, no webhook subscription, no in-process webhook listener) are
 * numbered but not handed over. Whoever starts listening later hears what it would have heard had they been
 * handed over all along: the same numbers, and the same webhooks.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, DEFAULT_CREDENTIALS, type Engine, type EngineEvent } from '../../src/index.ts';
import type { WebhookTransport } from '../../src/webhooks/transport.ts';

const headers = { 'x-purple-dot-access-token': DEFAULT_CREDENTIALS.private_access_token };

/** Exports of the scenario's first SKU, then of its second: events of which nobody may hear any. */
function exportBoth(engine: Engine, units: number): void {
  const [small, medium] = engine.defaultStore().state.data.variants;
  for (const variant of [small!, medium!]) {
    expect(engine.dispatchRaw('updateInventory', { headers, body: { sku: variant.sku, available_units: units } }).status).toBe(201);
  }
}

function place(engine: Engine): void {
  const variant = engine.defaultStore().state.data.variants[0]!;
  const placed = engine.dispatchRaw('placePreOrder', { query: { api_key: DEFAULT_CREDENTIALS.public_api_key }, body: { email: 'late@example.com', lines: [{ variant_id: variant.id, quantity: 1 }] } });
  expect(placed.status).toBe(201);
}

describe('events nobody hears', () => {
  it('keep their numbers: a subscriber that comes later hears the numbers one that was there all along hears', () => {
    const quiet = createEngine({ scenario: 'partially-exported', journalSize: 0 });
    const heard = createEngine({ scenario: 'partially-exported', journalSize: 0 });
    try {
      const always: EngineEvent[] = [];
      heard.subscribe((event) => always.push(event));
      exportBoth(quiet, 30);
      exportBoth(heard, 30);
      expect(always.length).toBeGreaterThan(4);
      const late: EngineEvent[] = [];
      quiet.subscribe((event) => late.push(event));
      const from = always.length;
      exportBoth(quiet, 60);
      place(quiet);
      exportBoth(heard, 60);
      place(heard);
      expect(late.length).toBeGreaterThan(0);
      expect(late).toEqual(always.slice(from));
      expect(late[0]!.seq).toBe(always[from - 1]!.seq + 1);
    } finally {
      quiet.close();
      heard.close();
    }
  });

  it('leave the webhooks of a subscription added after them as they were when the hub read and dropped them', async () => {
    const sent = (bodies: string[]): WebhookTransport => async (request) => {
      bodies.push(request.body);
      return { status: 200, error: null };
    };
    const quietBodies: string[] = [];
    const heardBodies: string[] = [];
    const quiet = createEngine({ scenario: 'partially-exported', journalSize: 0, webhookTransport: sent(quietBodies) });
    // An engine subscriber makes the engine hand every event to the hub, which reads each and drops it.
    const heard = createEngine({ scenario: 'partially-exported', journalSize: 0, webhookTransport: sent(heardBodies) });
    heard.subscribe(() => {});
    try {
      for (const engine of [quiet, heard]) {
        exportBoth(engine, 30);
        expect(engine.dispatch('addWebhook', { body: { url: 'http://127.0.0.1:9/x' } }).status).toBe(201);
        exportBoth(engine, 60);
        place(engine);
        await engine.webhooks.idle();
      }
      expect(quietBodies.length).toBeGreaterThan(0);
      expect(quietBodies).toEqual(heardBodies);
    } finally {
      quiet.close();
      heard.close();
    }
  });
});
