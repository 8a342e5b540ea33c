#!/usr/bin/env node
/**
 * Tries the package the way a new user gets it: `npm pack`, install the tarball into an empty folder (from the
 * local npm cache), then use it from plain Node (import and require), from a vitest test, through the CLI and
 * from TypeScript under both common module settings; then run the README's "Test your integration" examples
 * (examples/readme/) as they are: the vitest ones in that folder, the Jest one in a project of its own with
 * Jest and no vitest, through its own `npm test`. One line per check, then "N passed, N failed".
 *
 *   node scripts/try-package.mjs [--keep] [--built]     (npm run try:package)
 *
 * The temporary folder is deleted afterwards unless a check failed or --keep is given. --built says dist/ was
 * just built by the strict build (CI: npm ci runs `prepare`, and CI type-checks before this): the build is then
 * redone only if a source is newer than it, instead of a second full build.
 *
 * Once the package is installed, the checks that only read it run side by side (at most three at a time, and
 * the Jest project's install alongside the first install): most of their time is npm, tsc and vitest starting,
 * and two cores sat half idle while they ran one after another. Each line is printed as its check ends.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The README's examples, run as they are. */
const EXAMPLES = join(ROOT, 'examples', 'readme');
/** The Jest the README's Jest example is tried with (the npm registry's latest when it was written). */
const JEST_VERSION = '30.5.2';
const keep = process.argv.includes('--keep');
const built = process.argv.includes('--built');
const started = performance.now();
const work = mkdtempSync(join(tmpdir(), 'purple-dot-sim-try-'));
const app = join(work, 'app');
const results = [];

// Children get a plain environment: none of npm's `npm_*` variables from `npm run`, and none of this
// repository's node_modules/.bin on PATH, so every tool comes from the new user's folder.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
env.PATH = (process.env.PATH ?? '').split(delimiter).filter((dir) => !dir.startsWith(ROOT)).join(delimiter);

