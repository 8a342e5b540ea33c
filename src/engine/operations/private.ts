import type { operations } from '../../../generated/purple-dot.ts';
import { setInventory } from '../../domain/exports.ts';
import { fulfil, getFulfillmentOrder } from '../../domain/fulfillment.ts';
import { countPreOrders, listFulfillmentOrders, listPreOrders, listWaitlists } from '../../domain/queries.ts';
import { cursor } from '../present/page.ts';
import { refund } from '../../domain/refunds.ts';
import { unitsAt } from '../../domain/store.ts';
import type { Handlers } from '../handler.ts';
import { presentFulfillmentOrderPage } from '../present/fulfillment-order-page.ts';
import { presentPreOrderPage } from '../present/pre-order-page.ts';
import { presentFulfillment, presentFulfillmentOrder, presentWaitlist } from '../present/private.ts';

type PrivateOperations = Pick<operations, 'listWaitlists' | 'listPreOrders' | 'countPreOrders' | 'countSkuUnits' | 'updateInventory' | 'listFulfillmentOrders' | 'getFulfillmentOrder' | 'createFulfillment' | 'createRefund'>;

export const privateHandlers: Handlers<PrivateOperations> = {
  listWaitlists: ({ state, query }) => {
    const page = listWaitlists(state, query, query.limit ?? 10, query.starting_after);
    const info = cursor(page);
    return { status: 200, data: { waitlists: page.items.map((w) => presentWaitlist(state, w)), ...info }, nextCursor: info.starting_after };
  },
  listPreOrders: ({ state, query, shared }) => {
    const page = listPreOrders(state, query, query.limit ?? 10, query.starting_after);
    const info = cursor(page);
    return { status: 200, data: presentPreOrderPage(state, page.items, info, shared), nextCursor: info.starting_after };
  },
  countPreOrders: ({ state, query }) => ({ status: 200, data: { count: countPreOrders(state, query) } }),
  countSkuUnits: ({ state, path, query, now }) => {
    const at = query.at_time ? new Date(query.at_time) : now;
    const units = unitsAt(state, path.sku, at.getTime());
    return {
      status: 200,
      data: { sku: path.sku, at_time: at.toISOString(), open_units: units.open, canceled_units: units.canceled, exported_units: units.exported },
    };
  },
  updateInventory: ({ state, body, now }) => {
    const { level } = setInventory(state, now, body.sku, body.available_units);
    return { status: 201, data: { sku: level.sku, available_units: level.available_units } };
  },
  listFulfillmentOrders: ({ state, query, shared }) => {
    const page = listFulfillmentOrders(state, query, query.limit ?? 50, query.starting_after);
    const info = cursor(page);
    return { status: 200, data: presentFulfillmentOrderPage(state, page.items, info, shared), nextCursor: info.starting_after };
  },
  getFulfillmentOrder: ({ state, path }) => ({
    status: 200,
    data: presentFulfillmentOrder(state, getFulfillmentOrder(state, path.id)),
  }),
  createFulfillment: ({ state, body, now }) => {
    const { fulfillment, order } = fulfil(state, now, body.fulfillment);
    return {
      status: 201,
      data: { fulfillment: presentFulfillment(order, fulfillment), fulfillment_order: presentFulfillmentOrder(state, order) },
    };
  },
  createRefund: ({ state, body, now }) => ({ status: 201, data: refund(state, now, body) }),
};
