import type { operations } from '../../../generated/purple-dot.ts';
import { getProduct, getVariant } from '../../domain/catalogue.ts';
import { notFound } from '../../domain/errors.ts';
import { listShopperPreOrders } from '../../domain/queries.ts';
import { isOpen } from '../../domain/waitlists.ts';
import type { Handlers } from '../handler.ts';
import { cursor } from '../present/page.ts';
import { presentShopperPreOrderPage } from '../present/pre-order-page.ts';
import { presentAvailability, presentProductState, presentPublicWaitlist, presentVariantState } from '../present/public.ts';

type PublicOperations = Pick<operations,
  'listOpenWaitlists' | 'getAvailability' | 'getProductPreorderState' | 'getVariantPreorderState' | 'listShopperPreOrders' | 'getIntegrationSettings' | 'trackEvent'>;

export const publicHandlers: Handlers<PublicOperations> = {
  listOpenWaitlists: ({ state }) => ({
    status: 200,
    data: state.data.waitlists.filter(isOpen).map((w) => presentPublicWaitlist(state, w)),
  }),
  getAvailability: ({ state, query }) => ({
    status: 200,
    data: presentAvailability(state, getProduct(state, query.product_id)),
  }),
  getProductPreorderState: ({ state, query }) => {
    const product = state.index.productsByHandle.get(query.handle);
    if (!product) throw notFound('UNKNOWN_PRODUCT', 'handle', `no product with handle ${query.handle}`);
    return { status: 200, data: presentProductState(state, product) };
  },
  getVariantPreorderState: ({ state, query }) => ({
    status: 200,
    data: presentVariantState(state, getVariant(state, query.variant_id)),
  }),
  // The SDK's own calls (observed in the SDK): the store's flags, and analytics events kept for the test to read.
  getIntegrationSettings: ({ state }) => ({ status: 200, data: { flags: structuredClone(state.data.settings.flags) } }),
  trackEvent: ({ store, body, now }) => ({ status: 202, data: { accepted: true, seq: store.tracked.record(now, body).seq } }),
  listShopperPreOrders: ({ state, query, shared }) => {
    const page = listShopperPreOrders(state, query.email, query.limit ?? 10, query.starting_after);
    const info = cursor(page);
    return { status: 200, data: presentShopperPreOrderPage(state, page.items, info, shared), nextCursor: info.starting_after };
  },
};
