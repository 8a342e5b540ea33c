import { test as base } from 'vitest';
import { startSimulator, type SimulatorHandle, type StartOptions, type StoreOptions } from './start.ts';

export interface SimulatorFixtures {
  /** A store of its own for each test, on a simulator the worker shares; deleted after the test. */
  pd: SimulatorHandle;
  /** The worker's simulator (its default store). */
  pdSimulator: SimulatorHandle;
}

/**
 * A vitest `test` with a `pd` fixture: one simulator per worker, one store per test (so a suite of 200 tests
 * starts one server, and no test sees another's writes). Options pick the simulator's and the stores' setup.
 */
export function simulatorTest(options: StartOptions & { store?: StoreOptions } = {}) {
  const { store, ...start } = options;
  return base.extend<SimulatorFixtures>({
    pdSimulator: [
      // vitest reads which fixtures a fixture needs from the pattern of its first parameter: none here.
      async ({}, use) => {
        const simulator = await startSimulator(start);
        await use(simulator);
        await simulator.close();
      },
      { scope: 'worker' },
    ],
    pd: async ({ pdSimulator }, use) => {
      const own = await pdSimulator.createStore({ scenario: start.scenario, seed: start.seed, faults: start.faults, ...store });
      await use(own);
      await own.close();
    },
  });
}

/** `test` with a `pd` fixture on the default scenario. */
export const test = simulatorTest();
export { describe, expect } from 'vitest';
