import type { BuiltScenario } from './builder.ts';

export interface Scenario {
  name: string;
  /** One line: what an integrator sees. */
  summary: string;
  build(seed: number): BuiltScenario;
}
