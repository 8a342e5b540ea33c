/**
 * The standalone binary (`npm run build:binary`): built fresh once for this file, then run the way a team
 * without Node runs it: from a folder outside the project, with a PATH that holds only the binary, `sh` and
 * `bash` (no node, no npm), and a HOME of its own so its first run unpacks into an empty cache.
 *
 * The build takes 45–50 s on two busy cores (the strict build, `npm pack`, the staging install and postject), so
 * these tests run only under `npm run test:binary` (which sets PURPLE_DOT_SIM_BINARY_TESTS=1; a step of its
 * own in .ci/run, after `npm test`, so the build does not compete with the suite's two workers); `npm test`
 * lists them as skipped and runs only the launcher's own checks at the end of this file.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CREDENTIALS } from '../../src/engine/defaults.ts';
import { scenarios } from '../../scenarios/index.ts';
import { stopChild } from '../support/processes.ts';
import { waitForBanner, type Served } from '../support/serve.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILD_TIMEOUT_MS = 240_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The launcher's parts, as it exports them outside a binary. */
interface Launcher {
  MAGIC: string;
  writeTree(gzipped: Buffer, dir: string): void;
  ensureUnpacked(key: string, archive: () => Buffer, roots: { dir: string; private?: boolean }[]): string;
}
const launcher = createRequire(import.meta.url)('../../scripts/sea-launcher.cjs') as Launcher;

const work = mkdtempSync(join(tmpdir(), 'pds-binary-'));
/** The only tools on PATH: the binary and two shells. */
const tools = join(work, 'tools');
const binary = join(tools, 'purple-dot-sim');
const home = join(work, 'home');
/** Where the first run unpacks: ~/.cache/purple-dot-sim. */
const cache = join(home, '.cache', 'purple-dot-sim');
const children: ChildProcess[] = [];
let built: { seconds: number; size: number } | undefined;

/** A clean environment: nothing of this process's, PATH of `tools` only. */
const cleanEnv = (extra: Record<string, string> = {}): Record<string, string> => ({ PATH: tools, HOME: home, LANG: 'C.UTF-8', ...extra });

