import { simulatorHooks } from 'purple-dot-sim';

const pd = simulatorHooks();
beforeAll(pd.start);
afterAll(pd.stop);

// Your connector: tells Purple Dot how many units of a SKU are in stock.
async function syncStock(baseUrl, token, sku, units) {
  const res = await fetch(`${baseUrl}/admin/api/v1/inventory`, {
    method: 'POST',
    headers: { 'X-Purple-Dot-Access-Token': token, 'Content-Type': 'application/json' },
    body: JSON.stringify({ sku, available_units: units }),
  });
  if (!res.ok) throw new Error(`Purple Dot answered ${res.status}`);
}

test('posts stock once, and the waiting pre-orders export', async () => {
  const sim = pd.current;
  const sku = 'HPB1-S'; // 4 units of it wait on pre-order in the default scenario
  await syncStock(sim.url, sim.credentials.private_access_token, sku, 10);
  sim.journal.expectRequest({ operationId: 'updateInventory', body: { sku } }, { times: 1 });
  const { data } = await sim.client.GET('/admin/api/v1/pre-orders/count-units/sku/{sku}', { params: { path: { sku } } });
  expect(data.data).toMatchObject({ open_units: 0, exported_units: 4 });
});
