#!/usr/bin/env node
/**
 * Builds the package into dist/: `tsc -p tsconfig.build.json` (incremental), then two fixes tsc does not make.
 *
 *   node scripts/build.mjs             build; exits non-zero on a type error (npm run build, prepare, npm pack)
 *   node scripts/build.mjs --if-stale  build only when a source is newer than the last build; a type error is
 *                                      reported but not fatal, since tsc still emits the JavaScript (npm start,
 *                                      the test suite's global setup)
 *
 * It also builds the dashboard (ui/, served at /__sim/ui/) into dist/ui/: its scripts type-checked and compiled
 * by tsc with their own tsconfig (browser code, no bundler: native ES modules, a handful of small files), its
 * HTML and CSS copied. A type error in them fails the build like one in the package.
 *
 * It also bundles the CLI with esbuild into dist/bundle/cli.js, which bin/purple-dot-sim.js runs: resolving and
 * loading the few hundred modules of dist/src/ and its dependencies one by one was half of a start (about 0.4 s
 * of import against 0.2 s for the bundle). The library (dist/src/index.js) stays unbundled. ioredis stays
 * outside the bundle, loaded from node_modules only by `serve --state redis://…`.
 *
 * It also writes each spec as JSON to dist/spec/, which the compiled code reads instead of the YAML (parsing
 * the YAML at every start costs about 0.35 s; the JSON about 3 ms).
 *
 * The fixes:
 * - tsc's `rewriteRelativeImportExtensions` rewrites `./x.ts` to `./x.js` in the JavaScript but not in the
 *   declarations (microsoft/TypeScript#61037). tsc reads `.ts` specifiers in a .d.ts, other tools do not,
 *   so the .d.ts files get the same `.js` specifiers as the JavaScript. Same length, so declaration maps stay right.
 * - an incremental tsc never deletes what an earlier build emitted for a source that has since been moved or
 *   removed; those outputs are deleted so they cannot be imported by mistake or shipped in the package.
 *
 * Freshness is a file-time comparison (about 20 ms), not a tsc run (about 3 s even when nothing changed):
 * dist/.build-stamp is written after each build that emitted, and the build is stale when any file or folder
 * under src/, scenarios/, generated/, or a tsconfig or this script, is newer. Folder times catch deletions
 * and renames.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.build-stamp');
const BUNDLE = join(DIST, 'bundle', 'cli.js');
const SOURCE_DIRS = ['src', 'scenarios', 'generated'];
const SOURCE_FILES = ['tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs', 'spec', 'ui'];

/** Newest modification time (ms) of the files and folders below `path`, or of `path` itself. */
function newest(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  let time = stat.mtimeMs;
  if (stat.isDirectory()) {
    for (const entry of readdirSync(path)) time = Math.max(time, newest(join(path, entry)));
  }
  return time;
}

/** Why dist/ needs a build, or null when it is up to date. */
export function staleness() {
  if (!existsSync(join(DIST, 'src', 'index.js')) || !existsSync(BUNDLE) || !existsSync(STAMP)) return 'dist/ has not been built';
  const built = statSync(STAMP).mtimeMs;
  for (const path of [...SOURCE_DIRS, ...SOURCE_FILES]) {
    if (newest(join(ROOT, path)) > built) return `${path} changed since the last build`;
  }
  return null;
}

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

const OUTPUT = /(\.d\.ts\.map|\.d\.ts|\.js\.map|\.js)$/;

/** Deletes outputs whose source is gone, then folders left empty. Returns how many files went. */
function pruneOrphans() {
  let removed = 0;
  for (const top of SOURCE_DIRS) {
    const dir = join(DIST, top);
    if (!existsSync(dir)) continue;
    for (const file of walk(dir)) {
      const match = OUTPUT.exec(file);
      if (!match) continue;
      const source = join(ROOT, relative(DIST, file.slice(0, -match[1].length))) + '.ts';
      if (!existsSync(source)) {
        rmSync(file);
        removed += 1;
      }
    }
    removeEmptyDirs(dir);
  }
  return removed;
}

function removeEmptyDirs(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeEmptyDirs(join(dir, entry.name));
  }
  if (readdirSync(dir).length === 0) rmdirSync(dir);
}

// A relative specifier ending in a TypeScript extension, after `from`, `import(` or a bare `import`;
// `./x.d.ts` is left alone.
const TS_SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"\n]*?)(?<!\.d)\.(ts|tsx|mts|cts)\2/g;
const JS_EXTENSION = { ts: 'js', tsx: 'js', mts: 'mjs', cts: 'cjs' };

