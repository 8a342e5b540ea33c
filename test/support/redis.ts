import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from './processes.ts';

/** A redis-server of the test's own, on a free loopback port, with its data in a temporary folder. */
export interface TestRedis {
  port: number;
  url(namespace?: string): string;
  /** Stops it (its data kept on disk with `keep`, for a restart on the same port). */
  stop(options?: { keep?: boolean }): Promise<void>;
  /** Starts it again on the same port and folder after `stop({ keep: true })`. */
  restart(): Promise<void>;
}

const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const server = createServer();
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    server.close(() => resolve(port));
  });
});

/** Whether redis-server is installed (`.ci/run` installs it from Debian when missing). */
export const redisInstalled = (): boolean => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

async function launch(port: number, dir: string): Promise<ChildProcess> {
  // Append-only with fsync always: a restart of Redis keeps every entry it acknowledged, as a durable setup would.
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 10_000;
  while (!/Ready to accept connections/.test(output)) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`redis-server did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return child;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pds-redis-'));
  let child: ChildProcess | undefined = await launch(port, dir);
  return {
    port,
    url: (namespace) => `redis://127.0.0.1:${port}${namespace ? `?namespace=${namespace}` : ''}`,
    async stop(options = {}) {
      if (child) await stopChild(child);
      child = undefined;
      if (!options.keep) rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      child = await launch(port, dir);
    },
  };
}
