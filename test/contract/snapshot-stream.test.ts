/**
 * A snapshot export over HTTP is written piece by piece from the live state, and an import is read, checked
 * and indexed in steps: other stores are answered while a large one streams either way, and that store's own
 * requests wait, so the snapshot is one moment and the import lands whole.
 */
import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { brotliCompressSync, deflateSync, gzip, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createEngine } from '../../src/engine/engine.ts';
import { createSimulator } from '../../src/http/app.ts';
import { credentials, useHarness } from '../support/simulator.ts';

const h = useHarness({ scenario: 'on-preorder' });

/** A store of the large-catalogue scenario (100,000 pre-orders), built once for the tests that need one. */
let large: Promise<{ id: string }> | undefined;
const largeStore = (): Promise<{ id: string }> => (large ??= h().control('POST', '/__sim/stores', { scenario: 'large-catalogue' }).then((res) => res.body.data as { id: string }));

describe('a snapshot export over HTTP', () => {

  it('answers the same bytes as the export in-process', async () => {
    const res = await fetch(`${h().url}/__sim/snapshot`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const inProcess = h().sim.engine.dispatch('exportSnapshot', {});
    expect(await res.text()).toBe(JSON.stringify(inProcess.body));
  });

  it('lets another store answer while a store of 100,000 pre-orders streams, and holds that store\'s own writes until it is out', async () => {
    const big = await largeStore();
    const live = h().sim.engine.stores.require(big.id).state.data.waitlists.find((w) => w.state === 'LIVE' && w.allocations.some((a) => a.committed < (a.buy_size ?? 0)))!;
    const variant = live.allocations.find((a) => a.committed < (a.buy_size ?? 0))!.variant_id;
    const order: string[] = [];
    // Its headers go out with the first piece, once the store is held: the export has begun.
    const response = await fetch(`${h().url}/__sim/stores/${big.id}/snapshot`);
    const exported = response.text().then((text) => {
      order.push('export');
      return text;
    });
    // Sent while the export is under way: one to another store, one to this store.
    const other = fetch(`${h().url}/api/v1/waitlists?api_key=${credentials.public_api_key}`).then((res) => {
      order.push('other store');
      return res.status;
    });
    const write = fetch(`${h().url}/__sim/stores/${big.id}/pre-orders`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'during-export@example.com', lines: [{ variant_id: variant, quantity: 1 }] }),
    }).then(async (res) => {
      order.push('write to the exported store');
      return (await res.json()) as { data: { id: string } };
    });
    const [text, otherStatus, placed] = await Promise.all([exported, other, write]);
    expect(otherStatus).toBe(200);
    // The other store was answered long before the seconds of export were out.
    expect(order[0]).toBe('other store');
    const snapshot = JSON.parse(text).data;
    expect(snapshot.stores[big.id].pre_orders).toHaveLength(100_000);
    expect(text).not.toContain(placed.data.id);
    // One moment: a write landing between pieces would leave the waitlists, the pre-orders and the unit history
    // (written in that order) disagreeing, and the import checks refuse such a snapshot.
    const check = createEngine({ journalSize: 0 });
    try {
      const imported = check.dispatchRaw('importSnapshot', { body: snapshot });
      expect(imported.status, JSON.stringify(imported.body)).toBe(200);
    } finally {
      check.close();
    }
  }, 180_000);
});

/**
 * Sends a body with node:http and resolves once all of it is handed to the socket, with the answer to come.
 * Over a connection of its own: after seconds of synchronous work in this process (the server's too), a pooled
 * idle connection may be one the server's keep-alive timeout is closing as the request goes out (ECONNRESET).
 */
function sendBody(url: string, method: string, body: string | Buffer, headers: Record<string, string> = {}): { sent: Promise<void>; answered: Promise<{ status: number; text: string }> } {
  let markSent!: () => void;
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(url, { method, agent: false, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body, markSent);
  });
  return { sent, answered };
}

/** A GET's status and body, over a connection of its own (see sendBody). */
function get(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
    }).on('error', reject).end();
  });
}

