import { inStock } from './in-stock.ts';
import { largeCatalogue } from './large-catalogue.ts';
import { mixedCatalogue } from './mixed-catalogue.ts';
import { onPreorder } from './on-preorder.ts';
import { partiallyExported } from './partially-exported.ts';
import { pausedWaitlist } from './paused-waitlist.ts';
import { readyToFulfil } from './ready-to-fulfil.ts';
import { refundWindow } from './refund-window.ts';
import { scheduledLaunch } from './scheduled-launch.ts';
import { soldOut } from './sold-out.ts';
import type { Scenario } from './types.ts';

export { DEFAULT_CREDENTIALS, REFERENCE_DATE } from './builder.ts';
export type { Scenario } from './types.ts';

export const DEFAULT_SCENARIO = 'on-preorder';
export const DEFAULT_SEED = 1;

export const scenarios: readonly Scenario[] = [
  onPreorder, inStock, soldOut, scheduledLaunch, pausedWaitlist, partiallyExported, readyToFulfil, refundWindow,
  mixedCatalogue, largeCatalogue,
];

export const findScenario = (name: string): Scenario | undefined => scenarios.find((s) => s.name === name);
