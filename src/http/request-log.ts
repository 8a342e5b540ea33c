import type { JournalEntry } from '../engine/journal.ts';

export type LogLevel = 'info' | 'warn' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['info', 'warn', 'silent'];

/** One line per request: method, path, status, duration, operation, and what broke the contract or which fault hit. */
export function formatRequestLine(entry: JournalEntry): string {
  const mark = entry.conformed ? '' : `  ✗ ${entry.problems.map((p) => `${p.field}: ${p.problem}`).join('; ')}`;
  const fault = entry.fault ? `  [${entry.fault.id} ${entry.fault.kind}]` : '';
  return `${entry.method} ${entry.path} ${entry.status} ${entry.durationMs.toFixed(1)}ms ${entry.operationId ?? '-'}${fault}${mark}\n`;
}

/**
 * A request log that stays off the hot path: lines are queued as requests are answered and written in one
 * batch once the event loop is free, so a burst of requests costs one write, not one per request.
 * `warn` logs only what deserves a look: requests that broke the contract, faults and 5xx answers.
 */
export interface RequestLog {
  /** Hears each answered request (pass it as `onRequest`). */
  record(entry: JournalEntry): void;
  /** Writes what is queued now, e.g. before the process exits. */
  flush(): void;
}

export function createRequestLog(level: LogLevel, write: (text: string) => void): RequestLog | undefined {
  if (level === 'silent') return undefined;
  let pending: string[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    write(lines.join(''));
  };
  return {
    record(entry) {
      if (level === 'warn' && entry.conformed && !entry.fault && entry.status < 500) return;
      if (pending.length === 0) setImmediate(flush);
      pending.push(formatRequestLine(entry));
    },
    flush,
  };
}
