/**
 * A storefront page on one origin reads the simulator's public API on another, as Purple Dot's browser SDK
 * does, in headless Chromium; the private API stays closed to it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type RunningSimulator } from '../../src/http/app.ts';
import { browserTestsRun, launchChromium } from '../support/browser.ts';
import { credentials } from '../support/simulator.ts';

describe.runIf(browserTestsRun)('a storefront page on another origin, in Chromium', () => {
  const sim = createSimulator({ scenario: 'on-preorder', journalSize: 0 });
  let api: RunningSimulator;
  let storefront: Server;
  let storefrontUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    api = await sim.listen(0);
    // The shop's own origin: a page that asks the simulator, as the SDK would, and shows what it got.
    storefront = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>shop</title><p id="out">…</p>'));
    await new Promise<void>((resolve) => storefront.listen(0, '127.0.0.1', resolve));
    storefrontUrl = `http://localhost:${(storefront.address() as AddressInfo).port}/`;
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await new Promise((resolve) => storefront?.close(resolve));
    sim.engine.close();
  });

  const onStorefront = async <T>(script: (args: { api: string; key: string; token: string; variant: string }) => Promise<T>): Promise<T> => {
    const page = await browser.newPage();
    try {
      await page.goto(storefrontUrl);
      const variant = sim.engine.defaultStore().state.data.waitlists.find((w) => w.state === 'LIVE')!.allocations[0]!.variant_id;
      return await page.evaluate(script, { api: api.url, key: credentials.public_api_key, token: credentials.private_access_token, variant });
    } finally {
      await page.close();
    }
  };

  it('reads a variant\'s pre-order state from the public API, and the refusal of a wrong key', async () => {
    const read = await onStorefront(async ({ api: base, key, variant }) => {
      const ok = await fetch(`${base}/api/v1/variants/preorder-state?variant_id=${variant}&api_key=${key}`);
      const refused = await fetch(`${base}/api/v1/variants/preorder-state?variant_id=${variant}&api_key=wrong-key`);
      const body = (await ok.json()) as { data: { state: string } };
      document.querySelector('#out')!.textContent = body.data.state;
      return { status: ok.status, state: body.data.state, refused: refused.status, challenge: refused.headers.get('www-authenticate'), shown: document.querySelector('#out')!.textContent };
    });
    expect(read.status).toBe(200);
    expect(read.state).toBe('ON_PREORDER');
    expect(read.shown).toBe('ON_PREORDER');
    expect(read.refused).toBe(401);
    expect(read.challenge).toContain('api_key');
  });

  it('cannot call the private API or the control API from that page', async () => {
    const tried = await onStorefront(async ({ api: base, token }) => {
      const attempt = async (path: string, init: RequestInit) => {
        try {
          return String((await fetch(`${base}${path}`, init)).status);
        } catch (error) {
          return (error as Error).name;
        }
      };
      return {
        private: await attempt('/admin/api/v1/waitlists', { headers: { 'X-Purple-Dot-Access-Token': token } }),
        control: await attempt('/__sim/reset', { method: 'POST', headers: { 'Content-Type': 'application/json' } }),
      };
    });
    // The browser refuses the preflight (no CORS grant), so the request never reaches the handler.
    expect(tried).toEqual({ private: 'TypeError', control: 'TypeError' });
  });
});
