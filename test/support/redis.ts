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

/**
 * A port free just now, below Linux's ephemeral range (32768-60999): listen(0) elsewhere (the simulators the tests
 * start, other test files' receivers) never picks it, so it stays free for the launch, and for a restart after a stop.
 * Another test's Redis may still pick the same one before this one binds it: see `startRedis`.
 */
const freePort = async (): Promise<number> => {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
};

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
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`redis-server did not start within 10 s: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return child;
}

export async function startRedis(): Promise<TestRedis> {
  let port = 0;
  let dir = '';
  let child: ChildProcess | undefined;
  // A port found free can be taken before redis-server binds it (it exits then: "Address already in use"), or a
  // launch fail otherwise: tried afresh, on another port, up to five times.
  for (let tries = 1; !child; tries += 1) {
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'pds-redis-'));
    try {
      child = await launch(port, dir);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      if (tries === 5) throw error;
    }
  }
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
