/**
 * The main script of the standalone binary (`npm run build:binary`, scripts/build-binary.mjs): a Node single
 * executable application (SEA) runs this one CommonJS file, whose own `require` loads only built-in modules.
 *
 * The app itself travels as one SEA asset, `app.pack`: the package's node_modules folder as `npm i
 * purple-dot-sim --omit=dev` lays it out (the package, its dist/, spec/ and dashboard, and its production
 * dependencies), in the small format below, gzipped. On the first run this script unpacks it into a cache
 * folder named after the archive's hash, then loads the compiled CLI from there with a file-based `require`
 * (Node 20.19+ loads an ES module through `require()`, without a flag or a warning) and runs it. Later runs
 * find the folder and skip straight to loading it. Why not a bundle: no bundler without a native binary was
 * allowed, and the unpacked tree is byte for byte what npm users run.
 *
 * The cache folder, the first of these that can be used:
 *   $PURPLE_DOT_SIM_CACHE_DIR, else $XDG_CACHE_HOME/purple-dot-sim, else ~/.cache/purple-dot-sim, else
 *   <os temp dir>/purple-dot-sim-<uid> (made 0700 and checked to be ours, since others can write to /tmp)
 * and in it `<version>-<first 16 hex digits of the archive's SHA-256>/`. A folder already unpacked there is
 * used even when the cache is read-only (a container image unpacks at build time; see the Dockerfile).
 *
 * Unpacking is atomic: into a fresh temporary folder beside the final one, a `.complete` marker last, then one
 * rename. Two first runs at once each unpack their own copy; the first rename wins and the other run uses the
 * winner's folder, so no run ever sees half a tree.
 *
 * The pack format (gzip of): "PDSIMPK1", then per file: u32 path length, path (UTF-8, `/`-separated, relative),
 * u32 mode, u32 size, the bytes; all integers little-endian. Only files: folders are made as paths need them.
 *
 * Required outside a SEA (tests), it runs nothing and exports its parts.
 */
'use strict';

const { createHash } = require('node:crypto');
const fs = require('node:fs');
const { createRequire } = require('node:module');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');

const MAGIC = 'PDSIMPK1';
const COMPLETE = '.complete';

/** Files of a pack (already gunzipped) as { path, mode, data }, each path checked to stay inside the tree. */
function* unpackEntries(buffer) {
  if (buffer.toString('latin1', 0, MAGIC.length) !== MAGIC) throw new Error('the app archive is not a purple-dot-sim pack');
  let at = MAGIC.length;
  while (at < buffer.length) {
    const nameLength = buffer.readUInt32LE(at);
    const name = buffer.toString('utf8', at + 4, at + 4 + nameLength);
    at += 4 + nameLength;
    const mode = buffer.readUInt32LE(at);
    const size = buffer.readUInt32LE(at + 4);
    at += 8;
    if (at + size > buffer.length) throw new Error(`the app archive is cut short in ${name}`);
    // A path must name a file below the tree: no absolute path, no `..`, no empty part.
    if (name === '' || name.startsWith('/') || name.split('/').some((part) => part === '' || part === '.' || part === '..')) {
      throw new Error(`the app archive holds a bad path: ${JSON.stringify(name)}`);
    }
    yield { path: name, mode, data: buffer.subarray(at, at + size) };
    at += size;
  }
}

/** Writes every file of a gzipped pack below `dir` (which exists). */
function writeTree(gzipped, dir) {
  const made = new Set([dir]);
  for (const entry of unpackEntries(zlib.gunzipSync(gzipped))) {
    const file = path.join(dir, ...entry.path.split('/'));
    const parent = path.dirname(file);
    if (!made.has(parent)) {
      fs.mkdirSync(parent, { recursive: true, mode: 0o755 });
      made.add(parent);
    }
    fs.writeFileSync(file, entry.data, { mode: entry.mode & 0o755 });
  }
}

/** The cache roots to try, in order; the temp one is checked to be this user's own before it is used. */
function cacheRoots(env = process.env) {
  const roots = [];
  if (env.PURPLE_DOT_SIM_CACHE_DIR) roots.push({ dir: path.resolve(env.PURPLE_DOT_SIM_CACHE_DIR) });
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) roots.push({ dir: path.join(env.XDG_CACHE_HOME, 'purple-dot-sim') });
  let home = '';
  try {
    home = os.homedir();
  } catch {
    // no home folder (a user with none in a container)
  }
  if (home) roots.push({ dir: path.join(home, '.cache', 'purple-dot-sim') });
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  roots.push({ dir: path.join(os.tmpdir(), `purple-dot-sim-${uid}`), private: true });
  return roots;
}