/** The text of a declaration file with its relative `.ts` specifiers turned into `.js`. */
export function rewriteDeclarationSpecifiers(text) {
  return text.replace(TS_SPECIFIER, (_, lead, quote, path, ext) => `${lead}${quote}${path}.${JS_EXTENSION[ext]}${quote}`);
}

function fixDeclarations() {
  let changed = 0;
  for (const top of SOURCE_DIRS) {
    const dir = join(DIST, top);
    if (!existsSync(dir)) continue;
    for (const file of walk(dir)) {
      if (!file.endsWith('.d.ts')) continue;
      const text = readFileSync(file, 'utf8');
      const fixed = rewriteDeclarationSpecifiers(text);
      if (fixed !== text) {
        writeFileSync(file, fixed);
        changed += 1;
      }
    }
  }
  return changed;
}

function writeSpecsAsJson() {
  const out = join(DIST, 'spec');
  mkdirSync(out, { recursive: true });
  for (const file of readdirSync(join(ROOT, 'spec'))) {
    if (!file.endsWith('.yaml')) continue;
    const document = parseYaml(readFileSync(join(ROOT, 'spec', file), 'utf8'));
    writeFileSync(join(out, file.replace(/\.yaml$/, '.json')), JSON.stringify(document));
  }
}

/** dist/src/cli.js and what it imports, in one ES module (see the top of this file for why). */
function bundleCli() {
  rmSync(join(DIST, 'bundle'), { recursive: true, force: true });
  const { buildSync } = createRequire(import.meta.url)('esbuild');
  buildSync({
    entryPoints: { cli: join(DIST, 'src', 'cli.js') },
    outdir: join(DIST, 'bundle'),
    bundle: true,
    // The shared-log code (and its static import of ioredis) goes into a chunk of its own, loaded by its import().
    splitting: true,
    chunkNames: '[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['ioredis'],
    // The CommonJS dependencies (Express and its own) call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as createRequireForBundle } from 'node:module';\nconst require = createRequireForBundle(import.meta.url);" },
    logLevel: 'warning',
  });
}

const UI = join(ROOT, 'ui');
const UI_OUT = join(DIST, 'ui');
const UI_TSC = join(DIST, '.ui-tsc');

/** Compiles the dashboard's scripts and copies its page into dist/ui/; returns tsc's exit status. */
function buildDashboard(tsc) {
  rmSync(UI_TSC, { recursive: true, force: true });
  const result = spawnSync(process.execPath, [tsc, '-p', join(UI, 'tsconfig.json')], { cwd: ROOT, stdio: 'inherit' });
  if (result.error) throw result.error;
  rmSync(UI_OUT, { recursive: true, force: true });
  mkdirSync(UI_OUT, { recursive: true });
  const compiled = join(UI_TSC, 'ui', 'src');
  if (existsSync(compiled)) {
    for (const file of walk(compiled)) {
      if (!file.endsWith('.js')) continue;
      const target = join(UI_OUT, relative(compiled, file));
      mkdirSync(join(target, '..'), { recursive: true });
      copyFileSync(file, target);
    }
  }
  for (const file of ['index.html', 'style.css']) copyFileSync(join(UI, file), join(UI_OUT, file));
  rmSync(UI_TSC, { recursive: true, force: true });
  return result.status ?? 1;
}

/** Runs tsc and the fixes; returns tsc's exit status (0 clean, 1 or 2 with diagnostics, outputs still emitted). */
export function build() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const started = performance.now();
  const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  if (result.error) throw result.error;
  let status = result.status ?? 1;
  if (!existsSync(join(DIST, 'src', 'index.js'))) return status === 0 ? 1 : status;
  pruneOrphans();
  fixDeclarations();
  writeSpecsAsJson();
  bundleCli();
  const dashboard = buildDashboard(tsc);
  if (status === 0 && dashboard !== 0) status = dashboard;
  // Stamp only a clean build, so a build with type errors is retried (and its errors shown) next time.
  if (status === 0) {
    mkdirSync(DIST, { recursive: true });
    writeFileSync(STAMP, `built in ${Math.round(performance.now() - started)} ms\n`);
  }
  return status;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale) {
    const reason = staleness();
    if (!reason) process.exit(0);
    process.stderr.write(`purple-dot-sim: building dist/ (${reason})\n`);
  }
  const status = build();
  if (status !== 0 && ifStale && existsSync(join(DIST, 'src', 'index.js'))) {
    process.stderr.write('purple-dot-sim: tsc reported the errors above; dist/ holds the JavaScript it emitted anyway.\n');
    process.exit(0);
  }
  process.exit(status);
}
