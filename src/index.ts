export { createPurpleDotClient, type PurpleDotClient, type PurpleDotClientOptions } from './client/purple-dot.ts';
export { createControlClient, type ControlClient } from './client/control.ts';
export { signShopperToken } from './client/shopper-token.ts';
export { createSimulator, type RunningSimulator, type Simulator, type SimulatorOptions } from './simulator/app.ts';
export { answerTransportErrors } from './simulator/transport-errors.ts';
export type { Simulation, Snapshot } from './simulator/simulation.ts';
export { createClock, type Clock, type ClockMode } from './domain/clock.ts';
export { DEFAULT_CREDENTIALS, DEFAULT_SCENARIO, DEFAULT_SEED, REFERENCE_DATE, scenarios } from '../scenarios/index.ts';
