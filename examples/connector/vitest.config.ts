/**
 * Inside the purple-dot-sim repository these tests run with nothing installed in this folder:
 *   npx vitest run --config examples/connector/vitest.config.ts     (from the repository root)
 * 'purple-dot-sim' then resolves to the repository's built package entry, dist/src/index.js — the file the
 * package's `exports` map names, what `npm i -D purple-dot-sim` gives a partner — never to src/; the global
 * setup builds dist/ first when a source is newer than the last build.
 *
 * Copied out of the repository (a partner's project, or the packed-package check), nothing is aliased:
 * 'purple-dot-sim' comes from node_modules like any dependency.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

const repoPackage = here('../../package.json');
const inRepository = existsSync(repoPackage) && (JSON.parse(readFileSync(repoPackage, 'utf8')) as { name?: string }).name === 'purple-dot-sim';

export default defineConfig({
  root: here('.'),
  resolve: {
    alias: inRepository ? [{ find: /^purple-dot-sim$/, replacement: here('../../dist/src/index.js') }] : [],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: inRepository ? ['test/build-simulator.ts'] : [],
    testTimeout: 15_000,
  },
});
