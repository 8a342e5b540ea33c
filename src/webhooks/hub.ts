import type { DomainEvent } from '../domain/events.ts';
import type { WebhookEventName, WebhookSettings, WebhookSubscription } from '../domain/types.ts';
import { DEFAULT_STORE_ID } from '../engine/defaults.ts';
import type { PendingWebhook, PendingWebhooks, StateWebhookRecord } from '../engine/state-log.ts';
import type { Store } from '../engine/store.ts';
import { createDeliveryLog, type DeliveryLog, type WebhookDelivery, type WebhookFault } from './delivery-log.ts';
import { createTriggerReader, type WebhookKind, type WebhookMessage } from './messages.ts';
import { seededRandom } from '../engine/random.ts';
import { MAX_ATTEMPTS, readWebhookState } from './settings.ts';
import { signWebhookBody } from './signature.ts';
import type { WebhookTransport } from './transport.ts';
import { createWaits } from './waits.ts';

/** One webhook as an in-process subscriber hears it: what a receiver would get, parsed and raw. */
export interface WebhookNotice {
  store: string;
  event: WebhookEventName;
  webhook: WebhookKind;
  /** The body, parsed. */
  body: unknown;
  /** The exact body bytes a receiver gets. */
  rawBody: string;
  /** `Content-Type` and the three `X-PD-*` headers, signed with the store's shared secret. */
  headers: Record<string, string>;
}

export type WebhookListener = (notice: WebhookNotice) => void;

/** What tests use: hear webhooks in-process, read what was sent, wait until nothing is left to send. */
export interface Webhooks {
  /** Hears every webhook of `event` (`'*'`: all) of every store, subscriptions or not; returns the unsubscribe function. */
  on(event: WebhookEventName | '*', listener: WebhookListener): () => void;
  /** The store's delivery attempts, oldest first (the last 1,000). */
  deliveries(storeId?: string): WebhookDelivery[];
  /** Settles when no delivery is waiting or under way and every in-process subscriber has heard its webhooks. */
  idle(): Promise<void>;
}

/** The engine's side: events in, clock moves, store removals and shutdown. */
export interface WebhookHub extends Webhooks {
  /** Reads one engine event; the engine calls it for every event after it commits. */
  hear(event: (DomainEvent | { type: `store.${string}`; at: string }) & { store: string }): void;
  /**
   * Whether `hear` would read none of the store's domain events now (no subscription, no in-process listener,
   * or no such store). A yes counts as having heard them unread, so the engine may leave them unhanded: an
   * export of 10,000 lines is 20,000 events, copied and handed over for nothing.
   */
  ignores(storeId: string): boolean;
  /** A store's clock moved: waits its clock has reached end now. */
  clockMoved(storeId: string): void;
  /**
   * The webhooks queued and not settled (delivered, or out of attempts), oldest first, for a state log's base;
   * undefined when none was ever queued.
   */
  pending(): PendingWebhooks | undefined;
  /** Queues webhooks a state log left unsettled, with the attempts they have left, before any new one. */
  resume(pending: PendingWebhooks): void;
  /**
   * Starts no attempt after this and aborts those under way; nothing is sent after. With a state log, what was
   * not delivered stays pending there (webhooks heard after closing are logged, not sent) for the next start.
   */
  close(): void;
  /** As `close`, but attempts under way may finish within `graceMs`, and their outcome is logged. */
  stop(graceMs: number): Promise<void>;
}

export interface HubOptions {
  store(id: string): Store | undefined;
  transport: WebhookTransport;
  report(error: unknown): void;
  /** Attempts under way at once, across stores; the rest wait their turn (a fuzzed or dead URL cannot pile up sockets). */
  concurrency?: number;
  /**
   * The state log's side: each webhook queued for a subscription, and each attempt that ended, so a restart
   * sends what was not delivered. Left out, webhooks live in memory only.
   */
  log?(record: StateWebhookRecord): void;
  /**
   * Whether this engine sends a store's webhooks to its subscribed URLs; always when left out. Replicas of a
   * shared log all hear the same events, and only the one holding the store's lease sends (src/replica/).
   */
  sends?(storeId: string): boolean;
}

interface Job {
  /** Its ID in the state log. */
  id: number;
  /** Attempts that ended (a restored webhook may have used some before the restart). */
  attempts: number;
  storeId: string;
  subscription: Pick<WebhookSubscription, 'id' | 'url'>;
  message: Omit<WebhookMessage, 'rawBody'>;
  rawBody: string;
  headers: Record<string, string>;
  faults: Set<WebhookFault>;
  /** Set when an out-of-order fault sent it after a later webhook: its first attempt says so. */
  reordered?: boolean;
}

interface Lane {
  jobs: Job[];
  running: boolean;
  /** Ends an out-of-order hold when the next webhook arrives. */
  interrupt: { wake?: () => void };
}

