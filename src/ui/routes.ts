import type { Express, Request, Response } from 'express';
import { errorEnvelope } from '../engine/answer.ts';
import type { Engine } from '../engine/engine.ts';
import type { ControlPlaneOptions } from '../http/control-plane.ts';
import { dashboardAssets } from './assets.ts';
import { journalStream } from './journal-stream.ts';

/** Where the dashboard lives, under the control API's own prefix. */
export const DASHBOARD_PATH = '/__sim/ui/';

/**
 * The page may not be framed (clickjacking) and loads nothing from anywhere but the simulator; its scripts
 * are files of its own, never inline. No CORS header: like the rest of the control API, no other origin may read it.
 */
const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

function serveAsset(req: Request, res: Response): void {
  // Express 5 gives a wildcard's segments as an array; none for the page itself.
  const segments: unknown = (req.params as Record<string, unknown>).asset;
  const name = Array.isArray(segments) && segments.length > 0 ? segments.join('/') : 'index.html';
  const asset = dashboardAssets().get(name);
  if (!asset) {
    const built = dashboardAssets().size > 0;
    const message = built ? `The dashboard has no file ${name}.` : 'The dashboard was not built into this package: run npm run build.';
    res.status(404).json(errorEnvelope('NOT_FOUND', message, [{ field: 'path', problem: built ? `no dashboard file ${name}` : 'dist/ui/ is missing' }]));
    return;
  }
  res.status(200).set(PAGE_HEADERS).type(asset.type).send(asset.body);
}

/**
 * The dashboard (`/__sim/ui/`) and the live journal it reads (`streamJournal` as server-sent events), mounted
 * before the spec's routes. The page itself holds no data and is served without the control token (a
 * browser cannot send a bearer header when it navigates); every call it makes needs the token as usual.
 */
export function mountDashboard(app: Express, engine: Engine, options: ControlPlaneOptions): void {
  const stream = journalStream(engine, options);
  app.get('/__sim/journal/stream', stream);
  app.get('/__sim/stores/:storeId/journal/stream', stream);
  app.get('/__sim/ui', (req, res) => res.redirect(308, `${req.originalUrl.split('?')[0]}/`));
  app.get(DASHBOARD_PATH, serveAsset);
  app.get(`${DASHBOARD_PATH}*asset`, serveAsset);
}
