import { AsyncLocalStorage } from 'node:async_hooks';
import type { Response } from 'express';
import { BUG_ANSWER } from '../engine/answer.ts';

/** The request a piece of asynchronous work belongs to, so an exception that escapes it can still be answered. */
export interface RequestContext {
  id: number;
  method: string;
  path: string;
  res: Response;
}

// One per process, holding nothing itself: each request's context lives in its own asynchronous chain.
export const requestContext = new AsyncLocalStorage<RequestContext>();

/**
 * The last line of defence of `serve`: an exception no code caught (thrown in a timer or a stream callback a
 * request started) answers that request 500 in the envelope and is logged with its request id, and the
 * process keeps serving the others. Only for a process of our own: a library must not take over a host
 * process's handlers. Returns the function that removes the guard.
 */
export function guardProcess(log: (line: string) => void): () => void {
  const onEscaped = (error: unknown): void => {
    const context = requestContext.getStore();
    const where = context ? `request ${context.id} (${context.method} ${context.path})` : 'no request';
    log(`purple-dot-sim: bug: an exception escaped in ${where}; still serving. ${(error as Error)?.stack ?? String(error)}\n`);
    const res = context?.res;
    if (!res || res.writableEnded) return;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(BUG_ANSWER.status).json(BUG_ANSWER.body);
  };
  process.on('uncaughtException', onEscaped);
  process.on('unhandledRejection', onEscaped);
  return () => {
    process.off('uncaughtException', onEscaped);
    process.off('unhandledRejection', onEscaped);
  };
}