interface StoreRuntime {
  read: ReturnType<typeof createTriggerReader>;
  /** Events went by unread (nobody listened): the reader's memory of the events before them is stale. */
  skipped?: boolean;
  log: DeliveryLog;
  /** The settings the random draws were seeded from; new settings start the draws again. */
  seededFrom?: WebhookSettings;
  random: () => number;
}

const FAULT_ORDER: readonly WebhookFault[] = ['duplicate', 'out_of_order', 'delay', 'tampered_signature'];

/** How an attempt ended: 'interrupted' when closing cut it short (or it never started): it does not count. */
type Outcome = 'delivered' | 'failed' | 'refused' | 'gone' | 'interrupted';

const pendingOf = (job: Job): PendingWebhook => ({
  id: job.id,
  store: job.storeId,
  subscription: { ...job.subscription },
  event: job.message.event,
  webhook: job.message.webhook,
  at: job.message.at,
  key: job.message.key,
  body: job.rawBody,
  headers: { ...job.headers },
  faults: [...job.faults],
  attempts: job.attempts,
});

export function createWebhookHub(options: HubOptions): WebhookHub {
  const runtimes = new Map<string, StoreRuntime>();
  const lanes = new Map<string, Lane>();
  const listeners = new Map<string, Set<WebhookListener>>();
  const waits = createWaits((id) => options.store(id)?.clock.nowMs());
  const controller = new AbortController();
  const concurrency = options.concurrency ?? 16;
  let active = 0;
  const queued: (() => void)[] = [];
  let busy = 0;
  let idleWaiters: (() => void)[] = [];
  let closed = false;
  /** The last webhook ID handed out. */
  let seq = 0;
  /** Queued and not settled, by ID: what a state log's base keeps. */
  const owed = new Map<number, Job>();
  /** Attempts started and not yet recorded; `stop` waits for them. */
  let inFlight = 0;
  let landed: (() => void)[] = [];

  /** No attempt starts after this: waits end at once, and lanes stop where they are. */
  const stopStarting = (): void => {
    closed = true;
    waits.close();
    for (const resolve of queued.splice(0)) resolve();
  };

  const settle = (): void => {
    if (busy > 0) return;
    const waiting = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiting) resolve();
  };

  const anyListener = (): boolean => {
    for (const set of listeners.values()) if (set.size > 0) return true;
    return false;
  };

  const runtimeOf = (storeId: string): StoreRuntime => {
    let runtime = runtimes.get(storeId);
    if (!runtime) {
      runtime = { read: createTriggerReader(), log: createDeliveryLog(), random: () => 1 };
      runtimes.set(storeId, runtime);
    }
    return runtime;
  };

  /** Draws every fault for every webhook, fired or not, so the sequence depends only on the seed and the events. */
  const drawFaults = (runtime: StoreRuntime, settings: WebhookSettings): Set<WebhookFault> => {
    if (runtime.seededFrom !== settings) {
      runtime.seededFrom = settings;
      runtime.random = seededRandom(settings.faults.seed);
    }
    const faults = new Set<WebhookFault>();
    for (const fault of FAULT_ORDER) if (runtime.random() < settings.faults[fault]) faults.add(fault);
    return faults;
  };

  const withSlot = async <T>(work: () => Promise<T>): Promise<T> => {
    if (active >= concurrency) await new Promise<void>((resolve) => queued.push(resolve));
    active += 1;
    try {
      return await work();
    } finally {
      active -= 1;
      queued.shift()?.();
    }
  };

  const settingsOf = (storeId: string): WebhookSettings | undefined => {
    const store = options.store(storeId);
    return store ? readWebhookState(store.state.data.webhooks).settings : undefined;
  };

  const attempt = async (job: Job, number: number, fault: WebhookFault | null, headers: Record<string, string>): Promise<Outcome> => {
    const settings = settingsOf(job.storeId);
    const runtime = runtimes.get(job.storeId);
    if (!settings || !runtime) return 'gone';
    if (closed) return 'interrupted';
    const sentAt = new Date();
    const started = performance.now();
    const result = await withSlot(() => {
      if (closed) return Promise.resolve(undefined);
      return options.transport({ url: job.subscription.url, headers, body: job.rawBody, timeoutMs: settings.timeout_ms, signal: controller.signal });
    });
    if (!result) return 'interrupted';
    runtime.log.record({
      subscription_id: job.subscription.id,
      url: job.subscription.url,
      webhook: job.message.webhook,
      event: job.message.event,
      event_at: job.message.at,
      attempt: number,
      sent_at: sentAt.toISOString(),
      status: result.status,
      duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
      error: result.error,
      fault,
      body: job.rawBody,
      headers: { ...headers },
    });
    if (result.error === null) return 'delivered';
    // Cut short by closing: the receiver may or may not have it; it is tried again after a restart.
    if (controller.signal.aborted) return 'interrupted';
    return result.retry === false ? 'refused' : 'failed';
  };

  /** Logs that one attempt ended; a settled webhook is owed no more. */
  const attempted = (job: Job, number: number, done: boolean): void => {
    if (done) owed.delete(job.id);
    options.log?.({ t: 'webhook.attempt', id: job.id, attempt: number, done });
  };

  /**
   * Up to 3 attempts in all (a restored webhook has only those it did not use), waiting the store's backoff
   * after each failure; then a duplicate if the fault says so. Each attempt that ended is logged.
   */
  const deliver = async (job: Job, firstFault: WebhookFault | null): Promise<void> => {
    const tampered = job.faults.has('tampered_signature');
    while (job.attempts < MAX_ATTEMPTS && !closed) {
      const number = job.attempts + 1;
      const fault = tampered ? 'tampered_signature' : number === 1 ? firstFault : null;
      let outcome: Outcome;
      let settings: WebhookSettings | undefined;
      inFlight += 1;
      try {
        outcome = await attempt(job, number, fault, job.headers);
        if (outcome === 'interrupted') return;
        if (outcome === 'gone') return attempted(job, job.attempts, true);
        job.attempts = number;
        settings = settingsOf(job.storeId);
        const done = outcome !== 'failed' || number === MAX_ATTEMPTS || !settings;
        attempted(job, number, done);
        if (done) {
          if (outcome !== 'failed' && job.faults.has('duplicate') && !closed) await attempt(job, number, 'duplicate', job.headers);
          return;
        }
      } finally {
        inFlight -= 1;
        if (inFlight === 0) for (const resolve of landed.splice(0)) resolve();
      }
      await waits.wait(job.storeId, settings!.backoff_ms[number - 1]!);
    }
  };

  /** Sends a lane's jobs one after the other, so one pre-order's (or product's) webhooks arrive in order. */
  const run = async (lane: Lane, laneKey: string): Promise<void> => {
    lane.running = true;
    try {
      while (lane.jobs.length > 0 && !closed) {
        const job = lane.jobs[0]!;
        let firstFault: WebhookFault | null = job.reordered ? 'out_of_order' : null;
        if (job.faults.delete('out_of_order')) {
          firstFault = 'out_of_order';
          // Held until the next webhook of the lane arrives (which then goes first), or for a while.
          if (lane.jobs.length === 1) await waits.wait(job.storeId, Math.max(1000, settingsOf(job.storeId)?.faults.delay_ms ?? 1000), lane.interrupt);
          if (lane.jobs.length > 1) {
            job.reordered = true;
            lane.jobs.splice(0, 1);
            lane.jobs.splice(1, 0, job);
            // The webhook that jumps the queue goes now: held too, it would only put the two back in order.
            lane.jobs[0]!.faults.delete('out_of_order');
            continue;
          }
        } else if (job.faults.delete('delay')) {
          firstFault = 'delay';
          await waits.wait(job.storeId, settingsOf(job.storeId)?.faults.delay_ms ?? 0);
        }
        try {
          await deliver(job, firstFault);
        } catch (error) {
          options.report(error);
        }
        lane.jobs.shift();
        busy -= 1;
      }
    } finally {
      lane.running = false;
      if (closed) {
        busy -= lane.jobs.length;
        lane.jobs.length = 0;
      }
      if (lane.jobs.length === 0) lanes.delete(laneKey);
      settle();
    }
  };

  const enqueue = (job: Job): void => {
    owed.set(job.id, job);
    // Closed: kept in the state log for the next start, not sent.
    if (closed) return;
    const key = `${job.storeId}\u0000${job.subscription.id}\u0000${job.message.key}`;
    let lane = lanes.get(key);
    if (!lane) {
      lane = { jobs: [], running: false, interrupt: {} };
      lanes.set(key, lane);
    }
    lane.jobs.push(job);
    busy += 1;
    lane.interrupt.wake?.();
    // Never within the operation that caused the event: its answer goes first.
    if (!lane.running) {
      const started = lane;
      lane.running = true;
      setImmediate(() => void run(started, key));
    }
  };

  const notify = (notice: WebhookNotice): void => {
    const heard = [...(listeners.get(notice.event) ?? []), ...(listeners.get('*') ?? [])];
    if (heard.length === 0) return;
    busy += 1;
    setImmediate(() => {
      for (const listener of heard) {
        try {
          listener(notice);
        } catch (error) {
          options.report(error);
        }
      }
      busy -= 1;
      settle();
    });
  };

  const send = (store: Store, message: WebhookMessage): void => {
    const { subscriptions, settings } = readWebhookState(store.state.data.webhooks);
    const targets = options.sends?.(store.id) === false ? [] : subscriptions.filter((s) => s.events.includes(message.event));
    const hasListeners = (listeners.get(message.event)?.size ?? 0) + (listeners.get('*')?.size ?? 0) > 0;
    if (targets.length === 0 && !hasListeners) return;
    const rawBody = message.rawBody();
    const { rawBody: _make, ...described } = message;
    const signature = signWebhookBody(rawBody, store.credentials.shared_secret);
    const common = {
      'Content-Type': 'application/json',
      'X-PD-Timestamp': message.at,
      'X-PD-Api-Key': store.credentials.public_api_key,
      'X-PD-Hmac-Sha256': signature,
    };
    if (hasListeners && !closed) notify({ store: store.id, event: message.event, webhook: message.webhook, body: JSON.parse(rawBody) as unknown, rawBody, headers: { ...common } });
    const runtime = runtimeOf(store.id);
    for (const subscription of targets) {
      const faults = drawFaults(runtime, settings);
      const headers: Record<string, string> = {
        Host: new URL(subscription.url).host,
        'User-Agent': 'purple-dot-sim',
        ...common,
        'Content-Length': String(Buffer.byteLength(rawBody)),
        Connection: 'close',
      };
      // Signed with a key that is not the store's: the header looks right and never verifies.
      if (faults.has('tampered_signature')) headers['X-PD-Hmac-Sha256'] = signWebhookBody(rawBody, `${store.credentials.shared_secret}\u0000tampered`);
      const job: Job = { id: (seq += 1), attempts: 0, storeId: store.id, subscription: { id: subscription.id, url: subscription.url }, message: described, rawBody, headers, faults };
      const { attempts: _attempts, ...queued } = pendingOf(job);
      options.log?.({ t: 'webhook', ...queued });
      enqueue(job);
    }
  };

  /** Nobody would get a webhook of the store's events now; the reader then forgets what it saw before them. */
  const unread = (store: Store): boolean => {
    if ((store.state.data.webhooks?.subscriptions.length ?? 0) > 0 || anyListener()) return false;
    runtimeOf(store.id).skipped = true;
    return true;
  };

  const forget = (storeId: string): void => {
    runtimes.delete(storeId);
    for (const [id, job] of owed) if (job.storeId === storeId) owed.delete(id);
    for (const [key, lane] of lanes) {
      if (!key.startsWith(`${storeId}\u0000`)) continue;
      // The job under way finishes its attempt; the rest are dropped.
      const dropped = lane.jobs.splice(lane.running ? 1 : 0);
      busy -= dropped.length;
      if (!lane.running) lanes.delete(key);
    }
    settle();
  };

  return {
    hear(event) {
      // Closed, a hub with a state log still logs the webhooks an acknowledged change causes, for the next start.
      if (closed && !options.log) return;
      if (event.type === 'store.deleted') return forget(event.store);
      if (event.type.startsWith('store.')) return;
      const store = options.store(event.store);
      if (!store || unread(store)) return;
      const runtime = runtimeOf(store.id);
      if (runtime.skipped) {
        runtime.read = createTriggerReader();
        runtime.skipped = false;
      }
      for (const message of runtime.read(store.state, event as DomainEvent)) send(store, message);
    },
    ignores(storeId) {
      if (closed && !options.log) return true;
      const store = options.store(storeId);
      return !store || unread(store);
    },
    clockMoved: (storeId) => waits.clockMoved(storeId),
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => void set.delete(listener);
    },
    deliveries: (storeId = DEFAULT_STORE_ID) => runtimes.get(storeId)?.log.entries() ?? [],
    idle: () => (busy === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve))),
    pending: () => (seq === 0 ? undefined : { seq, pending: [...owed.values()].sort((a, b) => a.id - b.id).map(pendingOf) }),
    resume(restored) {
      seq = Math.max(seq, restored.seq);
      for (const saved of restored.pending) {
        if (!options.store(saved.store) || saved.attempts >= MAX_ATTEMPTS) continue;
        const faults = new Set(saved.faults);
        // Holds come before the first attempt only.
        if (saved.attempts > 0) for (const hold of ['delay', 'out_of_order'] as const) faults.delete(hold);
        runtimeOf(saved.store);
        enqueue({
          id: saved.id, attempts: saved.attempts, storeId: saved.store, subscription: { ...saved.subscription },
          message: { event: saved.event, webhook: saved.webhook, at: saved.at, key: saved.key }, rawBody: saved.body, headers: { ...saved.headers }, faults,
        });
      }
    },
    close() {
      stopStarting();
      controller.abort();
    },
    async stop(graceMs) {
      stopStarting();
      if (inFlight > 0 && graceMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => landed.push(resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
        ]);
        clearTimeout(timer);
      }
      controller.abort();
    },
  };
}
