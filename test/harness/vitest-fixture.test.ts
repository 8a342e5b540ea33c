/** The `purple-dot-sim/vitest` fixture, used as an integrator's vitest suite uses it. */
import { simulatorTest, expect } from '../../src/harness/vitest.ts';

const test = simulatorTest({ scenario: 'on-preorder' });
const seen = new Set<string>();

test('gives each test a store of its own, with credentials that work', async ({ pd }) => {
  seen.add(pd.store);
  const { response, data } = await pd.client.GET('/admin/api/v1/pre-orders/count');
  expect(response.status).toBe(200);
  expect(data?.data.count).toBe(24);
});

test('starts every store from the scenario as built, whatever an earlier test did', async ({ pd }) => {
  seen.add(pd.store);
  const variant = pd.engine.stores.require(pd.store).state.data.variants[0]!;
  await pd.control.POST('/__sim/pre-orders', { body: { email: 'fixture@example.com', lines: [{ variant_id: variant.id, quantity: 1 }] } });
  expect((await pd.client.GET('/admin/api/v1/pre-orders/count')).data?.data.count).toBe(25);
});

test('shares one server between the tests of a worker, and deletes each test store after its test', async ({ pd, pdSimulator }) => {
  seen.add(pd.store);
  expect(pd.url).toBe(pdSimulator.url);
  expect(seen.size).toBe(3);
  const live = pdSimulator.engine.stores.list().map((s) => s.id);
  expect(live).toEqual(['default', pd.store]);
});
