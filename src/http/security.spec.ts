import { corsOptions } from './security';

describe('corsOptions', () => {
  it('is off without origins', () => {
    expect(corsOptions([])).toBeNull();
  });

  it('allows the listed origins, the key and session headers, and exposes the rate-limit headers', () => {
    const options = corsOptions(['https://app.example.com', 'http://localhost:5173']);
    expect(options?.origin).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(options?.allowedHeaders).toEqual(expect.arrayContaining(['Authorization', 'ApiKey', 'X-Api-Key', 'X-Session-Id', 'X-Access-Token']));
    expect(options?.exposedHeaders).toEqual(expect.arrayContaining(['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']));
    expect(options?.credentials).toBe(false);
  });

  it('allows every origin with *', () => {
    expect(corsOptions(['*'])?.origin).toBe('*');
  });
});
