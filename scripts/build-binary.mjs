#!/usr/bin/env node
/**
 * Builds the standalone binary: one executable for Linux x64 that runs `serve`, `verify` and `scenarios` with
 * no Node or npm installed (a Node 20 single executable application, injected with postject).
 *
 *   node scripts/build-binary.mjs [--out <file>]     (npm run build:binary; default dist-bin/purple-dot-sim)
 *
 * Steps, and why:
 * 1. the strict build (scripts/build.mjs; skipped when dist/ is stamped as a clean build no source is newer
 *    than, as after `npm ci`) and `npm pack`: the binary holds what the npm package ships;
 * 2. `npm install --omit=dev` of that tarball into an empty staging folder, as scripts/try-package.mjs does:
 *    the package and its production dependencies exactly as `npm i purple-dot-sim` lays them out;
 * 3. that node_modules folder packed into one gzipped archive (format in scripts/sea-launcher.cjs): one SEA
 *    asset keeps the SEA config small, and Node 20 can only hand assets to the main script, not load modules
 *    from them, so the launcher unpacks it to a cache folder on the first run;
 * 4. a SEA config written to the temporary folder (not committed: it names temporary paths), and
 *    `node --experimental-sea-config` makes the blob from scripts/sea-launcher.cjs and the two assets;
 * 5. a copy of this very Node (the blob only runs in the Node that made it), its symbol tables stripped when
 *    `strip` is on PATH (12 MB less; .dynsym, which addons link against, stays), and postject injects the blob;
 * 6. a smoke run of the result (`--version`, unpacking into a throwaway cache), then an atomic rename into place.
 * It prints the binary's size and the time taken.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { staleness } from './build.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const launcher = require('./sea-launcher.cjs');
/** The fuse Node looks for to know a blob was injected (Node's SEA docs). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Files below `dir` as `/`-separated paths relative to it, sorted (a stable archive for the same tree). */
function listFiles(dir, skip) {
  const files = [];
  const walk = (at) => {
    for (const entry of readdirSync(at, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(at, entry.name);
      const rel = relative(dir, path).split(sep).join('/');
      if (skip(rel)) continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.push(rel);
      else throw new Error(`${rel} is neither a file nor a folder; the pack format holds only files`);
    }
  };
  walk(dir);
  return files;
}

/** The gzipped pack of these files below `dir` (the format scripts/sea-launcher.cjs reads). */
export function pack(dir, files) {
  const parts = [Buffer.from(launcher.MAGIC, 'latin1')];
  for (const file of files) {
    const data = readFileSync(join(dir, file));
    const name = Buffer.from(file, 'utf8');
    const head = Buffer.alloc(4);
    head.writeUInt32LE(name.length);
    const meta = Buffer.alloc(8);
    meta.writeUInt32LE(statSync(join(dir, file)).mode & 0o777);
    meta.writeUInt32LE(data.length, 4);
    parts.push(head, name, meta, data);
  }
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

/** Runs a command, failing with its output unless it exits 0; returns its stdout. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${[command, ...args].join(' ')} exited with ${result.status ?? result.signal}\n${result.stdout ?? ''}${result.stderr ?? ''}`);
  }
  return result.stdout;
}

const onPath = (tool) => (process.env.PATH ?? '').split(delimiter).some((dir) => {
  try {
    return statSync(join(dir, tool)).isFile();
  } catch {
    return false;
  }
});

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export async function buildBinary({ out = join(ROOT, 'dist-bin', 'purple-dot-sim'), log = (line) => console.log(line) } = {}) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the binary is built for Linux x64 only (this is ${process.platform} ${process.arch})`);
  }
  const started = performance.now();
  const step = (what) => log(`${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s  ${what}`);
  const work = mkdtempSync(join(tmpdir(), 'purple-dot-sim-binary-'));
  // Children get none of npm's `npm_*` variables (from `npm run`): the staging install is a plain one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
  try {
    // The stamp is written only after a build without type errors, so "not stale" means a clean, current dist/.
    const stale = staleness();
    if (stale) {
      step(`build (scripts/build.mjs: ${stale})`);
      run(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    } else {
      step('dist/ is a clean build of the current sources');
    }

    step('npm pack');
    mkdirSync(join(work, 'pack'));
    const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', join(work, 'pack')], { cwd: ROOT, env });
    const [info] = JSON.parse(packed.slice(packed.indexOf('[')));
    const tarball = join(work, 'pack', info.filename);

    step('npm install --omit=dev of the tarball into a staging folder');
    const staging = join(work, 'staging');
    mkdirSync(staging);
    writeFileSync(join(staging, 'package.json'), '{ "private": true }\n');
    run('npm', ['install', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: staging, env });

    step('pack node_modules into one archive');
    // .bin holds links to the packages' bins (nothing runs them here); .package-lock.json is npm's own note.
    const files = listFiles(staging, (rel) => rel === 'package.json' || rel === 'package-lock.json' || rel === 'node_modules/.bin' || rel === 'node_modules/.package-lock.json');
    const archive = pack(staging, files);
    const sha256 = launcher.sha256(archive);
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    writeFileSync(join(work, 'app.pack'), archive);
    writeFileSync(join(work, 'manifest.json'), JSON.stringify({ name: 'purple-dot-sim', version, sha256, files: files.length }));
    log(`         ${files.length} files, ${mb(archive.length)} gzipped, sha256 ${sha256.slice(0, 16)}…`);

    step('SEA blob (node --experimental-sea-config)');
    const config = {
      main: join(ROOT, 'scripts', 'sea-launcher.cjs'),
      output: join(work, 'sea.blob'),
      // The launcher's own output is the CLI's: no "experimental feature" line on every run.
      disableExperimentalSEAWarning: true,
      // A code cache would break import() in the main script (Node's SEA docs), and the launcher is tiny.
      useCodeCache: false,
      useSnapshot: false,
      assets: { 'app.pack': join(work, 'app.pack'), 'manifest.json': join(work, 'manifest.json') },
    };
    writeFileSync(join(work, 'sea-config.json'), JSON.stringify(config, null, 2));
    run(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { cwd: work });

    const binary = join(work, 'purple-dot-sim');
    if (onPath('strip')) {
      step('copy this Node, symbols stripped');
      run('strip', ['--strip-all', '-o', binary, process.execPath]);
    } else {
      step('copy this Node (no strip on PATH: symbols kept)');
      copyFileSync(process.execPath, binary);
    }
    chmodSync(binary, 0o755);

    step('inject the blob (postject)');
    const { inject } = require('postject');
    await inject(binary, 'NODE_SEA_BLOB', readFileSync(join(work, 'sea.blob')), { sentinelFuse: SEA_FUSE });

    step('smoke run: --version');
    const cache = join(work, 'cache');
    const shown = run(binary, ['--version'], { env: { ...env, PURPLE_DOT_SIM_CACHE_DIR: cache } }).trim();
    if (shown !== version) throw new Error(`the binary printed ${JSON.stringify(shown)} for --version, not ${version}`);

    mkdirSync(dirname(resolve(out)), { recursive: true });
    // Beside the target first, then one rename: a running copy of an older binary is never overwritten in place.
    copyFileSync(binary, `${out}.tmp`);
    chmodSync(`${out}.tmp`, 0o755);
    renameSync(`${out}.tmp`, out);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const size = statSync(out).size;
    log(`${relative(process.cwd(), out) || out}: ${mb(size)} (${size} bytes), purple-dot-sim ${version}, built in ${seconds} s`);
    return { path: out, size, seconds: Number(seconds), version, sha256 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const at = process.argv.indexOf('--out');
  const out = at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]) : undefined;
  try {
    await buildBinary(out ? { out } : {});
  } catch (error) {
    process.stderr.write(`build-binary: ${error.message}\n`);
    process.exit(1);
  }
}
