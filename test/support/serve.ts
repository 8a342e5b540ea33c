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
  return waitForBanner(child, 'control API');
}

/**
 * Reads a started `serve`'s output until its banner holds the URL and `lastLine` (the banner's last line to
 * wait for); fails with what it printed if it exits first.
 */
export async function waitForBanner(child: ChildProcess, lastLine: string): Promise<Served> {
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let banner = '';
  for await (const chunk of child.stdout!) {
    banner += chunk;
    const url = /listening on (http:\/\/\S+)/.exec(banner)?.[1];
    if (url && banner.includes(lastLine)) return { child, url, banner, stderr: () => stderr };
  }
  throw new Error(`serve exited without a banner: ${banner}\n${stderr}`);
}
