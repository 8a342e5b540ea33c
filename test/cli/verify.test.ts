/**
 * `purple-dot-sim verify` against three servers: the simulator (everything passes), `prism mock` on our spec
 * (what it reports, exactly), and a deliberately broken server (it fails and names the field). The checks run
 * in-process through `runVerify`; the bin is spawned where the exit code and the one-line errors matter.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CREDENTIALS } from '../../src/engine/defaults.ts';
import { createSimulator, type RunningSimulator } from '../../src/http/app.ts';
import { runVerify, type VerifyCommandOptions } from '../../src/verify/command.ts';
import { verifiedOperations, VERIFY_SKU, type CheckResult, type VerifyReport } from '../../src/verify/verify.ts';
import { stopChild } from '../support/processes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/purple-dot-sim.js`;
const PRISM = `${ROOT}node_modules/.bin/prism`;
const credentials = DEFAULT_CREDENTIALS;
const allCredentials = { apiKey: credentials.public_api_key, accessToken: credentials.private_access_token, sharedSecret: credentials.shared_secret };
const folder = mkdtempSync(join(tmpdir(), 'pds-verify-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Runs verify in-process, collecting what it prints. */
async function verifyAgainst(options: VerifyCommandOptions): Promise<{ code: number; report: VerifyReport; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const { code, report } = await runVerify(options, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, report: report!, stdout, stderr };
}

/** Spawns the compiled bin and waits for it to end. */
async function bin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = await once(child, 'close');
  return { code, stdout, stderr };
}

const byOperation = (report: VerifyReport, operationId: string): CheckResult[] => report.checks.filter((c) => c.operationId === operationId);
const testcases = (xml: string): { name: string; failure?: unknown; skipped?: unknown }[] => {
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testcase' }).parse(xml);
  return parsed.testsuites.testsuite.testcase;
};

