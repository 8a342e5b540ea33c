import type { Scenario } from '../src/engine/scenario.ts';
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

export { REFERENCE_DATE } from '../src/engine/scenario.ts';
export type { Scenario } from '../src/engine/scenario.ts';

export const DEFAULT_SCENARIO = 'on-preorder';
export const DEFAULT_SEED = 1;

/** The ten built-in scenarios, written with the same public builder as an integrator's own. */
export const scenarios: readonly Scenario[] = [
  onPreorder, inStock, soldOut, scheduledLaunch, pausedWaitlist, partiallyExported, readyToFulfil, refundWindow,
  mixedCatalogue, largeCatalogue,
];
