/**
 * How long a large snapshot's export and import hold up other stores (issue 13 point 1, issue 15 point 2),
 * as a benchmark (never a test). A store of the large-catalogue scenario (100,000 pre-orders, about 150 MB of
 * snapshot) is exported and then imported into another store over HTTP by curl (a process of its own, so the
 * transfer does not share the prober's event loop), while a prober asks the default store for its waitlists
 * every 10 ms. Reports each phase's duration, the prober's slowest answer and the server's
 * longest event-loop stall (monitorEventLoopDelay).
 * With --state-file the server keeps a state file (in a temporary folder): the import's log line and the
 * compaction it sets off are then written too, and a last phase ("settle") measures the state file's own work
 * still under way once the import has answered (a compaction in steps), until the file is idle.
 * Run: npx tsx bench/snapshot-freeze.ts [scenario=large-catalogue] [--state-file]
 */
import { execFile, fork } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { DEFAULT_CREDENTIALS } from '../src/index.ts';

const args = process.argv.slice(2);
const withStateFile = args.includes('--state-file');
const scenario = args.find((arg) => !arg.startsWith('--')) ?? 'large-catalogue';
const dir = mkdtempSync(join(tmpdir(), 'snapshot-freeze-'));
const statePath = join(dir, 'state.jsonl');
const server = fork(new URL('./load-server.ts', import.meta.url).pathname, ['on-preorder', '1000'], { env: { ...process.env, ...(withStateFile ? { STATE_FILE: statePath } : {}) }, execArgv: ['--import', 'tsx', '--expose-gc', ...(process.env.FREEZE_TRACE_GC ? ['--trace-gc'] : []), ...(process.env.FREEZE_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.FREEZE_PROFILE] : [])] });
const [ready] = (await once(server, 'message')) as [{ url: string }];
const url = ready.url;
const stats = async (): Promise<{ maxDelayMs: number }> => {
  server.send({ type: 'stats' });
  const [message] = (await once(server, 'message')) as [{ maxDelayMs: number }];
  return message;
};

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const ask = (): Promise<number> => new Promise((resolve) => {
  const started = performance.now();
  const req = request(`${url}/api/v1/waitlists?api_key=${DEFAULT_CREDENTIALS.public_api_key}`, { agent }, (res) => {
    res.resume();
    res.once('end', () => resolve(performance.now() - started));
  });
  req.on('error', () => resolve(Number.POSITIVE_INFINITY));
  req.end();
});

/** Runs `work` while probing; the slowest probe answer, the longest stall and how long the work took. */
async function measure(name: string, work: () => Promise<void>): Promise<void> {
  await ask();
  server.send({ type: 'reset-delay' });
  let probing = true;
  let slowest = 0;
  let probes = 0;
  const prober = (async () => {
    while (probing) {
      slowest = Math.max(slowest, await ask());
      probes += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  const started = performance.now();
  await work();
  const took = performance.now() - started;
  probing = false;
  await prober;
  const { maxDelayMs } = await stats();
  console.log(`${name.padEnd(8)} took ${(took / 1000).toFixed(2)} s; ${probes} probes of another store, slowest ${slowest.toFixed(0)} ms; longest event-loop stall ${maxDelayMs.toFixed(0)} ms`);
}

const control = async (method: string, path: string, body?: unknown): Promise<{ data: { id: string } }> =>
  (await (await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })).json()) as { data: { id: string } };

const built = performance.now();
const source = (await control('POST', '/__sim/stores', { scenario })).data;
console.log(`built ${scenario} in ${((performance.now() - built) / 1000).toFixed(2)} s`);
const target = (await control('POST', '/__sim/stores', { scenario: 'on-preorder' })).data;
const curl = promisify(execFile);
const file = join(dir, 'export.json');
await measure('export', async () => {
  await curl('curl', ['-sS', '--fail', '-o', file, `${url}/__sim/stores/${source.id}/snapshot`]);
});
console.log(`export: ${(statSync(file).size / 1024 / 1024).toFixed(0)} MiB`);
// The export answer's `data` is the snapshot: cut out by position, not parsed here (that would be the prober's loop).
const { stdout: head } = await curl('head', ['-c', '64', file]);
const prefix = head.indexOf('"data":') + '"data":'.length;
const body = join(dir, 'snapshot.json');
await curl('sh', ['-c', `tail -c +${prefix + 1} ${file} | head -c -1 > ${body}`]);
await measure('import', async () => {
  const { stdout } = await curl('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT', '-H', 'content-type: application/json', '--data-binary', `@${body}`, `${url}/__sim/stores/${target.id}/snapshot`], { maxBuffer: 1 << 20 });
  if (stdout !== '200') throw new Error(`import answered ${stdout}`);
});
if (withStateFile) {
  await measure('settle', async () => {
    server.send({ type: 'state-idle' });
    await once(server, 'message');
  });
  console.log(`state file: ${(statSync(statePath).size / 1024 / 1024).toFixed(0)} MiB`);
}
rmSync(dir, { recursive: true, force: true });
agent.destroy();
server.send({ type: 'stop' });
