/** The control plane's locks: the bearer token, no cross-site writes, and the Host check on loopback. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlClient } from '../../src/client/control.ts';
import { createSimulator, type RunningSimulator } from '../../src/http/app.ts';
import { credentials } from '../support/simulator.ts';

const TOKEN = 'control-token-for-tests-0123456789';

/** GET /__sim/status with a Host header of our choosing (fetch will not send one). */
const statusWithHost = (url: string, host: string): Promise<number> => new Promise((resolve, reject) => {
  const { port } = new URL(url);
  const req = request({ host: '127.0.0.1', port, path: '/__sim/status', headers: { Host: host } }, (res) => {
    res.resume();
    resolve(res.statusCode!);
  });
  req.on('error', reject);
  req.end();
});

describe('a simulator started with a control token', () => {
  let running: RunningSimulator;
  beforeAll(async () => {
    running = await createSimulator({ controlToken: TOKEN }).listen(0);
  });
  afterAll(() => running.close());

  it('answers the control API only with Authorization: Bearer <token>', async () => {
    const none = await fetch(`${running.url}/__sim/status`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'MISSING_CONTROL_TOKEN', details: [{ field: 'Authorization' }] } });
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="purple-dot-sim control API"');
    const wrong = await fetch(`${running.url}/__sim/status`, { headers: { Authorization: 'Bearer not-the-token' } });
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="purple-dot-sim control API"');
    expect((await wrong.json()).error.code).toBe('INVALID_CONTROL_TOKEN');
    expect((await fetch(`${running.url}/__sim/status`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('lets the typed control client in with the token, even for a bodyless write', async () => {
    const control = createControlClient({ baseUrl: running.url, controlToken: TOKEN });
    expect((await control.POST('/__sim/reset')).response.status).toBe(200);
  });

  it('leaves the Purple Dot API to its own credentials', async () => {
    expect((await fetch(`${running.url}/api/v1/waitlists?api_key=${credentials.public_api_key}`)).status).toBe(200);
  });
});

describe('a simulator without a control token', () => {
  let running: RunningSimulator;
  beforeAll(async () => {
    running = await createSimulator().listen(0);
  });
  afterAll(() => running.close());

  it('refuses a bodyless cross-site POST /__sim/reset with 415, and changes nothing', async () => {
    const placed = await fetch(`${running.url}/__sim/pre-orders`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'kept@example.com', lines: [{ variant_id: (await (await fetch(`${running.url}/admin/api/v1/waitlists`, { headers: { 'X-Purple-Dot-Access-Token': credentials.private_access_token } })).json()).data.waitlists[0].availability.variants[0].variant_id, quantity: 1 }] }),
    });
    expect(placed.status).toBe(201);
    // What a web page can send to 127.0.0.1 without asking: no body, or a form.
    for (const init of [{ method: 'POST' }, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'x=1' }]) {
      const res = await fetch(`${running.url}/__sim/reset`, init);
      expect(res.status).toBe(415);
      expect((await res.json()).error.details).toEqual([{ field: 'Content-Type', problem: 'must be application/json' }]);
    }
    const count = await (await fetch(`${running.url}/admin/api/v1/pre-orders/count`, { headers: { 'X-Purple-Dot-Access-Token': credentials.private_access_token } })).json();
    expect(count.data.count).toBe(25);
    expect((await fetch(`${running.url}/__sim/reset`, { method: 'POST', headers: { 'Content-Type': 'application/json' } })).status).toBe(200);
  });

  it("refuses a request whose Host is not this machine's, as after DNS rebinding, and takes localhost", async () => {
    const { port } = new URL(running.url);
    expect(await statusWithHost(running.url, `evil.example:${port}`)).toBe(403);
    expect(await statusWithHost(running.url, `localhost:${port}`)).toBe(200);
    expect(await statusWithHost(running.url, `127.0.0.1:${port}`)).toBe(200);
  });

  it('accepts a Host named with allowedHosts', async () => {
    const allowed = await createSimulator({ allowedHosts: ['sim.internal'] }).listen(0);
    try {
      expect(await statusWithHost(allowed.url, `sim.internal:${new URL(allowed.url).port}`)).toBe(200);
      expect(await statusWithHost(allowed.url, `other.internal:${new URL(allowed.url).port}`)).toBe(403);
    } finally {
      await allowed.close();
    }
  });
});
