import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/simulator.ts';

describe('the default scenario', () => {
  const h = useHarness();
  it('lists open waitlists on the public API', async () => {
    const res = await h().publicGet('/api/v1/waitlists');
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeGreaterThan(0);
  });
});