/** Runs a command to completion (its whole process group is killed at the deadline). */
function run(command, args, { cwd = app, timeout = 120_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, timeout);
    child.on('error', (error) => (output += `\n${error.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output: timedOut ? `${output}\n(killed after ${timeout / 1000} s)` : output });
    });
  });
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** The text without terminal colours. */
const plain = (text) => text.replace(/\x1b\[[0-9;]*m/g, '');

/** Fails with the command line and its output unless it exited 0. */
async function ok(command, args, options) {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${[command, ...args].join(' ')} exited with ${result.code ?? result.signal}\n${plain(result.output)}`);
  return result.output;
}

async function check(name, fn) {
  const t = performance.now();
  try {
    const detail = await fn();
    results.push({ name, passed: true });
    console.log(`ok    ${name}${detail ? ` (${detail})` : ''}  [${((performance.now() - t) / 1000).toFixed(1)} s]`);
  } catch (error) {
    results.push({ name, passed: false });
    console.log(`FAIL  ${name}  [${((performance.now() - t) / 1000).toFixed(1)} s]`);
    console.log(String(error?.message ?? error).trimEnd().replace(/^/gm, '      '));
  }
}

/** Runs at most `limit` of the functions given to it at once. */
function limiter(limit) {
  let active = 0;
  const waiting = [];
  const next = () => {
    if (active >= limit || waiting.length === 0) return;
    active += 1;
    const { fn, resolve } = waiting.shift();
    fn().finally(() => {
      active -= 1;
      next();
    }).then(resolve);
  };
  return (fn) => new Promise((resolve) => {
    waiting.push({ fn, resolve });
    next();
  });
}

function lockedVersion(name) {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  const version = lock.packages?.[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const write = (file, text) => writeFileSync(join(app, file), text.replace(/^\n/, ''));

/** Copies the files of one examples/readme/ folder into `to` (made if missing); returns their names. */
function copyExamples(folder, to) {
  mkdirSync(to, { recursive: true });
  const names = readdirSync(join(EXAMPLES, folder), { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  if (names.length === 0) throw new Error(`no files in examples/readme/${folder}`);
  for (const name of names) copyFileSync(join(EXAMPLES, folder, name), join(to, name));
  return names;
}

// ---------------------------------------------------------------------------------------------------------

let tarball;
let packed = [];

await check('npm pack', async () => {
  // The strict build (a type error fails here), then pack exactly what was built. With --built the strict build
  // has just run: only a source changed since then is built again.
  await ok(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), ...(built ? ['--if-stale'] : [])], { cwd: ROOT, timeout: 300_000 });
  mkdirSync(join(work, 'pack'));
  const out = await ok('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', join(work, 'pack')], { cwd: ROOT });
  const [info] = JSON.parse(out.slice(out.indexOf('[')));
  tarball = join(work, 'pack', info.filename);
  packed = info.files.map((f) => f.path);
  return `${info.filename}, ${packed.length} files, ${(info.size / 1024).toFixed(0)} kB packed, ${(info.unpackedSize / 1024).toFixed(0)} kB unpacked`;
});

check('tarball contents', async () => {
  if (!tarball) throw new Error('no tarball');
  const problems = [];
  for (const required of ['package.json', 'README.md', 'LICENSE', 'bin/purple-dot-sim.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli.js', 'dist/bundle/cli.js', 'spec/purple-dot.openapi.yaml', 'spec/simulator.openapi.yaml']) {
    if (!packed.includes(required)) problems.push(`missing ${required}`);
  }
  for (const path of packed) {
    if (/(^|\/)tests?\//.test(path) || /\.test\.[cm]?[jt]s$/.test(path)) problems.push(`test file ${path}`);
    if (/tsbuildinfo$|\.build-stamp$/.test(path)) problems.push(`build artefact ${path}`);
    if (/\.[cm]?tsx?$/.test(path) && !/\.d\.[cm]?ts$/.test(path)) problems.push(`TypeScript source ${path}`);
    if (/^(src|scenarios|generated|bench|scripts|\.ci)\//.test(path)) problems.push(`repository file ${path}`);
  }
  if (problems.length) throw new Error(problems.join('\n'));
});

// The Jest project needs only the tarball: its install runs alongside the new user's.
const jestChecked = check(`jest ${JEST_VERSION}: the README's Jest example (examples/readme/jest) through its npm test, in a project without vitest`, async () => {
  if (!tarball) throw new Error('no tarball');
  const project = join(work, 'jest-app');
  const names = copyExamples('jest', project);
  if (!names.includes('package.json')) throw new Error('examples/readme/jest has no package.json (its "test" script is the documented command)');
  await ok('npm', ['install', '-D', tarball, `jest@${JEST_VERSION}`, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, timeout: 300_000 });
  if (existsSync(join(project, 'node_modules', 'vitest'))) throw new Error('vitest was installed: the package must not need it outside purple-dot-sim/vitest');
  const script = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).scripts?.test;
  const out = plain(await ok('npm', ['test'], { cwd: project, timeout: 120_000 }));
  const tests = /^Tests:\s+(.*)$/m.exec(out)?.[1] ?? '';
  if (!/\d+ passed/.test(tests) || /failed|skipped|todo/.test(tests)) throw new Error(`expected the Jest tests to pass:\n${out}`);
  return `${tests.trim()}; npm test runs: ${script}`;
});

await check('install the tarball into an empty folder', async () => {
  if (!tarball) throw new Error('no tarball');
  mkdirSync(app);
  write('package.json', JSON.stringify({ name: 'new-user', version: '1.0.0', private: true, type: 'module' }, null, 2));
  // The test tools at the versions this repository locks, so they come from the local npm cache.
  const tools = ['vitest', 'typescript', '@types/node'].map((name) => `${name}@${lockedVersion(name)}`);
  await ok('npm', ['install', tarball, ...tools, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { timeout: 300_000 });
  const installed = join(app, 'node_modules', 'purple-dot-sim');
  const declarations = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name.endsWith('.d.ts')) declarations.push(join(dir, entry.name));
    }
  };
  walk(join(installed, 'dist'));
  const tsSpecifiers = declarations.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/(?:from\s*|import\s*\(\s*)['"](\.{1,2}\/[^'"]*?(?<!\.d)\.ts)['"]/g)].map((m) => `${file.slice(installed.length + 1)}: ${m[1]}`),
  );
  if (tsSpecifiers.length) throw new Error(`declarations import .ts paths:\n${tsSpecifiers.join('\n')}`);
  return `${declarations.length} .d.ts files, all with .js specifiers`;
});

/** The checks below only read the installed package: three at a time. */
const sideBySide = limiter(3);
const later = [jestChecked];
/** Resolves once the README's vitest examples are copied into the app, which the tsc checks type-check too. */
let readmeCopied;
const readmeCopy = new Promise((resolve) => (readmeCopied = resolve));
const concurrently = (name, fn) => later.push(sideBySide(() => check(name, fn)));

const statusCheck = `
  const running = await createSimulator().listen(0);
  try {
    const res = await fetch(running.url + '/__sim/status');
    if (res.status !== 200) throw new Error('GET /__sim/status answered ' + res.status + ': ' + (await res.text()));
  } finally {
    await running.close();
  }
`;

