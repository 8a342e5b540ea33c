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
      if (!Number.isFinite(target)) throw invalid('INVALID_REQUEST', 'now', 'is not a time');
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
      if (mode === 'manual') manualMs += ms;
      else offsetMs += ms;
      floorMs = Math.max(floorMs, read());
    },
  };
}