describe('a snapshot import over HTTP', () => {

  it('lets another store answer while a snapshot of 100,000 pre-orders is read in, and holds the importing store\'s own writes until it is in', async () => {
    const source = await largeStore();
    // On a new connection: the in-process import before this test held the loop past the keep-alive timeout.
    const { text } = await get(`${h().url}/__sim/stores/${source.id}/snapshot`);
    // The export's `data` is the snapshot, sent as the text it came as.
    const envelope = '{"meta":{"result":"success"},"data":';
    expect(text.startsWith(envelope)).toBe(true);
    const target = (await h().control('POST', '/__sim/stores', { scenario: 'on-preorder' })).body.data;
    // Two stores of 100,000 pre-orders: gone after this test (pass or fail), so the tests after it export,
    // compare and collect garbage over the default store only.
    onTestFinished(async () => {
      large = undefined;
      for (const id of [source.id, target.id]) expect((await sendBody(`${h().url}/__sim/stores/${encodeURIComponent(id)}`, 'DELETE', '').answered).status).toBe(200);
    });
    // A variant only the imported state has: a write that ran before the import would be refused.
    const data = h().sim.engine.stores.require(source.id).state.data;
    const live = data.waitlists.find((w) => w.state === 'LIVE' && w.allocations.some((a) => a.committed < (a.buy_size ?? 0)))!;
    const variant = live.allocations.find((a) => a.committed < (a.buy_size ?? 0))!.variant_id;
    const order: string[] = [];
    // The server holds the importing store in the same turn as it starts the import's steps.
    let begun!: () => void;
    const importing = new Promise<void>((resolve) => (begun = resolve));
    const engine = h().sim.engine;
    const importSteps = engine.importSteps.bind(engine);
    const steps = vi.spyOn(engine, 'importSteps').mockImplementation((...args) => {
      const made = importSteps(...args);
      begun();
      return made;
    });
    onTestFinished(() => steps.mockRestore());
    const upload = sendBody(`${h().url}/__sim/stores/${target.id}/snapshot`, 'PUT', text.slice(envelope.length, -1));
    const imported = upload.answered.then((answer) => {
      order.push('import');
      return answer;
    });
    // (An import answered without steps would never begin them: the order below then says so.)
    await Promise.race([importing, imported]);
    const other = fetch(`${h().url}/api/v1/waitlists?api_key=${credentials.public_api_key}`).then((res) => {
      order.push('other store');
      return res.status;
    });
    const write = fetch(`${h().url}/__sim/stores/${target.id}/pre-orders`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'during-import@example.com', lines: [{ variant_id: variant, quantity: 1 }] }),
    }).then(async (res) => {
      order.push('write to the importing store');
      return res.status;
    });
    const [answer, otherStatus, writeStatus] = await Promise.all([imported, other, write]);
    expect(answer.status, answer.text.slice(0, 500)).toBe(200);
    expect(otherStatus).toBe(200);
    expect(writeStatus).toBe(201);
    expect(order).toEqual(['other store', 'import', 'write to the importing store']);
    const state = h().sim.engine.stores.require(target.id).state.data;
    expect(data.pre_orders.length).toBeGreaterThanOrEqual(100_000);
    expect(state.pre_orders).toHaveLength(data.pre_orders.length + 1);
    expect(JSON.stringify(state.pre_orders.slice(0, -1))).toBe(JSON.stringify(data.pre_orders));
    expect(state.settings.public_api_key).toBe(target.credentials.public_api_key);
  }, 180_000);

  it('refuses a snapshot with one bad pre-order as the in-process import does, naming the field at its place in the list', async () => {
    const snapshot = (h().sim.engine.dispatch('exportSnapshot', {}).body as { data: unknown }).data as { stores: Record<string, { pre_orders: { email: unknown }[] }> };
    const orders = Object.values(snapshot.stores)[0]!.pre_orders;
    orders[orders.length - 1]!.email = 42;
    const { text: before } = await get(`${h().url}/__sim/snapshot`);
    const overHttp = await h().control('PUT', '/__sim/snapshot', snapshot);
    const inProcess = h().sim.engine.dispatchRaw('importSnapshot', { body: snapshot });
    expect(overHttp.status).toBe(400);
    expect(overHttp.body).toEqual(inProcess.body);
    expect(JSON.stringify(overHttp.body)).toContain(`pre_orders[${orders.length - 1}].email`);
    expect((await get(`${h().url}/__sim/snapshot`)).text).toBe(before);
  });

  it('refuses text that is not JSON with 400 MALFORMED_JSON and an empty body by naming what the snapshot lacks', async () => {
    const cut = await sendBody(`${h().url}/__sim/snapshot`, 'PUT', '{"version":1,"stores":{"default":{"pre_orders":[{"id":1},').answered;
    expect(cut.status).toBe(400);
    expect(JSON.parse(cut.text).error.code).toBe('MALFORMED_JSON');
    const empty = await sendBody(`${h().url}/__sim/snapshot`, 'PUT', '').answered;
    expect(empty.status).toBe(400);
    expect(JSON.parse(empty.text).error.code).toBe('INVALID_SNAPSHOT');
  });
});