/** Runs a command line through `sh` in the work folder with the clean environment. */
function sh(line: string, env: Record<string, string> = cleanEnv()): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(tools, 'sh'), ['-c', line], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `purple-dot-sim serve --port 0 …` through sh and waits for its banner. */
async function serve(args: string, env?: Record<string, string>): Promise<Served> {
  // exec: the shell becomes the binary, so signals reach it.
  const child = spawn(join(tools, 'sh'), ['-c', `exec purple-dot-sim serve --port 0 --log-level silent ${args}`], { cwd: work, env: env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return waitForBanner(child, 'dashboard');
}

/** The unpacked folders in the cache (hidden ones are unpacks under way or left over). */
const cacheEntries = (dir = cache): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);


afterAll(async () => {
  await Promise.all(children.map((child) => stopChild(child)));
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(process.env.PURPLE_DOT_SIM_BINARY_TESTS !== '1')('the standalone binary, with no node or npm on PATH', () => {
  beforeAll(async () => {
    mkdirSync(tools, { recursive: true });
    for (const tool of ['sh', 'bash']) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (!found) throw new Error(`${tool} is needed to run the binary's tests`);
      symlinkSync(found, join(tools, tool));
    }
    const out = join(work, 'dist-bin', 'purple-dot-sim');
    const started = performance.now();
    const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-binary.mjs'), '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: BUILD_TIMEOUT_MS });
    if (result.status !== 0) throw new Error(`npm run build:binary failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
    built = { seconds: (performance.now() - started) / 1000, size: statSync(out).size };
    copyFileSync(out, binary);
    spawnSync('chmod', ['755', binary]);
  }, BUILD_TIMEOUT_MS + 10_000);

  it('is one Linux executable well under 2 minutes to build', () => {
    expect(built!.seconds).toBeLessThan(120);
    // A Node binary (about 86 MB stripped) with the app's 3 MB archive: a jump means something else got in.
    expect(built!.size).toBeGreaterThan(60 * 1024 * 1024);
    expect(built!.size).toBeLessThan(130 * 1024 * 1024);
    expect(readFileSync(binary).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  });

  it('runs where neither node nor npm can be found', async () => {
    const { code, stdout } = await sh('command -v node || command -v npm || command -v purple-dot-sim');
    expect(stdout.trim()).toBe(binary);
    expect(code).toBe(0);
    expect((await sh('command -v node')).code).not.toBe(0);
    expect((await sh('command -v npm')).code).not.toBe(0);
  });

  it('lists the ten built-in scenarios, unpacking itself into ~/.cache/purple-dot-sim on the first run', async () => {
    expect(cacheEntries()).toEqual([]);
    const { code, stdout, stderr } = await sh('purple-dot-sim scenarios');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n').map((line) => line.split(/\s+/, 1)[0])).toEqual(scenarios.map((s) => s.name));
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
    const entries = cacheEntries();
    expect(entries).toEqual([expect.stringMatching(new RegExp(`^${version.replace(/\./g, '\\.')}-[0-9a-f]{16}$`))]);
    const app = join(cache, entries[0]!, 'node_modules', 'purple-dot-sim');
    for (const file of ['package.json', 'dist/src/cli.js', 'dist/ui/index.html', 'spec/purple-dot.openapi.yaml', 'dist/spec/purple-dot.openapi.json']) {
      expect(existsSync(join(app, file)), file).toBe(true);
    }
  });

  it('uses the unpacked folder again on later runs, untouched', async () => {
    const [entry] = cacheEntries();
    const marker = join(cache, entry!, '.complete');
    const before = statSync(marker).mtimeMs;
    const { code, stdout } = await sh('purple-dot-sim --version');
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(cacheEntries()).toEqual([entry]);
    expect(statSync(marker).mtimeMs).toBe(before);
  });

  it('loads a --scenario-file module from the working folder', async () => {
    writeFileSync(join(work, 'boots.mjs'), [
      'export default {',
      "  name: 'my-boots',",
      "  summary: 'One pair of boots on pre-order.',",
      "  build(b) { b.waitlist(b.product({ id: 'BOOT-1', handle: 'boots', variants: [{ id: 'BOOT-1-42', sku: 'BOOT-42', title: '42' }] }), 7); },",
      '};',
      '',
    ].join('\n'));
    const { code, stdout, stderr } = await sh('purple-dot-sim scenarios --scenario-file ./boots.mjs');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/^my-boots\s+One pair of boots on pre-order\.$/);
  });

  describe('serve', () => {
    let served: Awaited<ReturnType<typeof serve>>;
    beforeAll(async () => {
      // mixed-catalogue has data for every operation verify walks, so none of its checks is skipped.
      served = await serve('--scenario mixed-catalogue');
    });

    it('answers the public API with the default credentials', async () => {
      const res = await fetch(`${served.url}/api/v1/waitlists?api_key=${DEFAULT_CREDENTIALS.public_api_key}`);
      expect(res.status).toBe(200);
      // The public list puts the array directly in `data` (as Purple Dot documents it).
      const body = (await res.json()) as { data: unknown[] };
      expect(body.data.length).toBeGreaterThan(0);
    });

    it('answers the private API and the control API', async () => {
      const admin = await fetch(`${served.url}/admin/api/v1/pre-orders?limit=2`, { headers: { 'X-Purple-Dot-Access-Token': DEFAULT_CREDENTIALS.private_access_token } });
      expect(admin.status).toBe(200);
      const status = await fetch(`${served.url}/__sim/status`);
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({ data: { scenario: 'mixed-catalogue' } });
    });

    it('serves the dashboard under /__sim/ui/', async () => {
      const page = await fetch(`${served.url}/__sim/ui/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('<script type="module" src="main.js"></script>');
      const script = await fetch(`${served.url}/__sim/ui/main.js`);
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toMatch(/javascript/);
    });

    it('passes its own verify: every check of the Purple Dot spec, none skipped, exit code 0', async () => {
      const c = DEFAULT_CREDENTIALS;
      const { code, stdout, stderr } = await sh(`purple-dot-sim verify --base-url ${served.url} --api-key ${c.public_api_key} --access-token ${c.private_access_token} --shared-secret ${c.shared_secret} --allow-writes`);
      expect(stderr).toBe('');
      expect(stdout).toMatch(/\bPASS\b/);
      expect(stdout).not.toMatch(/\b(FAIL|SKIP)\b/);
      expect(code).toBe(0);
    });

    it('stops with exit code 0 on SIGTERM', async () => {
      const exited = new Promise<number | null>((resolve) => served.child.once('exit', (code) => resolve(code)));
      served.child.kill('SIGTERM');
      expect(await exited).toBe(0);
    });
  });

  it("answers the Dockerfile's HEALTHCHECK when bound beyond loopback with a control token, and fails it without the token", async () => {
    const healthcheck = /^HEALTHCHECK\b[^\n]*?\bCMD (.+(?:\\\n.*)*)$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1]?.replace(/\\\n\s*/g, ' ');
    expect(healthcheck).toBeDefined();
    const token = 'binary-test-token-0123456789';
    const { url } = await serve('--host 0.0.0.0', cleanEnv({ PURPLE_DOT_SIM_CONTROL_TOKEN: token }));
    const port = new URL(url).port;
    const check = healthcheck!.replaceAll('4010', port);
    expect(check).not.toBe(healthcheck);
    expect(await sh(check, cleanEnv({ PURPLE_DOT_SIM_CONTROL_TOKEN: token }))).toMatchObject({ code: 0 });
    expect((await sh(check, cleanEnv({ PURPLE_DOT_SIM_CONTROL_TOKEN: 'not-the-token-0123456789' }))).code).not.toBe(0);
  });

  it('unpacks once when two first runs start at the same time, and both run', async () => {
    const otherHome = join(work, 'home-2');
    const env = cleanEnv({ HOME: otherHome });
    const runs = await Promise.all([sh('purple-dot-sim scenarios', env), sh('purple-dot-sim scenarios', env)]);
    for (const run of runs) {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout.trimEnd().split('\n')).toHaveLength(scenarios.length);
    }
    // One finished folder, and no unpacking folder left behind by the run that lost the rename.
    expect(cacheEntries(join(otherHome, '.cache', 'purple-dot-sim'))).toEqual([expect.stringMatching(/^[^.]/)]);
  });
});

