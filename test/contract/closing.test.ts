/**
 * Closing a listening simulator, and its limit on connections, seen from raw connections (the Connection header
 * and a 503 written before any request is read are what a client gets to see).
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createSimulator, type RunningSimulator, type Simulator } from '../../src/http/app.ts';
import { credentials } from '../support/simulator.ts';

const portOf = (url: string): number => Number(new URL(url).port);

async function openConnection(url: string): Promise<Socket> {
  const socket = connect(portOf(url), '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

/** Sends one request on `socket` and resolves with everything read until the server closes it or `until` matches. */
function exchange(socket: Socket, request: string, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (): void => resolve(text);
    socket.on('data', (chunk) => {
      text += String(chunk);
      if (until.test(text)) done();
    });
    socket.once('close', done);
    socket.once('error', reject);
    socket.write(request);
  });
}

const COUNT = `GET /admin/api/v1/pre-orders/count HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Purple-Dot-Access-Token: ${credentials.private_access_token}\r\n\r\n`;
const STATUS = 'GET /__sim/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

/** A listening simulator whose count of pre-orders takes a second to answer, with a connection open to it. */
async function slowCountOn(sim: Simulator): Promise<{ running: RunningSimulator; socket: Socket }> {
  const running = await sim.listen(0);
  expect(sim.engine.dispatchRaw('addFault', { body: { operationId: 'countPreOrders', latencyMs: 1_000 } }).status).toBe(201);
  return { running, socket: await openConnection(running.url) };
}

/** Once a count is under way: the journal has it when it is run, before its latency. */
const countUnderWay = (sim: Simulator): Promise<void> =>
  expect.poll(() => sim.engine.journal.entries().some((e) => e.operationId === 'countPreOrders'), { timeout: 10_000 }).toBe(true);

describe('a listening simulator, closing', () => {
  it('tells a request still under way to close its connection, answers it, and takes no connection after', async () => {
    const sim = createSimulator({ journalSize: 100 });
    try {
      const { running, socket } = await slowCountOn(sim);
      const answered = exchange(socket, COUNT, /"count":\d+/);
      await countUnderWay(sim);
      const closed = running.close({ graceMs: 10_000 });
      const text = await answered;
      expect(text).toMatch(/^HTTP\/1\.1 200 /);
      expect(text).toMatch(/\r\nConnection: close\r\n/i);
      await closed;
      const refused = connect(portOf(running.url), '127.0.0.1');
      const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
      expect(error.code).toBe('ECONNREFUSED');
    } finally {
      sim.engine.close();
    }
  });
});

describe('a listening simulator, closing after a client cut its connection', () => {
  it('does not wait out the grace for a pipelined request whose connection was cut before it was answered', async () => {
    const sim = createSimulator({ journalSize: 100 });
    try {
      const { running, socket } = await slowCountOn(sim);
      // Two requests in one write: the second waits behind the first, which waits out its latency.
      socket.write(COUNT + COUNT);
      await countUnderWay(sim);
      socket.destroy();
      await once(socket, 'close');
      // Let the server hear of the cut before it closes.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = performance.now();
      await running.close({ graceMs: 20_000 });
      // Well under the grace: nothing is still under way once the connection is gone.
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      sim.engine.close();
    }
  });
});

describe('a listening simulator with maxConnections', () => {
  it('counts connections as they close, whichever closes: with the first of three gone a fourth is served, and a fifth is refused 503', async () => {
    const sim = createSimulator({ journalSize: 0 });
    const running = await sim.listen(0, '127.0.0.1', { maxConnections: 3 });
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 3; i += 1) held.push(await openConnection(running.url));
      // Each is served (so the server has seen it) before the first goes.
      for (const socket of held) expect(await exchange(socket, STATUS, /"result":"success"/)).toMatch(/^HTTP\/1\.1 200 /);
      const first = held.shift()!;
      first.destroy();
      // The server hears of it a moment later: a fourth is accepted once it has.
      let fourth: Socket | undefined;
      await expect.poll(async () => {
        const socket = await openConnection(running.url);
        const text = await exchange(socket, STATUS, /"result":"(success|error)"/);
        if (text.startsWith('HTTP/1.1 200 ')) fourth = socket;
        else socket.destroy();
        return text.slice(0, 12);
      }, { timeout: 10_000 }).toBe('HTTP/1.1 200');
      held.push(fourth!);
      const fifth = await openConnection(running.url);
      const text = await exchange(fifth, STATUS, /"code":"TOO_MANY_CONNECTIONS"/);
      expect(text).toMatch(/^HTTP\/1\.1 503 /);
      fifth.destroy();
    } finally {
      for (const socket of held) socket.destroy();
      await running.close();
      sim.engine.close();
    }
  });
});
