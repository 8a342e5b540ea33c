import { conflict, invalid } from './errors.ts';

export type ClockMode = 'manual' | 'system';

/**
 * The simulator's only source of time. `manual` stands still until set or advanced (deterministic tests);
 * `system` follows the machine clock plus an offset, so tokens a real storefront signs with its own wall
 * clock are accepted. Neither runs backwards: creation and update order are derived from timestamps.
 */
export interface Clock {
  readonly mode: ClockMode;
  now(): Date;
  nowMs(): number;
  set(to: Date): void;
  advance(ms: number): void;
}

/** The last moment an RFC 3339 timestamp can name (9999-12-31T23:59:59.999Z). */
const LAST_MS = 253_402_300_799_999;

export function createClock(mode: ClockMode, start: Date, systemNow: () => number = Date.now): Clock {
  let manualMs = start.getTime();
  let offsetMs = 0;
  // A system clock may be pushed ahead, never behind what it has already shown.
  let floorMs = mode === 'manual' ? manualMs : 0;
  const read = (): number => (mode === 'manual' ? manualMs : Math.max(floorMs, systemNow() + offsetMs));
  return {
    mode,
    nowMs: read,
    now: () => new Date(read()),
    set(to: Date) {
      const target = to.getTime();
      if (!Number.isFinite(target) || target > LAST_MS) throw invalid('INVALID_REQUEST', 'now', 'must be a time before year 10000');
      const current = read();
      if (target < current) {
        throw conflict('CLOCK_BACKWARDS', 'now', `must not be before the current time ${new Date(current).toISOString()}`);
      }
      if (mode === 'manual') manualMs = target;
      else {
        offsetMs += target - current;
        floorMs = target;
      }
    },
    advance(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw invalid('INVALID_REQUEST', 'seconds', 'must be a finite number >= 0');
      if (read() + ms > LAST_MS) throw invalid('INVALID_REQUEST', 'seconds', 'would move the clock past year 9999');
      if (mode === 'manual') manualMs += ms;
      else offsetMs += ms;
      floorMs = Math.max(floorMs, read());
    },
  };
}
