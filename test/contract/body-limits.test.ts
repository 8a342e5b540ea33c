/** No body can bring the simulator down: over its limit, even when it arrives compressed, it is a 413 in the envelope. */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { privateHeaders, useHarness } from '../support/simulator.ts';

describe('request body limits', () => {
  const h = useHarness();
  const inventory = (body: Uint8Array, headers: Record<string, string> = {}) =>
    fetch(`${h().url}/admin/api/v1/inventory`, { method: 'POST', headers: { ...privateHeaders, 'Content-Type': 'application/json', ...headers }, body: new Blob([new Uint8Array(body)]) });

  it('answers a body over 1 MB with 413 BODY_TOO_LARGE naming the body, and changes nothing', async () => {
    const before = (await h().control('GET', '/__sim/snapshot')).body;
    const big = Buffer.from(JSON.stringify({ sku: 'X'.repeat(1_100_000), available_units: 1 }));
    const res = await inventory(big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ meta: { result: 'error' }, error: { code: 'BODY_TOO_LARGE', details: [{ field: 'body', problem: 'is over the 1 MB limit' }] } });
    expect((await h().control('GET', '/__sim/snapshot')).body).toEqual(before);
  });

  it('counts a gzip body after inflating it: 30 KB that would inflate to 5 MB is refused the same way', async () => {
    const bomb = gzipSync(Buffer.from(`{"sku":"${' '.repeat(5_000_000)}","available_units":1}`));
    expect(bomb.length).toBeLessThan(50_000);
    const res = await inventory(bomb, { 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('BODY_TOO_LARGE');
  });

  it('still takes a gzip body that inflates within the limit', async () => {
    const sku = h().sim.engine.defaultStore().state.data.variants[0]!.sku;
    const res = await inventory(gzipSync(Buffer.from(JSON.stringify({ sku, available_units: 2 }))), { 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(201);
  });
});
