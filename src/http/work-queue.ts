import { requestContext, type RequestContext } from './request-context.ts';

export interface WorkQueue {
  /**
   * Runs `job` soon, after the jobs queued before it, in the asynchronous context it was queued from. A job
   * naming a store waits while that store is held.
   */
  push(job: () => void, store?: string): void;
  /** Holds a store: its jobs wait (in order) until the returned release is called; other stores' jobs run on. */
  hold(store: string): () => void;
}

interface Job {
  run: () => void;
  store: string | undefined;
  /** The request it belongs to: the process guard must know which request a job that throws belongs to. */
  context: RequestContext | undefined;
}

/**
 * Runs requests' work in arrival order, a few milliseconds at a time. Under load, a hundred requests can
 * become ready in one turn of the event loop; run back to back they would hold it for a second or more,
 * during which no timer fires and no new connection is accepted. Between slices the loop turns, so a new
 * connection waits behind the requests queued before it, not behind whole turns of them.
 */
export function createWorkQueue(sliceMs = 5): WorkQueue {
  let jobs: Job[] = [];
  let head = 0;
  let scheduled = false;
  /** Jobs of held stores, by store, in arrival order. */
  const parked = new Map<string, Job[]>();
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(run);
  };
  const run = (): void => {
    scheduled = false;
    const until = performance.now() + sliceMs;
    while (head < jobs.length) {
      const job = jobs[head]!;
      jobs[head] = undefined as never;
      head += 1;
      const waiting = job.store === undefined ? undefined : parked.get(job.store);
      if (waiting) {
        waiting.push(job);
        continue;
      }
      // Run in its own request's context (cheaper than binding each job to an AsyncResource).
      if (job.context) requestContext.run(job.context, job.run);
      else job.run();
      if (performance.now() >= until) break;
    }
    if (head >= jobs.length) {
      jobs = [];
      head = 0;
    } else {
      schedule();
    }
  };
  return {
    push(job, store) {
      jobs.push({ run: job, store, context: requestContext.getStore() });
      schedule();
    },
    hold(store) {
      if (!parked.has(store)) parked.set(store, []);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const waiting = parked.get(store) ?? [];
        parked.delete(store);
        // Back in the queue in their order; they were queued before anything that came in since.
        jobs.splice(head, 0, ...waiting);
        if (jobs.length > head) schedule();
      };
    },
  };
}
