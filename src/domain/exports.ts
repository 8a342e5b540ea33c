import { invalid } from './errors.ts';
import { touchCreatedFulfillmentOrder, touchExportedPreOrder, touchInventory } from './events.ts';
import { appendExport, nextId, recordUnits, type LineRef, type StoreState } from './store.ts';
import type { ExportedOrder, FulfillmentOrder, InventoryLevel, PreOrder } from './types.ts';

export interface ExportRun {
  exported_orders: number;
  exported_units: number;
}

/**
 * Stores the absolute available units of a SKU and exports against it. The export budget is what may still
 * export of the SKU; how a new value sets it is the store's `inventory_mode` (see the spec's updateInventory):
 * - `replace` (default): the value is the units available now (documented: "the total number of units
 *   available, not the change"), so a new value replaces the budget, exports consume it, and later pre-orders
 *   export against what is left;
 * - `difference`: raising the value by N adds N to the budget, lowering it takes N away (the simulator's
 *   first reading, kept for connectors that post stock net of what was exported).
 * Either way, posting the value already stored leaves the budget as it is: the documented idempotence.
 */
export function setInventory(state: StoreState, now: Date, sku: string, availableUnits: number): { level: InventoryLevel; run: ExportRun } {
  if (!Number.isInteger(availableUnits) || availableUnits < 0) throw invalid('INVALID_REQUEST', 'available_units', 'must be an integer >= 0');
  let level = state.index.inventoryBySku.get(sku);
  if (!level) {
    level = { sku, available_units: 0, export_budget: 0, updated_at: now.toISOString() };
    state.data.inventory.push(level);
    state.index.inventoryBySku.set(sku, level);
  }
  if (availableUnits !== level.available_units) {
    level.export_budget = state.data.settings.inventory_mode === 'difference'
      ? Math.max(0, level.export_budget + (availableUnits - level.available_units))
      : availableUnits;
  }
  level.available_units = availableUnits;
  touchInventory(state, level, now);
  return { level, run: exportSku(state, now, sku) };
}

/** Exports every SKU that still has budget, e.g. after pre-orders were placed against posted stock. */
export function runPendingExports(state: StoreState, now: Date): ExportRun {
  const taken = state.data.inventory.filter((level) => level.export_budget > 0).flatMap((level) => takeExportable(state, now, level.sku));
  return exportTaken(state, now, taken, false);
}

function exportSku(state: StoreState, now: Date, sku: string): ExportRun {
  return exportTaken(state, now, takeExportable(state, now, sku), true);
}

/**
 * Takes open lines of the SKU oldest first, whole lines only, and stops at the first line that does not
 * fit the budget, so no open line is ever older than an exported one (inferred from the oldest-first order).
 */
function takeExportable(state: StoreState, now: Date, sku: string): LineRef[] {
  const level = state.index.inventoryBySku.get(sku);
  const lines = state.index.linesBySku.get(sku);
  if (!level || !lines) return [];
  const taken: LineRef[] = [];
  let units = 0;
  while (lines.head < lines.queue.length) {
    const ref = lines.queue[lines.head]!;
    if (ref.line.status !== 'open') {
      lines.head += 1;
      continue;
    }
    if (ref.line.quantity > level.export_budget) break;
    level.export_budget -= ref.line.quantity;
    units += ref.line.quantity;
    taken.push(ref);
    lines.head += 1;
  }
  if (units > 0) recordUnits(state, sku, now, -units, 0, units);
  return taken;
}

/**
 * The lines of one pre-order taken in one run, whatever their SKUs, form one export. Lines of one SKU come
 * in queue order, where a pre-order's lines lie next to each other (see `linesBySku`), so `oneSku` groups
 * neighbours without a map.
 */
function exportTaken(state: StoreState, now: Date, taken: LineRef[], oneSku: boolean): ExportRun {
  // One time for the whole run: an export of 10,000 lines would otherwise format it 30,000 times.
  const at = now.toISOString();
  const atMs = now.getTime();
  let units = 0;
  for (const ref of taken) units += ref.line.quantity;
  if (!oneSku) {
    const byOrder = new Map<PreOrder, LineRef[]>();
    for (const ref of taken) {
      const group = byOrder.get(ref.order);
      if (group) group.push(ref);
      else byOrder.set(ref.order, [ref]);
    }
    for (const refs of byOrder.values()) exportLines(state, at, atMs, refs, 0, refs.length);
    return { exported_orders: byOrder.size, exported_units: units };
  }
  let orders = 0;
  for (let from = 0; from < taken.length;) {
    const order = taken[from]!.order;
    let to = from + 1;
    while (to < taken.length && taken[to]!.order === order) to += 1;
    exportLines(state, at, atMs, taken, from, to);
    orders += 1;
    from = to;
  }
  return { exported_orders: orders, exported_units: units };
}

/**
 * One export of one pre-order (the lines `refs[from..to)`, all of it): an exported order `PD…/n` on the
 * platform and one fulfillment order. Arrays are made at their length: they are kept for good.
 */
function exportLines(state: StoreState, at: string, atMs: number, refs: LineRef[], from: number, to: number): void {
  const order = refs[from]!.order;
  const counters = state.data.counters;
  const index = order.exported_orders.length + 1;
  counters.external_orders += 1;
  const externalOrderId = String(5_000_000_000 + counters.external_orders);
  const count = to - from;
  let foLines: FulfillmentOrder['lines'];
  let lineItemIds: string[];
  if (count === 1) {
    const id = refs[from]!.line.id;
    foLines = [{ line_item_id: id, fulfilled_quantity: 0 }];
    lineItemIds = [id];
  } else {
    foLines = new Array<FulfillmentOrder['lines'][number]>(count);
    lineItemIds = new Array<string>(count);
    for (let i = 0; i < count; i += 1) {
      const id = refs[from + i]!.line.id;
      foLines[i] = { line_item_id: id, fulfilled_quantity: 0 };
      lineItemIds[i] = id;
    }
  }
  const fulfillmentOrder: FulfillmentOrder = {
    id: nextId(state),
    pre_order_id: order.id,
    index,
    status: 'UNFULFILLED',
    created_at: at,
    updated_at: at,
    lines: foLines,
    fulfillments: [],
  };
  for (let i = from; i < to; i += 1) {
    const line = refs[i]!.line;
    counters.external_line_items += 1;
    line.status = 'exported';
    line.exported_at = at;
    line.external_order_id = externalOrderId;
    line.external_line_item_id = String(7_000_000_000 + counters.external_line_items);
  }
  const exported: ExportedOrder = {
    id: externalOrderId,
    index,
    order_number: `${order.order_number}/${index}`,
    created_at: at,
    line_item_ids: lineItemIds,
    fulfillment_order_id: fulfillmentOrder.id,
    refunded_cents: 0,
  };
  appendExport(state, order, exported, fulfillmentOrder);
  touchExportedPreOrder(state, order, at, atMs, lineItemIds, fulfillmentOrder.id, externalOrderId);
  touchCreatedFulfillmentOrder(state, fulfillmentOrder, at);
}
