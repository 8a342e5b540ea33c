/**
 * Inventory sync: tells Purple Dot how many units of each SKU the platform has, so Purple Dot can export
 * pre-orders against them. The values are absolute levels, not changes: posting the same level twice is
 * harmless, which is what makes a retry after a lost answer safe.
 */
import { PurpleDotAuthError, type PurpleDotHttp } from './http.js';

/** SKU → units available now in the platform's own stock. */
export type StockLevels = Record<string, number> | ReadonlyMap<string, number>;

export interface InventorySyncResult {
  /** The SKUs Purple Dot accepted, in the order posted. */
  posted: string[];
}

/** Some SKUs could not be posted; the others were. */
export class InventorySyncError extends Error {
  readonly posted: string[];
  readonly failed: { sku: string; error: unknown }[];

  constructor(posted: string[], failed: { sku: string; error: unknown }[]) {
    super(`Inventory sync: ${failed.length} SKU(s) not posted (${posted.length} posted): `
      + failed.map((f) => `${f.sku}: ${(f.error as Error).message ?? String(f.error)}`).join('; '));
    this.name = 'InventorySyncError';
    this.posted = posted;
    this.failed = failed;
  }
}

/**
 * Posts one `POST /admin/api/v1/inventory` per SKU, one at a time. A SKU that fails after its retries does not
 * stop the others; they are all reported together at the end. A rejected token stops at once.
 */
export async function syncInventory(http: PurpleDotHttp, stock: StockLevels): Promise<InventorySyncResult> {
  const levels = stock instanceof Map ? [...stock.entries()] : Object.entries(stock);
  // Refuse locally what Purple Dot would refuse, before sending anything.
  const bad = levels.filter(([sku, units]) => sku.trim() === '' || !Number.isInteger(units) || units < 0);
  if (bad.length > 0) {
    throw new RangeError(`Inventory sync: levels must be whole numbers of units >= 0 for a non-empty SKU; got ${bad.map(([s, u]) => `${JSON.stringify(s)}=${u}`).join(', ')}`);
  }
  const posted: string[] = [];
  const failed: { sku: string; error: unknown }[] = [];
  for (const [sku, available_units] of levels) {
    try {
      await http.request('POST', '/admin/api/v1/inventory', { body: { sku, available_units } });
      posted.push(sku);
    } catch (error) {
      if (error instanceof PurpleDotAuthError) throw error;
      failed.push({ sku, error });
    }
  }
  if (failed.length > 0) throw new InventorySyncError(posted, failed);
  return { posted };
}