describe('verify against the simulator (mixed-catalogue: every operation has data)', () => {
  let running: RunningSimulator;
  let result: Awaited<ReturnType<typeof verifyAgainst>>;
  /** CPU time (user and system, ms) of the run: verify and the simulator answering it, both in this process. */
  let cpuMs: number;
  const junit = join(folder, 'simulator', 'junit.xml');

  beforeAll(async () => {
    running = await createSimulator({ scenario: 'mixed-catalogue' }).listen(0);
    const before = process.cpuUsage();
    result = await verifyAgainst({ baseUrl: running.url, ...allCredentials, allowWrites: true, junit });
    const { user, system } = process.cpuUsage(before);
    cpuMs = (user + system) / 1000;
  });
  afterAll(() => running?.close());

  it('passes every check, skips none, and exits 0', () => {
    const notPassed = result.report.checks.filter((c) => c.outcome !== 'pass').map((c) => `${c.operationId}: ${c.problems.join('; ')}`);
    expect(notPassed).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.report).toMatchObject({ ok: true, failed: 0, skipped: 0 });
  });

  it('walks every read operation of the spec and, with --allow-writes, the inventory write', () => {
    const walked = new Set(result.report.checks.map((c) => c.operationId));
    const expected = verifiedOperations().map((op) => op.operation.operationId);
    expect([...walked].sort()).toEqual([...expected].sort());
    expect(expected).toContain('updateInventory');
    expect(expected.filter((id) => id !== 'updateInventory')).toHaveLength(12);
  });

  it('asks the parameterised operations with IDs, handles, SKUs and emails taken from the lists', () => {
    const requestOf = (id: string): string => byOperation(result.report, id)[0]!.request;
    expect(requestOf('getAvailability')).toMatch(/^\/api\/v1\/availability\?product_id=[^&]+&api_key=\*\*\*$/);
    expect(requestOf('getProductPreorderState')).toMatch(/handle=[a-z0-9-]+/);
    expect(requestOf('getVariantPreorderState')).toMatch(/variant_id=[^&]+/);
    expect(requestOf('countSkuUnits')).toMatch(/^\/admin\/api\/v1\/pre-orders\/count-units\/sku\/[^/]+$/);
    expect(requestOf('getFulfillmentOrder')).toMatch(/^\/admin\/api\/v1\/fulfillment-orders\/[0-9a-f-]{36}$/);
    expect(requestOf('listShopperPreOrders')).toMatch(/email=[^&]+%40[^&]+&timestamp=\d+&token=\*\*\*/);
  });

  it('never prints the API key or the shopper token', () => {
    expect(result.stdout).not.toContain(credentials.public_api_key);
    expect(result.stdout).not.toMatch(/token=[0-9a-f]{64}/);
    expect(readFileSync(junit, 'utf8')).not.toContain(credentials.public_api_key);
  });

  it('checks a 401 in the error envelope without credentials, on one public and one private operation', () => {
    const refusals = result.report.checks.filter((c) => c.status === 401);
    expect(refusals.map((c) => [c.operationId, c.request, c.outcome])).toEqual([
      ['listOpenWaitlists', '/api/v1/waitlists', 'pass'],
      ['listWaitlists', '/admin/api/v1/waitlists', 'pass'],
    ]);
  });

  it('follows the Link header of a list to its next page and checks that page too', () => {
    const next = result.report.checks.filter((c) => c.name.endsWith('(next page, from its Link header)'));
    // mixed-catalogue has one fulfillment order and one pre-order per shopper: those lists have no next page.
    expect(next.map((c) => c.operationId)).toEqual(['listWaitlists', 'listPreOrders']);
    for (const c of next) expect(c.request).toMatch(/starting_after=[0-9a-f-]{36}/);
  });

  it('signs the shopper token with the simulator\'s own (manual) clock', () => {
    expect(byOperation(result.report, 'listShopperPreOrders')[0]).toMatchObject({ status: 200, outcome: 'pass', note: expect.stringContaining('/__sim/clock') });
  });

  it('posts inventory only for its own SKU, once, answered 201', () => {
    const writes = byOperation(result.report, 'updateInventory');
    expect(writes.map((c) => [c.method, c.status])).toEqual([['POST', 201]]);
    expect(writes[0]!.name).toContain(VERIFY_SKU);
  });

  it('prints one table row per check and a summary line', () => {
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^OPERATION\s+REQUEST\s+STATUS\s+RESULT\s+FIRST PROBLEM$/);
    const rows = lines.slice(1, 1 + result.report.checks.length);
    expect(rows.every((row) => /\sPASS(\s|$)/.test(row))).toBe(true);
    expect(lines).toContain(`${result.report.checks.length} checks against ${running.url}: ${result.report.checks.length} passed, 0 failed, 0 skipped in ${(result.report.durationMs / 1000).toFixed(2)} s`);
  });

  it('writes well-formed JUnit XML with one testcase per check and no failure', () => {
    const xml = readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const cases = testcases(xml);
    expect(cases).toHaveLength(result.report.checks.length);
    expect(cases.filter((c) => c.failure !== undefined || c.skipped !== undefined)).toEqual([]);
    expect(xml).toMatch(new RegExp(`<testsuite [^>]*tests="${result.report.checks.length}" failures="0" errors="0" skipped="0"`));
  });

  // CPU time, not the report's wall time: another worker on a loaded machine stretches the wall time (3.2 s
  // seen for a run of 0.9 s of CPU) but not the work this process does.
  it('takes under three seconds of CPU time, verify and the simulator answering it together (about 0.9 s on a fresh worker)', () => {
    expect(cpuMs).toBeLessThan(3_000);
  });

  it('skips the private operations without an access token and the shopper check without a shared secret, says why, and still exits 0', async () => {
    const { code, report, stdout } = await verifyAgainst({ baseUrl: running.url, apiKey: credentials.public_api_key });
    expect(code).toBe(0);
    const skipped = Object.fromEntries(report.checks.filter((c) => c.outcome === 'skip').map((c) => [c.operationId, c.problems[0]]));
    expect(skipped).toEqual({
      listWaitlists: 'no --access-token given: private operations are not called',
      listPreOrders: 'no --access-token given: private operations are not called',
      countPreOrders: 'no --access-token given: private operations are not called',
      countSkuUnits: 'no --access-token given: private operations are not called',
      listFulfillmentOrders: 'no --access-token given: private operations are not called',
      getFulfillmentOrder: 'no --access-token given: private operations are not called',
      listShopperPreOrders: 'no --shared-secret given: cannot sign a shopper token',
      updateInventory: 'a write: made only with --allow-writes',
    });
    expect(stdout).toMatch(/listShopperPreOrders .* SKIP +no --shared-secret given: cannot sign a shopper token/);
    // The public reads still found their IDs through the public answers alone.
    expect(report.checks.filter((c) => c.outcome === 'pass').map((c) => c.operationId)).toEqual(expect.arrayContaining([
      'listOpenWaitlists', 'getAvailability', 'getProductPreorderState', 'getVariantPreorderState',
    ]));
  });

  it('exits 0 from the command line when every check passes', async () => {
    const { code, stdout, stderr } = await bin(['verify', '--base-url', running.url, '--api-key', credentials.public_api_key, '--access-token', credentials.private_access_token]);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/ 0 failed, /);
    expect(code).toBe(0);
  });
});

