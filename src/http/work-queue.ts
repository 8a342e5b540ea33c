import { AsyncResource } from 'node:async_hooks';

export interface WorkQueue {
  /** Runs `job` soon, after the jobs queued before it, in the asynchronous context it was queued from. */
  push(job: () => void): void;
}

/**
 * Runs requests' work in arrival order, a few milliseconds at a time. Under load, a hundred requests can
 * become ready in one turn of the event loop; run back to back they would hold it for a second or more,
 * during which no timer fires and no new connection is accepted. Between slices the loop turns, so a new
 * connection waits behind the requests queued before it, not behind whole turns of them.
 */
export function createWorkQueue(sliceMs = 5): WorkQueue {
  let jobs: (() => void)[] = [];
  let head = 0;
  let scheduled = false;
  const run = (): void => {
    scheduled = false;
    const until = performance.now() + sliceMs;
    while (head < jobs.length) {
      const job = jobs[head]!;
      jobs[head] = undefined as never;
      head += 1;
      job();
      if (performance.now() >= until) break;
    }
    if (head >= jobs.length) {
      jobs = [];
      head = 0;
    } else {
      scheduled = true;
      setImmediate(run);
    }
  };
  return {
    push(job) {
      // Bound to its own context: the process guard must know which request a job that throws belongs to.
      jobs.push(AsyncResource.bind(job));
      if (scheduled) return;
      scheduled = true;
      setImmediate(run);
    },
  };
}
