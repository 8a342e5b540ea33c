import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Scenario } from './engine/scenario.ts';

const isScenario = (value: unknown): value is Scenario => {
  const s = value as Partial<Scenario> | null;
  return typeof s === 'object' && s !== null && typeof s.name === 'string' && s.name !== '' && typeof s.summary === 'string' && typeof s.build === 'function';
};

/**
 * The scenarios a module defines (`serve --scenario-file`): its default export (one scenario or an array)
 * and every named export that is a scenario, in that order. A module with none is an error worth stopping for.
 */
export async function loadScenarioFile(path: string): Promise<Scenario[]> {
  const module = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  const found: Scenario[] = [];
  const add = (value: unknown): void => {
    if (isScenario(value) && !found.includes(value)) found.push(value);
  };
  const fallback = module.default;
  if (Array.isArray(fallback)) fallback.forEach(add);
  else add(fallback);
  for (const [name, value] of Object.entries(module)) if (name !== 'default') add(value);
  if (found.length === 0) {
    throw new Error(`${path} exports no scenario: export defineScenario({ name, summary, build(b) { … } }) from it`);
  }
  return found;
}
