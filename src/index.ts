// The stable surface of purple-dot-sim; everything else is internal and may change.
export { createPurpleDotClient, type PurpleDotClient, type PurpleDotClientOptions } from './client/purple-dot.ts';
export { createControlClient, type ControlClient } from './client/control.ts';
export { signShopperToken } from './client/shopper-token.ts';
export { createApp, createSimulator, type ListenOptions, type RunningSimulator, type SharedSimulatorOptions, type Simulator, type SimulatorOptions } from './http/app.ts';
export type { Consistency, Replica, ReplicaStatus } from './replica/replica.ts';
export type { CloseOptions } from './http/shutdown.ts';
export { answerTransportErrors } from './http/transport-errors.ts';
export {
  createEngine, DEFAULT_CREDENTIALS, DEFAULT_STORE_ID, type Engine, type EngineEvent, type EngineListener, type EngineOptions,
  type StoreLifecycleEvent,
} from './engine/engine.ts';
export type { Answer } from './engine/answer.ts';
export type { EngineRequest, OperationId } from './engine/dispatch.ts';
export type { NewStore } from './engine/handler.ts';
export type { Credentials, Snapshot, Store } from './engine/store.ts';
export {
  defineScenario, REFERENCE_DATE, ScenarioBuilder, type CatalogueItem, type ProductSpec, type Scenario,
} from './engine/scenario.ts';
export type { DomainEvent, DomainEventType } from './domain/events.ts';
export { createClock, type Clock, type ClockMode } from './domain/clock.ts';
export { DEFAULT_SCENARIO, DEFAULT_SEED, scenarios } from '../scenarios/index.ts';
export {
  startSimulator, type ClockHandle, type FaultProfile, type FaultsHandle, type JournalHandle, type RequestMatch, type SimulatorHandle,
  type StartOptions, type StoreOptions as StoreHandleOptions,
} from './harness/start.ts';
export { simulatorHooks, type SimulatorHooks } from './harness/hooks.ts';
export type { FaultInput, FaultRule } from './engine/faults.ts';
export type { FaultKind, JournalEntry, JournalFilter } from './engine/journal.ts';
export { formatCoverage, type CoverageExpectation, type CoverageReport, type OperationCoverage } from './engine/coverage.ts';
export type * from './schemas.ts';
export { verifyWebhookSignature } from './webhooks/signature.ts';
export { httpTransport, type WebhookRequest, type WebhookResult, type WebhookTransport } from './webhooks/transport.ts';
export type { WebhookListener, WebhookNotice, Webhooks } from './webhooks/hub.ts';
export type { WebhookDelivery } from './webhooks/delivery-log.ts';
