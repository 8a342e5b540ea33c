/**
 * Inside the purple-dot-sim repository, 'purple-dot-sim' is the package built at the root: build it when
 * it is missing or older than its sources, so these tests never run against a stale dist/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const build = fileURLToPath(new URL('../../../scripts/build.mjs', import.meta.url));
  const entry = fileURLToPath(new URL('../../../dist/src/index.js', import.meta.url));
  if (existsSync(build)) {
    const run = spawnSync(process.execPath, [build, '--if-stale'], { stdio: 'inherit' });
    if (run.status !== 0) throw new Error(`building purple-dot-sim failed (exit ${run.status})`);
  }
  if (!existsSync(entry)) throw new Error(`purple-dot-sim is not built: ${entry} is missing (npm run build at the repository root)`);
}