/** Makes a root ready to unpack into, or throws why not. A shared temp root must be a real folder of ours, 0700. */
function prepareRoot(root) {
  fs.mkdirSync(root.dir, { recursive: true, mode: root.private ? 0o700 : 0o755 });
  if (root.private) {
    const stat = fs.lstatSync(root.dir);
    const uid = typeof process.getuid === 'function' ? process.getuid() : stat.uid;
    if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) {
      throw new Error(`${root.dir} is not a private folder of this user`);
    }
  }
  fs.accessSync(root.dir, fs.constants.W_OK);
}

/** Unpacking folders of `key` left by a run killed mid-way (an hour old: no run takes that long to unpack). */
function removeAbandoned(rootDir, key) {
  for (const name of fs.readdirSync(rootDir)) {
    if (!name.startsWith(`.unpacking-${key}-`)) continue;
    const dir = path.join(rootDir, name);
    try {
      if (Date.now() - fs.statSync(dir).mtimeMs > 3_600_000) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // gone already, or not ours to remove
    }
  }
}

/**
 * The folder holding the unpacked app for `key`: found in a root where it is already complete, else unpacked
 * into the first root that takes it. `archive()` gives the gzipped pack (read only when unpacking).
 */
function ensureUnpacked(key, archive, roots = cacheRoots()) {
  for (const root of roots) {
    const dir = path.join(root.dir, key);
    if (fs.existsSync(path.join(dir, COMPLETE))) return dir;
  }
  const failures = [];
  for (const root of roots) {
    let temp;
    try {
      prepareRoot(root);
      removeAbandoned(root.dir, key);
      const dir = path.join(root.dir, key);
      temp = fs.mkdtempSync(path.join(root.dir, `.unpacking-${key}-`));
      fs.chmodSync(temp, 0o755);
      writeTree(archive(), temp);
      fs.writeFileSync(path.join(temp, COMPLETE), `${new Date().toISOString()}\n`);
      try {
        fs.renameSync(temp, dir);
        temp = undefined;
      } catch (error) {
        // Another run finished first (the target is a non-empty folder now): use its tree, drop ours.
        if (!fs.existsSync(path.join(dir, COMPLETE))) throw error;
      }
      return dir;
    } catch (error) {
      failures.push(`${root.dir}: ${error.message}`);
    } finally {
      if (temp) fs.rmSync(temp, { recursive: true, force: true });
    }
  }
  throw new Error(`cannot unpack the app into any cache folder (set PURPLE_DOT_SIM_CACHE_DIR to a writable one):\n  ${failures.join('\n  ')}`);
}

/** Loads the compiled CLI from an unpacked tree and runs it with the user's arguments. */
async function runCli(dir, args) {
  const appRequire = createRequire(path.join(dir, 'node_modules', 'purple-dot-sim', 'package.json'));
  // The package's one-file bundle of the CLI when it has one (it starts in half the time), as its bin does.
  const bundled = path.join(dir, 'node_modules', 'purple-dot-sim', 'dist', 'bundle', 'cli.js');
  const { buildCli } = appRequire(fs.existsSync(bundled) ? bundled : './dist/src/cli.js');
  // As bin/purple-dot-sim.js: a reader that stops early closes the pipe, which is no reason to crash.
  process.stdout.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
  });
  await buildCli().parseAsync(args, { from: 'user' });
}

function main() {
  const sea = require('node:sea');
  const manifest = JSON.parse(sea.getAsset('manifest.json', 'utf8'));
  const key = `${manifest.version}-${manifest.sha256.slice(0, 16)}`;
  // getRawAsset: no copy of the archive, and it is read only on a first run.
  const archive = () => Buffer.from(sea.getRawAsset('app.pack'));
  let dir;
  try {
    dir = ensureUnpacked(key, archive);
  } catch (error) {
    process.stderr.write(`purple-dot-sim: ${error.message}\n`);
    process.exit(1);
  }
  // In a SEA, process.argv is [binary, the binary as it was typed, ...arguments].
  runCli(dir, process.argv.slice(2)).catch((error) => {
    process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  });
}

/** SHA-256 of a buffer in hex (the build names the cache folder with it). */
const sha256 = (buffer) => createHash('sha256').update(buffer).digest('hex');

if (require('node:sea').isSea()) main();
else module.exports = { MAGIC, COMPLETE, unpackEntries, writeTree, cacheRoots, ensureUnpacked, sha256 };
