import { invalid } from './errors.ts';
import type { StoreState } from './store.ts';
import type { FlagConfig, InventoryMode } from './types.ts';

export interface SettingsChange {
  inventory_mode?: InventoryMode;
  flags?: FlagConfig[];
}

/**
 * Changes the store's settings, all or nothing. A flag name given twice is refused: the SDK looks a flag up
 * by name, so a second entry would be ambiguous (inferred). Settings have no `updated_at` and no webhook
 * names them, so no event is recorded; the state log keeps the operation itself.
 */
export function updateSettings(state: StoreState, change: SettingsChange): StoreState['data']['settings'] {
  const seen = new Set<string>();
  change.flags?.forEach((flag, i) => {
    if (seen.has(flag.flag)) throw invalid('INVALID_REQUEST', `flags[${i}].flag`, `names ${JSON.stringify(flag.flag)} a second time`);
    seen.add(flag.flag);
  });
  const settings = state.data.settings;
  if (change.inventory_mode !== undefined) settings.inventory_mode = change.inventory_mode;
  if (change.flags !== undefined) settings.flags = structuredClone(change.flags);
  return settings;
}
