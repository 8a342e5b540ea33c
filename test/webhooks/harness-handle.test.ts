import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/harness/start.ts';
import { verifyWebhookSignature } from '../../src/index.ts';

describe('the harness handle', () => {
  it("hears only its own store's webhooks in-process, signed with that store's secret", async () => {
    const sim = await startSimulator({ scenario: 'on-preorder' });
    const other = await sim.createStore({ scenario: 'on-preorder' });
    try {
      const heard: string[] = [];
      const signedByOther: boolean[] = [];
      sim.webhooks.on('pre_order.created', (n) => heard.push(`default ${n.store}`));
      other.webhooks.on('pre_order.created', (n) => {
        heard.push(`other ${n.store}`);
        signedByOther.push(verifyWebhookSignature(n.rawBody, n.headers['X-PD-Hmac-Sha256'], other.credentials.shared_secret));
      });
      const variant = other.engine.stores.require(other.store).state.data.waitlists
        .filter((w) => w.state === 'LIVE').flatMap((w) => w.allocations)[0]!.variant_id;
      const placed = other.engine.dispatch('placePreOrderInStore', { path: { storeId: other.store }, body: { email: 'handle@example.com', lines: [{ variant_id: variant, quantity: 1 }] } });
      expect(placed.status).toBe(201);
      await other.webhooks.idle();
      expect(heard).toEqual([`other ${other.store}`]);
      expect(signedByOther).toEqual([true]);
    } finally {
      await sim.close();
    }
  });
});
