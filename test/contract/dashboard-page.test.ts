/**
 * The dashboard's page as the packaged CLI serves it: its URL in the banner, its files from dist/ui/, and
 * nothing of the stores in them.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { stopChild } from '../support/processes.ts';
import { serveCli } from '../support/serve.ts';

describe('the dashboard page from `purple-dot-sim serve`', () => {
  const children: ChildProcess[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map(stopChild));
  });

  it('prints the dashboard\'s URL, which answers the page, its script and its styles', async () => {
    const { url, banner } = await serveCli([], children);
    const printed = /dashboard\s+(http:\/\/\S+)/.exec(banner)?.[1];
    expect(printed).toBe(`${url}/__sim/ui/`);
    const page = await fetch(printed!);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>purple-dot-sim dashboard</title>');
    expect(html).not.toContain('pd_sim_private_access_token');
    for (const [asset, type] of [['main.js', 'text/javascript'], ['panels/pre-orders.js', 'text/javascript'], ['style.css', 'text/css']] as const) {
      const res = await fetch(`${url}/__sim/ui/${asset}`);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
    }
  });

  it('sends /__sim/ui to /__sim/ui/, and answers a file it does not have 404 in the error envelope', async () => {
    const { url } = await serveCli([], children);
    const bare = await fetch(`${url}/__sim/ui`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/__sim/ui/');
    const missing = await fetch(`${url}/__sim/ui/../../package.json`);
    expect(missing.status).toBe(404);
    const traversal = await fetch(`${url}/__sim/ui/%2e%2e%2fpackage.json`);
    expect(traversal.status).toBe(404);
    expect(((await traversal.json()) as { meta: { result: string } }).meta.result).toBe('error');
  });

  it('says the page asks for the control token when there is one, without printing the token in the URL', async () => {
    const { banner } = await serveCli(['--control-token', 'a-control-token-of-20'], children);
    expect(banner).toMatch(/dashboard\s+http:\/\/\S+\/__sim\/ui\/\s+\(asks for the control token\)/);
    expect(banner).not.toContain('#token=');
  });

  it('ships in the package: its built files are among those npm packs', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { files: string[] };
    expect(manifest.files).toContain('dist/ui/');
  });
});
