import { spawn, type ChildProcess } from 'node:child_process';

const BIN = new URL('../../bin/purple-dot-sim.js', import.meta.url).pathname;

export interface Served {
  child: ChildProcess;
  url: string;
  banner: string;
  stderr: () => string;
}

/**
 * Starts `purple-dot-sim serve` (the compiled CLI) on a free port, silent, with these options, and waits for
 * its banner; the child is added to `children` so the caller's afterEach can stop it.
 */
export async function serveCli(args: string[], children: ChildProcess[]): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--log-level', 'silent', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let banner = '';
  for await (const chunk of child.stdout!) {
    banner += chunk;
    if (banner.includes('control API')) return { child, url: /listening on (http:\/\/\S+)/.exec(banner)![1]!, banner, stderr: () => stderr };
  }
  throw new Error(`serve exited without a banner: ${banner}\n${stderr}`);
}
