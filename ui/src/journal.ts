import type { components as Sim } from '../../generated/simulator.ts';
import type { Api } from './api.ts';
import { badge, h, json, when } from './dom.ts';

export type JournalEntry = Sim['schemas']['JournalEntry'];

/** How many entries the page keeps on screen: the newest; the simulator keeps many more (GET /__sim/journal). */
const SHOWN = 200;
const RECONNECT_MS = 2_000;

export interface JournalView {
  element: HTMLElement;
  /** Follows one store's journal from its latest entries; stops following the previous one. */
  follow(storeId: string): void;
  stop(): void;
}

/** One entry: a line to scan, opening to the request, the answer and whether the request met the spec. */
function entryItem(entry: JournalEntry): HTMLElement {
  const flags = [
    entry.conformed ? null : badge('nonconforming'),
    entry.fault ? h('span', { class: 'badge badge-fault', 'data-fault': entry.fault.kind }, `fault: ${entry.fault.kind}`) : null,
  ];
  return h('li', { 'data-seq': entry.seq, 'data-operation': entry.operationId ?? '' },
    h('details', {},
      h('summary', {},
        h('span', { class: 'seq' }, `#${entry.seq}`), ' ',
        h('span', { class: `status status-${Math.floor(entry.status / 100)}xx` }, entry.status), ' ',
        h('code', {}, `${entry.method} ${entry.path}`), ' ',
        h('span', { class: 'muted' }, entry.operationId ?? 'no operation'), ' ', flags),
      h('dl', { class: 'facts' },
        h('dt', {}, 'at'), h('dd', {}, when(entry.at)),
        h('dt', {}, 'took'), h('dd', {}, `${entry.durationMs.toFixed(1)} ms`),
        h('dt', {}, 'ran'), h('dd', {}, entry.executed ? 'yes' : 'no (refused or faulted before the operation)'),
        h('dt', {}, 'conformance'), h('dd', {}, entry.conformed ? 'the request met the spec'
          : h('ul', {}, entry.problems.map((p) => h('li', {}, h('code', {}, p.field), ' ', p.problem)))),
        entry.fault ? [h('dt', {}, 'fault'), h('dd', {}, `${entry.fault.kind} (rule ${entry.fault.id})`)] : null),
      h('h4', {}, 'Request'),
      Object.keys(entry.query).length > 0 ? json(entry.query) : null,
      entry.body === null ? h('p', { class: 'muted' }, 'No body.') : json(entry.body),
      h('details', {}, h('summary', {}, 'Headers (secrets redacted)'), json(entry.headers)),
      h('h4', {}, 'Answer'), json(entry.response)));
}

/** Splits server-sent events out of text as it arrives; returns the unfinished rest. */
function parseEvents(buffer: string, onEntry: (entry: JournalEntry) => void): string {
  let end: number;
  while ((end = buffer.indexOf('\n\n')) >= 0) {
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    const data = block.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart()).join('\n');
    if (data) onEntry(JSON.parse(data) as JournalEntry);
  }
  return buffer;
}

/**
 * The live journal: `GET …/journal/stream` read with fetch (an EventSource cannot send the control token),
 * newest entry first, reconnecting after the last entry seen when the stream ends.
 */
export function createJournalView(api: Api, hooks: { onEntry: (entry: JournalEntry) => void; onLocked: () => void }): JournalView {
  const list = h('ol', { class: 'journal-list', reversed: true });
  const status = h('p', { class: 'muted', role: 'status' }, 'Connecting…');
  const empty = h('p', { class: 'empty' }, 'No requests yet. Call the Purple Dot API with this store\'s credentials, or steer it from this page, and they appear here as they happen.');
  const element = h('div', {}, status, empty, list);
  let controller: AbortController | undefined;
  let lastSeq = 0;

  const add = (entry: JournalEntry): void => {
    lastSeq = Math.max(lastSeq, entry.seq);
    empty.hidden = true;
    list.prepend(entryItem(entry));
    while (list.children.length > SHOWN) list.lastElementChild?.remove();
    hooks.onEntry(entry);
  };

  const run = async (storeId: string, signal: AbortSignal): Promise<void> => {
    while (!signal.aborted) {
      try {
        const query = lastSeq > 0 ? `after=${lastSeq}` : 'limit=50';
        const res = await api.stream(`/__sim/stores/${encodeURIComponent(storeId)}/journal/stream?${query}`, signal);
        if (res.status === 401) return hooks.onLocked();
        if (!res.ok || !res.body) throw new Error(`the stream answered ${res.status}`);
        status.textContent = 'Live: new requests appear as they are answered.';
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer = parseEvents(buffer + value, add);
        }
      } catch (error) {
        if (signal.aborted) return;
        status.textContent = `Reconnecting (${(error as Error).message})…`;
      }
      if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
  };

  return {
    element,
    follow(storeId) {
      controller?.abort();
      controller = new AbortController();
      lastSeq = 0;
      list.replaceChildren();
      empty.hidden = false;
      status.textContent = 'Connecting…';
      void run(storeId, controller.signal);
    },
    stop: () => controller?.abort(),
  };
}
