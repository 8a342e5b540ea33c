/**
 * Vitest global setup: the CLI tests run bin/purple-dot-sim.js, which runs the compiled dist/, so dist/ is
 * rebuilt first whenever a source is newer than the last build (and again before each rerun in watch mode).
 * A file-time check when nothing changed (about 0.1 s); an incremental tsc (a few seconds) when something did.
 * A type error does not stop the run (vitest does not type-check the other tests either; `npm run typecheck`
 * does): tsc still emits the JavaScript.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

function buildIfStale(): void {
  const script = fileURLToPath(new URL('../../scripts/build.mjs', import.meta.url));
  const result = spawnSync(process.execPath, [script, '--if-stale'], { stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`scripts/build.mjs --if-stale exited with ${result.status}: dist/ could not be built`);
}

export default function setup(project: TestProject): void {
  buildIfStale();
  project.onTestsRerun(() => buildIfStale());
}
