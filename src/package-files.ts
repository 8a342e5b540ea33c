import { existsSync } from 'node:fs';

/**
 * The URL of a file shipped at the package root (the specs). Sources run from `src/` under tsx and vitest,
 * compiled code from `dist/src/`; walking up to the folder that holds `spec/` serves both layouts.
 */
export function packageFileUrl(relative: string): URL {
  let dir = new URL('./', import.meta.url);
  for (let depth = 0; depth < 6; depth += 1) {
    const candidate = new URL(relative, dir);
    if (existsSync(candidate)) return candidate;
    dir = new URL('../', dir);
  }
  throw new Error(`purple-dot-sim: ${relative} is missing from the package`);
}