describe('the binary launcher (scripts/sea-launcher.cjs)', () => {
  /** A pack of one file with this path, in the launcher's format. */
  const packOf = (path: string): Buffer => {
    const name = Buffer.from(path);
    const head = Buffer.alloc(4);
    head.writeUInt32LE(name.length);
    const meta = Buffer.alloc(8);
    meta.writeUInt32LE(0o644);
    meta.writeUInt32LE(2, 4);
    return gzipSync(Buffer.concat([Buffer.from(launcher.MAGIC, 'latin1'), head, name, meta, Buffer.from('hi')]));
  };

  it('writes an archive entry below its folder', () => {
    const dir = mkdtempSync(join(work, 'tree-'));
    launcher.writeTree(packOf('a/b/c.txt'), dir);
    expect(readFileSync(join(dir, 'a', 'b', 'c.txt'), 'utf8')).toBe('hi');
  });

  it('refuses an archive entry that would land outside its folder', () => {
    const dir = mkdtempSync(join(work, 'tree-'));
    for (const path of ['../escaped.txt', '/etc/escaped.txt', 'a/../../escaped.txt', 'a//b']) {
      expect(() => launcher.writeTree(packOf(path), dir), path).toThrow(/bad path/);
    }
    expect(existsSync(join(work, 'escaped.txt'))).toBe(false);
  });

  it('unpacks into <root>/<key> once, and clears unpacking folders a killed run left over an hour ago', () => {
    const root = mkdtempSync(join(work, 'root-'));
    const abandoned = join(root, '.unpacking-k1-old');
    const underWay = join(root, '.unpacking-k1-new');
    mkdirSync(abandoned);
    mkdirSync(underWay);
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(abandoned, twoHoursAgo, twoHoursAgo);
    let reads = 0;
    const archive = (): Buffer => {
      reads += 1;
      return packOf('x.txt');
    };
    const dir = launcher.ensureUnpacked('k1', archive, [{ dir: root }]);
    expect(dir).toBe(join(root, 'k1'));
    expect(readFileSync(join(dir, 'x.txt'), 'utf8')).toBe('hi');
    expect(readdirSync(root).sort()).toEqual(['.unpacking-k1-new', 'k1']);
    expect(launcher.ensureUnpacked('k1', archive, [{ dir: root }])).toBe(dir);
    expect(reads).toBe(1);
  });
});