concurrently("node: import { createSimulator } from 'purple-dot-sim', listen(0), GET /__sim/status", async () => {
  write('esm.mjs', `
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createSimulator } from 'purple-dot-sim';
${statusCheck}
const spec = fileURLToPath(import.meta.resolve('purple-dot-sim/spec/purple-dot.openapi.yaml'));
if (!readFileSync(spec, 'utf8').startsWith('openapi:')) throw new Error(spec + ' is not an OpenAPI document');
const pkg = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('purple-dot-sim/package.json')), 'utf8'));
console.log('purple-dot-sim ' + pkg.version + ', spec at ' + spec);
`);
  await ok(process.execPath, ['esm.mjs'], { timeout: 60_000 });
  return 'import.meta.resolve of the spec subpath works';
});

concurrently("node: require('purple-dot-sim') from a .cjs file, listen(0), GET /__sim/status", async () => {
  write('cjs.cjs', `
const { readFileSync } = require('node:fs');
const { createSimulator } = require('purple-dot-sim');
(async () => {
  ${statusCheck}
  const spec = require.resolve('purple-dot-sim/spec/simulator.openapi.yaml');
  if (!readFileSync(spec, 'utf8').startsWith('openapi:')) throw new Error(spec + ' is not an OpenAPI document');
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
`);
  const out = await ok(process.execPath, ['cjs.cjs'], { timeout: 60_000 });
  if (/ExperimentalWarning/.test(out)) throw new Error(`require() printed a warning:\n${out}`);
  return 'require.resolve of the spec subpath works';
});

