/**
 * A Purple Dot connector for a commerce platform: stock in, pre-order exports out, shipments back.
 *
 *   const pd = createConnector({ baseUrl: 'https://www.purpledotprice.com', accessToken: process.env.PD_TOKEN! });
 *   await pd.syncInventory({ 'BOOT-42': 12 });
 *   const { preOrders, mark } = await pd.pollPreOrders({ since: savedMark });
 *   await pd.pushFulfillments({ trackingFor: (fo) => platform.trackingFor(fo.reference) });
 */
import { createPurpleDotHttp, type PurpleDotHttp, type PurpleDotHttpOptions } from './http.js';
import { pollPreOrders, type PollOptions, type PollResult } from './export-poller.js';
import { pushFulfillments, type PushOptions, type PushResult } from './fulfillment-pusher.js';
import { syncInventory, type InventorySyncResult, type StockLevels } from './inventory-sync.js';

export * from './http.js';
export * from './inventory-sync.js';
export * from './export-poller.js';
export * from './fulfillment-pusher.js';

export interface ConnectorConfig extends PurpleDotHttpOptions {
  /** The poller's clock (default the machine's). */
  now?: () => Date;
}

export interface Connector {
  readonly http: PurpleDotHttp;
  syncInventory(stock: StockLevels): Promise<InventorySyncResult>;
  pollPreOrders(options: Omit<PollOptions, 'now'>): Promise<PollResult>;
  pushFulfillments(options: PushOptions): Promise<PushResult>;
}

export function createConnector(config: ConnectorConfig): Connector {
  const { now, ...httpOptions } = config;
  const http = createPurpleDotHttp(httpOptions);
  return {
    http,
    syncInventory: (stock) => syncInventory(http, stock),
    pollPreOrders: (options) => pollPreOrders(http, { ...options, ...(now ? { now } : {}) }),
    pushFulfillments: (options) => pushFulfillments(http, options),
  };
}
