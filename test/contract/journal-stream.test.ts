/**
 * The live journal (`GET /__sim/journal/stream` with `Accept: text/event-stream`): server-sent events of a
 * store's new journal entries, behind the control token like every control operation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type RunningSimulator } from '../../src/http/app.ts';
import { credentials } from '../support/simulator.ts';

interface StreamedEntry {
  seq: number;
  store: string | null;
  operationId: string | null;
  status: number;
}

/** Reads server-sent events from a fetch body until `enough` says stop; returns the parsed entries. */
async function readEvents(res: Response, enough: (entries: StreamedEntry[]) => boolean): Promise<{ entries: StreamedEntry[]; ids: string[] }> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const entries: StreamedEntry[] = [];
  const ids: string[] = [];
  let buffer = '';
  while (!enough(entries)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').find((line) => line.startsWith('data: '));
      const id = block.split('\n').find((line) => line.startsWith('id: '));
      if (data) entries.push(JSON.parse(data.slice(6)) as StreamedEntry);
      if (id) ids.push(id.slice(4));
    }
  }
  await reader.cancel();
  return { entries, ids };
}

const privateGet = (base: string, path: string, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { headers: { 'X-Purple-Dot-Access-Token': credentials.private_access_token, ...headers } });

describe('the journal stream', () => {
  const sim = createSimulator({ scenario: 'on-preorder' });
  let running: RunningSimulator;
  beforeAll(async () => {
    running = await sim.listen(0);
  });
  afterAll(async () => {
    await running.close();
    sim.engine.close();
  });

  it('sends the entries already kept, then each new request of the store as an event, in order', async () => {
    await privateGet(running.url, '/admin/api/v1/waitlists');
    const res = await fetch(`${running.url}/__sim/journal/stream`, { headers: { Accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const reading = readEvents(res, (entries) => entries.some((e) => e.operationId === 'listPreOrders'));
    await privateGet(running.url, '/admin/api/v1/pre-orders?limit=1');
    const { entries, ids } = await reading;
    expect(entries.map((e) => e.operationId)).toEqual(['listWaitlists', 'listPreOrders']);
    expect(ids).toEqual(entries.map((e) => String(e.seq)));
  });

  it('starts after the seq a reconnecting client passes, and shows only the store it is for', async () => {
    const other = (await (await fetch(`${running.url}/__sim/stores`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ scenario: 'sold-out' }),
    })).json()) as { data: { id: string; credentials: { private_access_token: string } } };
    const last = sim.engine.journal.entries().at(-1)!.seq;
    const res = await fetch(`${running.url}/__sim/stores/${other.data.id}/journal/stream?after=${last}`, { headers: { Accept: 'text/event-stream' } });
    const reading = readEvents(res, (entries) => entries.length > 0);
    await privateGet(running.url, '/admin/api/v1/waitlists'); // the default store's: not this stream's
    await fetch(`${running.url}/admin/api/v1/waitlists`, { headers: { 'X-Purple-Dot-Access-Token': other.data.credentials.private_access_token } });
    const { entries } = await reading;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ store: other.data.id, operationId: 'listWaitlists', status: 200 });
  });

  it('answers the opening entries as JSON to a client that does not ask for events, and is not journaled itself', async () => {
    const res = await fetch(`${running.url}/__sim/journal/stream?limit=2`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: StreamedEntry[] };
    expect(body.data).toHaveLength(2);
    expect(sim.engine.journal.entries().some((e) => e.operationId?.startsWith('streamJournal'))).toBe(false);
  });

  it('refuses a bad `after` with 400 naming it, before any stream starts', async () => {
    const res = await fetch(`${running.url}/__sim/journal/stream?after=-1`, { headers: { Accept: 'text/event-stream' } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { details: { field: string }[] } };
    expect(body.error.details.map((d) => d.field)).toContain('after');
  });

  it('leaves a dashboard\'s own reads out of the journal, the coverage and the faults', async () => {
    await fetch(`${running.url}/__sim/faults/profiles/rate-limited`, { method: 'POST', headers: { 'Content-Type': 'application/json' } });
    await fetch(`${running.url}/__sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ operationId: 'countPreOrders', status: 503 }) });
    const before = sim.engine.journal.entries().length;
    const look = await privateGet(running.url, '/admin/api/v1/pre-orders/count', { 'X-Purple-Dot-Sim-Dashboard': '1' });
    expect(look.status).toBe(200);
    expect(sim.engine.journal.entries()).toHaveLength(before);
    const coverage = (await (await fetch(`${running.url}/__sim/coverage`)).json()) as { data: { untouched: string[] } };
    expect(coverage.data.untouched).toContain('countPreOrders');
    const plain = await privateGet(running.url, '/admin/api/v1/pre-orders/count');
    expect(plain.status).toBe(503);
    await fetch(`${running.url}/__sim/faults`, { method: 'DELETE', headers: { 'Content-Type': 'application/json' } });
  });
});

describe('the journal stream with a control token', () => {
  const sim = createSimulator({ controlToken: 'stream-token-1234' });
  let running: RunningSimulator;
  beforeAll(async () => {
    running = await sim.listen(0);
  });
  afterAll(() => sim.engine.close());

  it('refuses a client without the token with 401 and starts for one with it', async () => {
    const refused = await fetch(`${running.url}/__sim/journal/stream`, { headers: { Accept: 'text/event-stream' } });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('MISSING_CONTROL_TOKEN');
    const wrong = await fetch(`${running.url}/__sim/journal/stream`, { headers: { Accept: 'text/event-stream', Authorization: 'Bearer nope-nope-nope' } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${running.url}/__sim/journal/stream`, { headers: { Accept: 'text/event-stream', Authorization: 'Bearer stream-token-1234' } });
    expect(ok.status).toBe(200);
    await ok.body!.cancel();
  });

  it('ends its streams when the simulator closes, so closing does not wait on them', async () => {
    const res = await fetch(`${running.url}/__sim/journal/stream`, { headers: { Accept: 'text/event-stream', Authorization: 'Bearer stream-token-1234' } });
    const started = performance.now();
    const ended = readEvents(res, () => false);
    await running.close({ graceMs: 20_000 });
    await ended;
    // Half the grace: under it, closing did not wait the grace out on the stream, however loaded the machine.
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
