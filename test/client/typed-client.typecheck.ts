/**
 * Compile-time checks of the typed client, run by `tsc` (npm run typecheck, CI), not by vitest: each wrong call
 * compiles only because of its @ts-expect-error marker, so tsc fails the day the client accepts it.
 */
import { createPurpleDotClient } from '../../src/index.ts';

export function wrongCallsDoNotCompile(client: ReturnType<typeof createPurpleDotClient>): void {
  // @ts-expect-error — no such operation in the spec
  void client.GET('/admin/api/v1/no-such-path');
  // @ts-expect-error — limit is a number in the spec
  void client.GET('/admin/api/v1/pre-orders', { params: { query: { limit: 'ten' } } });
  // @ts-expect-error — the fulfillment order id is a path parameter the call must give
  void client.GET('/admin/api/v1/fulfillment-orders/{id}', {});
  // @ts-expect-error — a refund needs its idempotency id
  void client.POST('/admin/api/v1/refund', { body: { order: '1', shipping: true } });
}

/** And the reverse: fields the server defaults (here notify_customer) stay optional for callers. */
export function defaultedFieldsMayBeLeftOut(client: ReturnType<typeof createPurpleDotClient>): void {
  void client.POST('/admin/api/v1/fulfillment', { body: { fulfillment: { fulfillment_order_id: 'id' } } });
}
