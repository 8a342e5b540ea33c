import type { operations } from '../../../generated/purple-dot.ts';
import { getProduct, getVariant } from '../../domain/catalogue.ts';
import { notFound } from '../../domain/errors.ts';
import { listShopperPreOrders } from '../../domain/queries.ts';
import { isOpen } from '../../domain/waitlists.ts';
import type { Handlers } from '../handler.ts';
import { cursor } from '../present/page.ts';
import {
  presentAvailability, presentProductState, presentPublicWaitlist, presentShopperPreOrder, presentVariantState,
} from '../present/public.ts';

type PublicOperations = Pick<operations, 'listOpenWaitlists' | 'getAvailability' | 'getProductPreorderState' | 'getVariantPreorderState' | 'listShopperPreOrders'>;

export const publicHandlers: Handlers<PublicOperations> = {
  listOpenWaitlists: ({ store }) => ({
    status: 200,
    data: store.data.waitlists.filter(isOpen).map((w) => presentPublicWaitlist(store, w)),
  }),
  getAvailability: ({ store, query }) => ({
    status: 200,
    data: presentAvailability(store, getProduct(store, query.product_id)),
  }),
  getProductPreorderState: ({ store, query }) => {
    const product = store.index.productsByHandle.get(query.handle);
    if (!product) throw notFound('UNKNOWN_PRODUCT', 'handle', `no product with handle ${query.handle}`);
    return { status: 200, data: presentProductState(store, product) };
  },
  getVariantPreorderState: ({ store, query }) => ({
    status: 200,
    data: presentVariantState(store, getVariant(store, query.variant_id)),
  }),
  listShopperPreOrders: ({ store, query }) => {
    const page = listShopperPreOrders(store, query.email, query.limit ?? 10, query.starting_after);
    const info = cursor(page);
    return { status: 200, data: { orders: page.items.map(presentShopperPreOrder), ...info }, nextCursor: info.starting_after };
  },
};
