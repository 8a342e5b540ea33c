/**
 * The server side of bench/load.ts, in a process of its own so the load generator does not share its event
 * loop: serves the simulator and reports event-loop delay and memory to its parent over IPC.
 * STATE_FILE=<path> serves with that state file (bench/snapshot-freeze.ts measures what writing it costs).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createSimulator } from '../src/index.ts';

const simulator = createSimulator({
  scenario: process.argv[2] ?? 'on-preorder',
  journalSize: Number(process.argv[3] ?? 10_000),
  ...(process.env.STATE_FILE ? { stateFile: process.env.STATE_FILE } : {}),
});
const running = await simulator.listen(0);
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

// STALLS=1 prints each stall of the event loop over 150 ms as it happens (to place one against other output).
if (process.env.STALLS) {
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    if (now - last > 150) console.error(`stall ${(now - last).toFixed(0)} ms ending at ${now.toFixed(0)}`);
    last = now;
  }, 10).unref();
}

/** The state file's own work still under way (a compaction after a large import): what `idle` waits for. */
const stateFileIdle = async (): Promise<void> => {
  const stateFile = simulator.stateFile as { idle?: () => Promise<void>; flush(): Promise<void> } | undefined;
  await (stateFile?.idle ? stateFile.idle() : stateFile?.flush());
};

process.on('message', (message: { type: string }) => {
  if (message.type === 'reset-delay') delay.reset();
  if (message.type === 'stats') {
    globalThis.gc?.();
    const memory = process.memoryUsage();
    process.send!({ type: 'stats', rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, external: memory.external, maxDelayMs: delay.max / 1e6, p99DelayMs: delay.percentile(99) / 1e6 });
  }
  if (message.type === 'state-idle') void stateFileIdle().then(() => process.send!({ type: 'state-idle' }));
  if (message.type === 'stop') void running.close().then(() => process.exit(0));
});
process.send!({ type: 'ready', url: running.url });
