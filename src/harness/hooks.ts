import { startSimulator, type SimulatorHandle, type StartOptions } from './start.ts';

export interface SimulatorHooks {
  /** Starts the simulator; pass it to `beforeAll`. */
  start(): Promise<SimulatorHandle>;
  /** Stops it; pass it to `afterAll`. */
  stop(): Promise<void>;
  /** The running simulator, between start and stop. */
  readonly current: SimulatorHandle;
}

/**
 * One simulator for a test file, for any runner with before/after hooks (Jest, Mocha, node:test, vitest):
 * `const pd = simulatorHooks(); beforeAll(pd.start); afterAll(pd.stop);` then `pd.current` in the tests.
 */
export function simulatorHooks(options: StartOptions = {}): SimulatorHooks {
  let running: SimulatorHandle | undefined;
  return {
    async start() {
      running = await startSimulator(options);
      return running;
    },
    async stop() {
      const stopping = running;
      running = undefined;
      await stopping?.close();
    },
    get current() {
      if (!running) throw new Error('purple-dot-sim: the simulator is not running; call start() in a beforeAll hook first');
      return running;
    },
  };
}
