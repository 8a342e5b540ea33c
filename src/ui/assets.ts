import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageFileUrl } from '../package-files.ts';

export interface Asset {
  type: string;
  body: Buffer;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

let loaded: Map<string, Asset> | undefined;

/**
 * The dashboard's files, built ahead of time into dist/ui/ (scripts/build.mjs), read once: a fixed set of
 * small files, so a request can only ever name one of them (no path is joined from the URL). Empty when
 * the package was not built.
 */
export function dashboardAssets(): ReadonlyMap<string, Asset> {
  if (loaded) return loaded;
  const assets = new Map<string, Asset>();
  try {
    const dir = fileURLToPath(new URL('./', packageFileUrl('dist/ui/index.html')));
    for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      const type = TYPES[extname(name)];
      if (type) assets.set(name.split(sep).join('/'), { type, body: readFileSync(join(dir, name)) });
    }
  } catch {
    // Not built: the dashboard answers that it is missing, the rest of the simulator is unaffected.
  }
  loaded = assets;
  return assets;
}