/** Resolves with Prism's URL once it logs that it listens on the port the OS gave it; rejects if it exits first. */
function prismListening(prism: ChildProcess): Promise<string> {
  let log = '';
  return new Promise((resolve, reject) => {
    const onOutput = (chunk: Buffer): void => {
      log += chunk.toString();
      const url = /Prism is listening on (http:\/\/[0-9.]+:[0-9]+)/.exec(log)?.[1];
      if (url) resolve(url);
    };
    prism.stdout?.on('data', onOutput);
    prism.stderr?.on('data', onOutput);
    prism.once('exit', () => reject(new Error(`Prism exited before listening:\n${log}`)));
  });
}

describe('verify against `prism mock` on our spec', () => {
  let prism: ChildProcess | undefined;
  let report: VerifyReport;
  const junit = join(folder, 'prism.xml');

  beforeAll(async () => {
    // Port 0 and the port Prism logs: a port picked here and handed over could be taken by another worker first.
    prism = spawn(PRISM, ['mock', 'spec/purple-dot.openapi.yaml', '--port', '0', '--host', '127.0.0.1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await prismListening(prism);
    ({ report } = await verifyAgainst({ baseUrl: url, ...allCredentials, allowWrites: true, junit }));
  }, 60_000);
  afterAll(async () => {
    if (prism) await stopChild(prism);
  });

  it('fails exactly the four paginated lists: Prism answers the spec\'s example with the literal header "Link: string"', () => {
    const failed = report.checks.filter((c) => c.outcome === 'fail').map((c) => [c.operationId, c.status, c.problems]);
    const linkProblems = ['header Link: "string" is not RFC 8288 <url>; rel="next"', 'header Link: present although data.has_more is false'];
    expect(failed).toEqual([
      ['listWaitlists', 200, linkProblems],
      ['listPreOrders', 200, linkProblems],
      ['listFulfillmentOrders', 200, linkProblems],
      ['listShopperPreOrders', 200, linkProblems],
    ]);
  });

  it('passes everything else, skips nothing, and follows no next page (the examples say has_more: false)', () => {
    expect(report.checks.filter((c) => c.outcome === 'skip')).toEqual([]);
    expect(report.checks.filter((c) => c.outcome === 'pass').map((c) => c.operationId)).toEqual([
      'listOpenWaitlists', 'listWaitlists', // the two 401 checks: Prism answers the spec's 401 example
      'listOpenWaitlists', 'countPreOrders', 'getIntegrationSettings', 'countSkuUnits', 'getFulfillmentOrder',
      'getAvailability', 'getVariantPreorderState', 'getProductPreorderState', 'updateInventory',
    ]);
  });

  it('writes the failures to well-formed JUnit XML, quotes and angle brackets escaped', () => {
    const xml = readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const failures = testcases(xml).flatMap((c) => (c.failure === undefined ? [] : [c.failure as { message: string; '#text': string }]));
    expect(failures.map((f) => f.message)).toEqual(Array(4).fill('header Link: "string" is not RFC 8288 <url>; rel="next"'));
    expect(failures[0]!['#text']).toBe('GET /admin/api/v1/waitlists?limit=1 answered 200\nheader Link: "string" is not RFC 8288 <url>; rel="next"\nheader Link: present although data.has_more is false');
  });

  it('calls the parameterised operations with the IDs of the spec\'s examples, as Prism answers them', () => {
    const requestOf = (id: string): string => byOperation(report, id).at(-1)!.request;
    expect(requestOf('getFulfillmentOrder')).toBe('/admin/api/v1/fulfillment-orders/e2a1b3c4-d5e6-47f8-9a0b-1c2d3e4f5a6b');
    expect(requestOf('countSkuUnits')).toBe('/admin/api/v1/pre-orders/count-units/sku/PD3-10');
    expect(requestOf('getProductPreorderState')).toBe('/api/v1/products/preorder-state?handle=womens-white-sneakers&api_key=***');
    expect(requestOf('listShopperPreOrders')).toMatch(/^\/api\/v1\/pre-orders\?email=shopper%40example\.com&/);
    // Prism has no /__sim/clock: the token is signed with this machine's clock, and Prism does not check it.
    expect(byOperation(report, 'listShopperPreOrders')[0]!.note).toBeUndefined();
  });
});

/** A server that breaks the spec on one documented path and answers the credential checks correctly. */
function brokenServer(): Promise<{ url: string; server: Server }> {
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/v1/waitlists' && url.searchParams.get('api_key') === credentials.public_api_key) {
      return send(res, 200, {
        meta: { result: 'success' },
        // `product.id` is a number, not a string; `product.product_code` is missing.
        data: [{
          id: '3bbc58c6-9a11-422f-9cf5-6a5ac8468eec', state: 'OPEN', display_dispatch_date: 'Shipping 10–15 Jun', payment_plan_descriptions: null,
          selling_plan_id: null, is_scheduled: false, launch_date: null, product: { id: 4697179062404 },
        }],
      });
    }
    // The SDK's settings read needs no IDs, so it is answered correctly: only the one broken path fails.
    if (url.pathname === '/api/v1/integration-settings' && url.searchParams.get('api_key') === credentials.public_api_key) {
      return send(res, 200, { meta: { result: 'success' }, data: { flags: [] } });
    }
    return send(res, 401, { meta: { result: 'error' }, error: { code: 'INVALID_API_KEY', message: 'No store has this key.', details: [] } });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })));
}

