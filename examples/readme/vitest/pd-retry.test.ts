import { test, expect } from 'purple-dot-sim/vitest';

// Your connector again, now waiting out a 429 for the seconds Retry-After names.
async function syncStock(baseUrl: string, token: string, sku: string, units: number, tries = 3): Promise<Response> {
  const res = await fetch(`${baseUrl}/admin/api/v1/inventory`, {
    method: 'POST',
    headers: { 'X-Purple-Dot-Access-Token': token, 'Content-Type': 'application/json' },
    body: JSON.stringify({ sku, available_units: units }),
  });
  if (res.status !== 429 || tries <= 1) return res;
  await new Promise((wake) => setTimeout(wake, Number(res.headers.get('retry-after') ?? 1) * 1000));
  return syncStock(baseUrl, token, sku, units, tries - 1);
}

test('waits out a 429, then posts again', async ({ pd }) => {
  pd.faults.add({ operationId: 'updateInventory', status: 429, retryAfter: 1, times: 1 });
  const res = await syncStock(pd.url, pd.credentials.private_access_token, 'HPB1-S', 10);
  expect(res.status).toBe(201);
  expect(pd.journal.entries({ operationId: 'updateInventory' }).map((e) => e.status)).toEqual([429, 201]);
});
