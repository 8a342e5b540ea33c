import { test, expect } from 'purple-dot-sim/vitest';

// Your connector: tells Purple Dot how many units of a SKU are in stock.
async function syncStock(baseUrl: string, token: string, sku: string, units: number) {
  const res = await fetch(`${baseUrl}/admin/api/v1/inventory`, {
    method: 'POST',
    headers: { 'X-Purple-Dot-Access-Token': token, 'Content-Type': 'application/json' },
    body: JSON.stringify({ sku, available_units: units }),
  });
  if (!res.ok) throw new Error(`Purple Dot answered ${res.status}`);
}

test('posts stock once, and the waiting pre-orders export', async ({ pd }) => {
  const sku = 'HPB1-S'; // 4 units of it wait on pre-order in the default scenario
  await syncStock(pd.url, pd.credentials.private_access_token, sku, 10);
  pd.journal.expectRequest({ operationId: 'updateInventory', body: { sku } }, { times: 1 });
  const { data } = await pd.client.GET('/admin/api/v1/pre-orders/count-units/sku/{sku}', { params: { path: { sku } } });
  expect(data?.data).toMatchObject({ open_units: 0, exported_units: 4 });
});