describe('verify against a server that breaks the spec', () => {
  let broken: { url: string; server: Server };
  beforeAll(async () => {
    broken = await brokenServer();
  });
  afterAll(async () => {
    broken.server.closeAllConnections();
    await new Promise((resolve) => broken.server.close(resolve));
  });

  it('fails the check of the broken answer, and only it, naming each bad field', async () => {
    const { code, report, stdout } = await verifyAgainst({ baseUrl: broken.url, apiKey: credentials.public_api_key });
    expect(code).toBe(1);
    expect(report.checks.filter((c) => c.outcome === 'fail').map((c) => [c.operationId, c.status, c.problems])).toEqual([
      ['listOpenWaitlists', 200, ['data[0].product.product_code: is required but missing', 'data[0].product.id: must be string']],
    ]);
    expect(stdout).toMatch(/listOpenWaitlists +GET \/api\/v1\/waitlists\?api_key=\*\*\* +200 +FAIL +data\[0\]\.product\.product_code: is required but missing \(\+1 more\)/);
    // The broken list named no usable product: the reads that need one say so instead of guessing.
    expect(report.checks.find((c) => c.operationId === 'getAvailability')).toMatchObject({ outcome: 'skip', problems: [expect.stringMatching(/^no product ID found/)] });
  });

  it('exits 1 from the command line, names the field, and puts every problem in the JUnit failure', async () => {
    const junit = join(folder, 'broken.xml');
    const { code, stdout } = await bin(['verify', '--base-url', broken.url, '--api-key', credentials.public_api_key, '--junit', junit]);
    expect(code).toBe(1);
    expect(stdout).toContain('data[0].product.product_code: is required but missing');
    const xml = readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const failing = testcases(xml).filter((c) => c.failure !== undefined);
    expect(failing).toHaveLength(1);
    expect(JSON.stringify(failing[0])).toContain('data[0].product.id: must be string');
  });
});

describe('verify refuses bad input with one line and exit code 2', () => {
  // Port 2 on loopback: a privileged port nothing listens on, which listen(0) never hands out (port 1 would do
  // too, but fetch refuses it as a port browsers block). A port freed by closing a server could be taken by
  // another process before verify connects.
  const closedPort = async (): Promise<string> => 'http://127.0.0.1:2';

  it.each([
    ['no --base-url', async () => [] as string[], /^purple-dot-sim verify: --base-url is required/],
    ['a URL that is not http(s)', async () => ['--base-url', 'ftp://example.com'], /^purple-dot-sim verify: --base-url "ftp:\/\/example.com" is not an http:\/\/ or https:\/\/ URL$/],
    ['a base URL that is no URL', async () => ['--base-url', 'localhost:4010/api'], /^purple-dot-sim verify: --base-url "localhost:4010\/api" is not/],
    ['a server that does not answer', async () => ['--base-url', await closedPort()], /^purple-dot-sim verify: http:\/\/127\.0\.0\.1:\d+ does not answer: .*ECONNREFUSED/],
  ])('%s', async (_case, args, message) => {
    const { code, stdout, stderr } = await bin(['verify', ...(await args())]);
    expect(stdout).toBe('');
    expect(stderr.endsWith('\n')).toBe(true);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr.trimEnd()).toMatch(message);
    expect(code).toBe(2);
  });

  it('exits 2 on an option verify does not know, too', async () => {
    const { code, stderr } = await bin(['verify', '--base-url', 'http://127.0.0.1:1', '--no-such-option']);
    expect(stderr).toContain("unknown option '--no-such-option'");
    expect(code).toBe(2);
  });
});
