import { describe, expect, it } from 'vitest';
import { credentials, privateHeaders, useHarness } from '../support/simulator.ts';

const origin = { Origin: 'http://localhost:3000' };

describe('CORS', () => {
  const h = useHarness({ scenario: 'on-preorder' });

  it('lets any origin read every answer of the public API, refusals included, with Link, Date and WWW-Authenticate exposed', async () => {
    for (const path of [`/api/v1/waitlists?api_key=${credentials.public_api_key}`, '/api/v1/waitlists?api_key=wrong', '/api/v1/nope']) {
      const res = await fetch(`${h().url}${path}`, { headers: origin });
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
      expect(res.headers.get('access-control-expose-headers'), path).toBe('Link, Date, WWW-Authenticate');
    }
  });

  it('answers a public preflight 204 with the path\'s methods and the Content-Type header', async () => {
    const res = await fetch(`${h().url}/api/v1/variants/preorder-state`, {
      method: 'OPTIONS', headers: { ...origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
    expect(res.headers.get('access-control-allow-headers')).toBe('Content-Type');
  });

  it('grants nothing on the private API or the control API, answer or preflight', async () => {
    const answers = [
      await fetch(`${h().url}/admin/api/v1/waitlists`, { headers: { ...origin, ...privateHeaders } }),
      await fetch(`${h().url}/admin/api/v1/inventory`, { method: 'OPTIONS', headers: { ...origin, 'Access-Control-Request-Method': 'POST' } }),
      await fetch(`${h().url}/__sim/status`, { headers: origin }),
      await fetch(`${h().url}/__sim/reset`, { method: 'OPTIONS', headers: { ...origin, 'Access-Control-Request-Method': 'POST' } }),
    ];
    for (const res of answers) {
      expect(res.headers.get('access-control-allow-origin'), res.url).toBeNull();
      expect(res.headers.get('access-control-allow-methods'), res.url).toBeNull();
    }
  });
});