describe('a snapshot import body over HTTP', () => {
  const put = async (body: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; code?: string }> => {
    // Most follow an export and a compression in this process (and the bomb 257 MB of zeros): see sendBody.
    const { status, text } = await sendBody(`${h().url}/__sim/snapshot`, 'PUT', body, headers).answered;
    const answer = JSON.parse(text) as { error?: { code: string } };
    return { status, code: answer.error?.code };
  };
  const snapshotText = (): string => JSON.stringify((h().sim.engine.dispatch('exportSnapshot', {}).body as { data: unknown }).data);

  it('is read through gzip, deflate and br as well as plain', async () => {
    const text = snapshotText();
    expect(await put(text)).toEqual({ status: 200, code: undefined });
    expect(await put(gzipSync(text), { 'content-encoding': 'gzip' })).toEqual({ status: 200, code: undefined });
    expect(await put(deflateSync(text), { 'content-encoding': 'deflate' })).toEqual({ status: 200, code: undefined });
    expect(await put(brotliCompressSync(Buffer.from(text)), { 'content-encoding': 'br' })).toEqual({ status: 200, code: undefined });
  });

  it('refuses an encoding or charset it cannot read with 415, a broken gzip stream with 400, and keeps the state', async () => {
    const before = snapshotText();
    expect(await put(before, { 'content-encoding': 'zstd' })).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(await put(before, { 'content-type': 'application/json; charset=latin1' })).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(await put(Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' })).toEqual({ status: 400, code: 'INVALID_REQUEST' });
    expect(snapshotText()).toBe(before);
  });

  it('leaves every other operation\'s JSON body to its own validation, even one shaped like the chunks a snapshot is read as', async () => {
    const res = await sendBody(`${h().url}/__sim/pre-orders`, 'POST', JSON.stringify({ chunks: [], length: 0 })).answered;
    expect(res.status).toBe(400);
    const fields = (JSON.parse(res.text) as { error: { details: { field: string }[] } }).error.details.map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['email', 'lines', 'chunks', 'length']));
  });

  it('counts the limit after inflating: 300 KB of gzip that would inflate past 256 MB is refused with 413, and the simulator answers on', async () => {
    // Compressed off the event loop: gzipSync held this process (client and server both) for seconds on a busy
    // machine, and the pooled keep-alive connection the request then went out on was closed by the server's
    // keep-alive timeout as it was sent (ECONNRESET).
    const bomb = await promisify(gzip)(Buffer.alloc(257 * 1024 * 1024, 32));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect(await put(bomb, { 'content-encoding': 'gzip' })).toEqual({ status: 413, code: 'BODY_TOO_LARGE' });
    expect((await get(`${h().url}/__sim/status`)).status).toBe(200);
  });
});

describe('a snapshot import over HTTP with a state file', () => {
  it('is in the store after a restart from the state file, as it was answered', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pd-import-state-')), 'state.jsonl');
    const source = createEngine({ scenario: 'ready-to-fulfil', seed: 7, journalSize: 0 });
    const snapshot = (source.dispatch('exportSnapshot', {}).body as { data: unknown }).data;
    source.close();
    const first = createSimulator({ stateFile: path, scenario: 'on-preorder', clock: 'manual', journalSize: 0 });
    const running = await first.listen(0);
    const imported = await sendBody(`${running.url}/__sim/snapshot`, 'PUT', JSON.stringify(snapshot, null, 2)).answered;
    expect(imported.status, imported.text.slice(0, 300)).toBe(200);
    const before = JSON.stringify(first.engine.dispatch('exportSnapshot', {}).body);
    await running.close();
    first.engine.close();
    await first.stateFile?.close();
    const second = createSimulator({ stateFile: path, journalSize: 0 });
    try {
      expect(JSON.stringify(second.engine.dispatch('exportSnapshot', {}).body)).toBe(before);
      expect(second.engine.defaultStore().scenario).toBe('ready-to-fulfil');
    } finally {
      second.engine.close();
      await second.stateFile?.close();
    }
  });
});
