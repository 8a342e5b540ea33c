/**
 * A snapshot export over HTTP is written piece by piece from the live state: other stores are answered
 * while a large one streams, and the exported store's own requests wait, so the snapshot is one moment.
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.ts';
import { credentials, useHarness } from '../support/simulator.ts';

describe('a snapshot export over HTTP', () => {
  const h = useHarness({ scenario: 'on-preorder' });

  it('answers the same bytes as the export in-process', async () => {
    const res = await fetch(`${h().url}/__sim/snapshot`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const inProcess = h().sim.engine.dispatch('exportSnapshot', {});
    expect(await res.text()).toBe(JSON.stringify(inProcess.body));
  });

  it('lets another store answer while a store of 100,000 pre-orders streams, and holds that store\'s own writes until it is out', async () => {
    const big = (await h().control('POST', '/__sim/stores', { scenario: 'large-catalogue' })).body.data;
    const live = h().sim.engine.stores.require(big.id).state.data.waitlists.find((w) => w.state === 'LIVE' && w.allocations.some((a) => a.committed < (a.buy_size ?? 0)))!;
    const variant = live.allocations.find((a) => a.committed < (a.buy_size ?? 0))!.variant_id;
    const order: string[] = [];
    const exported = fetch(`${h().url}/__sim/stores/${big.id}/snapshot`).then(async (res) => {
      const text = await res.text();
      order.push('export');
      return text;
    });
    // Sent once the export has begun (its first bytes may already be out): one to another store, one to this store.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const other = fetch(`${h().url}/api/v1/waitlists?api_key=${credentials.public_api_key}`).then((res) => {
      order.push('other store');
      return res.status;
    });
    const write = fetch(`${h().url}/__sim/stores/${big.id}/pre-orders`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'during-export@example.com', lines: [{ variant_id: variant, quantity: 1 }] }),
    }).then(async (res) => {
      order.push('write to the exported store');
      return (await res.json()) as { data: { id: string } };
    });
    const [text, otherStatus, placed] = await Promise.all([exported, other, write]);
    expect(otherStatus).toBe(200);
    // The other store was answered long before the seconds of export were out.
    expect(order[0]).toBe('other store');
    const snapshot = JSON.parse(text).data;
    expect(snapshot.stores[big.id].pre_orders).toHaveLength(100_000);
    expect(text).not.toContain(placed.data.id);
    // One moment: a write landing between pieces would leave the waitlists, the pre-orders and the unit history
    // (written in that order) disagreeing, and the import checks refuse such a snapshot.
    const check = createEngine({ journalSize: 0 });
    try {
      const imported = check.dispatchRaw('importSnapshot', { body: snapshot });
      expect(imported.status, JSON.stringify(imported.body)).toBe(200);
    } finally {
      check.close();
    }
  }, 60_000);
});
