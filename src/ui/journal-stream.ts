import type { Server } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { refusal, type Answer } from '../engine/answer.ts';
import { DEFAULT_STORE_ID } from '../engine/defaults.ts';
import type { EngineRequest } from '../engine/dispatch.ts';
import type { Engine } from '../engine/engine.ts';
import type { JournalEntry } from '../engine/journal.ts';
import { controlPlaneRefusal, type ControlPlaneOptions } from '../http/control-plane.ts';

/** A comment line now and then keeps proxies and the browser from closing an idle stream. */
const KEEP_ALIVE_MS = 15_000;
/** How often a stream checks that its server is still listening: a closing server must not wait on it. */
const SERVER_CHECK_MS = 500;
/** A client that stops reading is dropped past this much unsent text; it reconnects with `after` and misses nothing kept. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

const wantsEvents = (req: Request): boolean => (req.get('accept') ?? '').toLowerCase().includes('text/event-stream');

const event = (entry: JournalEntry): string => `id: ${entry.seq}\nevent: entry\ndata: ${JSON.stringify(entry)}\n\n`;

/** The default store's journal also shows the requests that named no store (as `getJournal` does). */
const ownedBy = (storeId: string) => (entry: JournalEntry): boolean =>
  entry.store === storeId || (storeId === DEFAULT_STORE_ID && entry.store === null);

function writeJson(res: Response, answer: Answer): void {
  res.status(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) res.set(name, value);
  res.json(answer.body);
}

/**
 * `streamJournal` / `streamJournalInStore` as server-sent events, for a client that asks for
 * `text/event-stream`; any other request goes on to the operation's ordinary JSON route. The operation is
 * dispatched first, so the token, the store and the query are checked exactly as for the JSON answer, and its
 * entries are the stream's opening; then each new entry of the store follows as it is journaled.
 */
export function journalStream(engine: Engine, options: ControlPlaneOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!wantsEvents(req)) return next();
    const locked = controlPlaneRefusal(req, options);
    if (locked) return writeJson(res, refusal(locked));
    const storeId = typeof req.params.storeId === 'string' ? req.params.storeId : undefined;
    const operationId = storeId === undefined ? 'streamJournal' : 'streamJournalInStore';
    const path: Record<string, string> = storeId === undefined ? {} : { storeId };
    const request: EngineRequest = { method: 'GET', target: req.path, query: req.query as Record<string, unknown>, path, headers: req.headers };
    const opening = engine.dispatchRaw(operationId, request);
    if (opening.status !== 200) return writeJson(res, opening);
    const owned = ownedBy(storeId ?? DEFAULT_STORE_ID);

    res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    for (const entry of (opening.body as { data: JournalEntry[] }).data) res.write(event(entry));

    const server = (req.socket as { server?: Server }).server;
    const stop = (): void => {
      unwatch();
      clearInterval(keepAlive);
      clearInterval(serverCheck);
      if (!res.writableEnded) res.end();
    };
    const unwatch = engine.watchJournal((entry) => {
      if (!owned(entry) || res.writableEnded) return;
      res.write(event(entry));
      if (res.writableLength > MAX_BUFFERED_BYTES) stop();
    });
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    const serverCheck = setInterval(() => {
      if (server && !server.listening) stop();
    }, SERVER_CHECK_MS);
    keepAlive.unref();
    serverCheck.unref();
    res.once('close', stop);
  };
}
