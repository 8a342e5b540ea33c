import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { stopChild } from '../support/processes.ts';
import { credentials } from '../support/simulator.ts';

const SERVER = new URL('../support/escaping-server.ts', import.meta.url).pathname;

describe('the process guard of serve', () => {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = once(child.stdout!, 'data').then(([chunk]) => String(chunk).trim());
  afterAll(() => stopChild(child));

  it.each(['timer', 'promise'])('answers a request whose work throws in a %s 500 in the envelope, logs it with the request id, and keeps serving', async (where) => {
    const base = await url;
    const res = await fetch(`${base}/escape/${where}`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ meta: { result: 'error' }, error: { code: 'INTERNAL_ERROR', message: 'The simulator hit a bug.', details: [] } });
    // The log line comes down another pipe than the answer, so it may arrive after it.
    await expect.poll(() => stderr, { timeout: 10_000 }).toMatch(new RegExp(`bug: an exception escaped in request \\d+ \\(GET /escape/${where}\\); still serving\\. Error: thrown in a ${where}`));
    const after = await fetch(`${base}/api/v1/waitlists?api_key=${credentials.public_api_key}`);
    expect(after.status).toBe(200);
    expect(child.exitCode).toBeNull();
  });
});