concurrently('vitest: a test that starts the simulator in-process', async () => {
  write('simulator.test.ts', `
import { expect, it } from 'vitest';
import { createSimulator, createControlClient } from 'purple-dot-sim';

it('answers the control API', async () => {
  const running = await createSimulator().listen(0);
  try {
    const res = await fetch(running.url + '/__sim/status');
    expect(res.status).toBe(200);
    const { response } = await createControlClient({ baseUrl: running.url }).GET('/__sim/status');
    expect(response.status).toBe(200);
  } finally {
    await running.close();
  }
});
`);
  // Only this file: the README's examples and the connector are copied into the same folder alongside.
  const out = await ok(join(app, 'node_modules', '.bin', 'vitest'), ['run', 'simulator.test.ts', '--reporter=default'], { timeout: 120_000 });
  const summary = /Tests\s+(.*passed.*)/.exec(out.replace(/\x1b\[[0-9;]*m/g, ''));
  if (!summary || /failed/.test(summary[1])) throw new Error(out);
  return summary[1].trim();
});

concurrently("vitest: the README's examples (examples/readme/vitest), a store per test from 'purple-dot-sim/vitest'", async () => {
  let names;
  try {
    names = copyExamples('vitest', join(app, 'readme-vitest'));
  } finally {
    readmeCopied();
  }
  const files = names.filter((name) => /\.test\.[cm]?[jt]s$/.test(name));
  // The README promises a test of at most 20 lines from zero to a passing assertion.
  const lines = readFileSync(join(EXAMPLES, 'vitest', 'pd.test.ts'), 'utf8').trimEnd().split('\n').length;
  if (lines > 20) throw new Error(`examples/readme/vitest/pd.test.ts has ${lines} lines; the README shows it as at most 20`);
  const out = plain(await ok(join(app, 'node_modules', '.bin', 'vitest'), ['run', '--dir', 'readme-vitest', '--reporter=default'], { timeout: 120_000 }));
  const testFiles = /Test Files\s+(.*)/.exec(out)?.[1] ?? '';
  const tests = /Tests\s+(.*)/.exec(out)?.[1] ?? '';
  if (!new RegExp(`^${files.length} passed \\(${files.length}\\)`).test(testFiles.trim()) || !/passed/.test(tests) || /failed|skipped|todo/.test(tests)) {
    throw new Error(`expected ${files.length} test files (${files.join(', ')}) to pass:\n${out}`);
  }
  return `${files.join(', ')}: ${tests.trim()}; pd.test.ts is ${lines} lines`;
});

concurrently('the example connector (examples/connector) and its tests, against the installed package', async () => {
  // Copied beside the installed package: its vitest config aliases nothing outside this repository, so
  // 'purple-dot-sim' resolves from node_modules, as in a partner's project.
  const to = join(app, 'connector');
  cpSync(join(ROOT, 'examples', 'connector'), to, { recursive: true, filter: (source) => !source.includes(`${sep}node_modules`) });
  const out = plain(await ok(join(app, 'node_modules', '.bin', 'vitest'), ['run', '--config', join(to, 'vitest.config.ts'), '--reporter=default'], { timeout: 120_000 }));
  const tests = /Tests\s+(.*)/.exec(out)?.[1] ?? '';
  if (!/\d+ passed/.test(tests) || /failed|skipped|todo/.test(tests)) throw new Error(`expected the connector's tests to pass:\n${out}`);
  return tests.trim();
});

concurrently('npx purple-dot-sim serve --port <free port>, GET /__sim/status, SIGTERM', async () => {
  const port = await freePort();
  const child = spawn('npx', ['--no-install', 'purple-dot-sim', 'serve', '--port', String(port)], { cwd: app, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  try {
    const deadline = Date.now() + 30_000;
    let status = 0;
    while (Date.now() < deadline && child.exitCode === null) {
      status = await fetch(`http://127.0.0.1:${port}/__sim/status`).then((r) => r.status, () => 0);
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (status !== 200) throw new Error(`no 200 from /__sim/status within 30 s (last: ${status || 'no answer'})\n${output}`);
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
    const { code, signal } = await exited;
    clearTimeout(timer);
    const stillUp = await fetch(`http://127.0.0.1:${port}/__sim/status`).then(() => true, () => false);
    if (stillUp) throw new Error(`still answering on port ${port} after SIGTERM`);
    return `npx ended (${code ?? signal}) on SIGTERM, port closed`;
  } finally {
    killGroup(child, 'SIGKILL');
  }
});

const usage = `
import {
  createControlClient,
  createPurpleDotClient,
  createSimulator,
  DEFAULT_CREDENTIALS,
  signShopperToken,
  type ControlClient,
  type PurpleDotClient,
  type PurpleDotClientOptions,
  type RunningSimulator,
  type Simulator,
} from 'purple-dot-sim';
import type * as Everything from 'purple-dot-sim';

export type Surface = typeof Everything;

const simulator: Simulator = createSimulator();
const running: RunningSimulator = await simulator.listen(0);
const options: PurpleDotClientOptions = { baseUrl: running.url, accessToken: DEFAULT_CREDENTIALS.private_access_token };
const pd: PurpleDotClient = createPurpleDotClient(options);
const { data, error } = await pd.GET('/admin/api/v1/waitlists');
const count: number = data ? data.data.waitlists.length : 0;
// A path the spec does not have must not type-check.
// @ts-expect-error
await pd.GET('/admin/api/v1/no-such-path');
const control: ControlClient = createControlClient({ baseUrl: running.url });
const status = await control.GET('/__sim/status');
const token: string = signShopperToken('shopper@example.com', Math.floor(Date.now() / 1000), DEFAULT_CREDENTIALS.shared_secret);
console.log(count, error, status.response.status, token);
await running.close();
`;

// Both tsc checks compile usage.ts: written once, before either starts.
if (existsSync(app)) write('usage.ts', usage);
for (const [label, module, moduleResolution] of [
  ['node16', 'node16', 'node16'],
  ['bundler', 'esnext', 'bundler'],
]) {
  concurrently(`tsc --noEmit, strict, skipLibCheck: false, module ${module} / moduleResolution ${moduleResolution}`, async () => {
    await readmeCopy;
    if (!existsSync(join(app, 'usage.ts'))) write('usage.ts', usage);
    // The README's vitest examples too, once copied: what an integrator pastes must type-check.
    const examples = existsSync(join(app, 'readme-vitest'))
      ? readdirSync(join(app, 'readme-vitest')).filter((name) => /\.[cm]?ts$/.test(name)).map((name) => `readme-vitest/${name}`)
      : [];
    write(`tsconfig.${label}.json`, JSON.stringify({
      compilerOptions: { target: 'es2022', module, moduleResolution, strict: true, skipLibCheck: false, noEmit: true },
      files: ['usage.ts', ...examples],
    }, null, 2));
    await ok(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', `tsconfig.${label}.json`], { timeout: 120_000 });
    return `no errors in usage.ts${examples.length ? ` and ${examples.join(', ')}` : ''}`;
  });
}

await Promise.all(later);

// ---------------------------------------------------------------------------------------------------------

const failed = results.filter((r) => !r.passed).length;
const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (failed || keep) console.log(`(files kept in ${work})`);
else rmSync(work, { recursive: true, force: true });
console.log(`${results.length - failed} passed, ${failed} failed  [${seconds} s]`);
process.exit(failed ? 1 : 0);
