import type { components as PurpleDotComponents, paths as PurpleDotPaths } from '../generated/purple-dot.ts';
import type { components as ControlComponents, paths as ControlPaths } from '../generated/simulator.ts';

/** The shapes of the Purple Dot API, from the spec, for an integrator's own helpers. */
type Schema = PurpleDotComponents['schemas'];
export type PreOrder = Schema['PreOrder'];
export type PreOrderLineItem = Schema['PreOrderLineItem'];
export type FulfillmentOrder = Schema['FulfillmentOrder'];
export type PrivateWaitlist = Schema['PrivateWaitlist'];
export type PublicWaitlist = Schema['PublicWaitlist'];
export type Availability = Schema['Availability'];
export type VariantPreorderState = Schema['VariantPreorderState'];
export type ProductPreorderState = Schema['ProductPreorderState'];
export type ShopperPreOrder = Schema['ShopperPreOrder'];
export type Refund = Schema['Refund'];
export type ErrorEnvelope = Schema['ErrorEnvelope'];
export type { ControlComponents, ControlPaths, PurpleDotComponents, PurpleDotPaths };
