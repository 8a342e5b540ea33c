/**
 * Waits that end when real time or a store's clock has moved far enough, whichever first: under a manual
 * clock a test skips a backoff by moving the clock (`clockMoved`), while a receiver nobody moves the clock
 * for still gets its retries within seconds. Timers are kept referenced, so an awaited `idle()` keeps the
 * process alive until the deliveries end; `close()` ends every wait at once.
 */
export interface Waits {
  /** Resolves after `ms` of real time or of the store's clock; `interrupt` ends it early too. */
  wait(storeId: string, ms: number, interrupt?: { wake?: () => void }): Promise<void>;
  clockMoved(storeId: string): void;
  close(): void;
}

export function createWaits(clockOf: (storeId: string) => number | undefined): Waits {
  const waiting = new Set<{ storeId: string; due: number; end: () => void }>();
  let closed = false;
  return {
    wait(storeId, ms, interrupt) {
      if (closed || ms <= 0) return Promise.resolve();
      const now = clockOf(storeId);
      return new Promise((resolve) => {
        const waiter = {
          storeId,
          due: now === undefined ? Number.POSITIVE_INFINITY : now + ms,
          end: () => {
            clearTimeout(timer);
            waiting.delete(waiter);
            if (interrupt) interrupt.wake = undefined;
            resolve();
          },
        };
        const timer = setTimeout(waiter.end, ms);
        waiting.add(waiter);
        if (interrupt) interrupt.wake = waiter.end;
      });
    },
    clockMoved(storeId) {
      const now = clockOf(storeId);
      if (now === undefined) return;
      for (const waiter of [...waiting]) if (waiter.storeId === storeId && now >= waiter.due) waiter.end();
    },
    close() {
      closed = true;
      for (const waiter of [...waiting]) waiter.end();
    },
  };
}
