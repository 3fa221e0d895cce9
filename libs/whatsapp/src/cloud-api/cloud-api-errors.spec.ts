import { classifyCloudApiError, parseRetryAfter } from './cloud-api-errors';

describe('classifyCloudApiError', () => {
  it('treats permission and account errors as making the session unusable', () => {
    for (const code of [0, 10, 190, 200, 299, 131031, 133010]) {
      expect(classifyCloudApiError(400, { code, message: 'x' })).toMatchObject({ kind: 'permanent', options: { sessionUnusable: true } });
    }
  });

  it('treats a 401 without a Graph code as unusable credentials', () => {
    expect(classifyCloudApiError(401, undefined)).toMatchObject({ kind: 'permanent', code: 'http_401', options: { sessionUnusable: true } });
  });

  it('lets a Retry-After header override the code’s delay', () => {
    expect(classifyCloudApiError(429, { code: 130429, message: 'Rate limit hit' }, 30_000).options.retryAfterMs).toBe(30_000);
  });

  it('retries a 429 or 5xx with an unknown code, but not a 4xx', () => {
    expect(classifyCloudApiError(429, { code: 999999 }).kind).toBe('transient');
    expect(classifyCloudApiError(500, { code: 999999 }).kind).toBe('transient');
    expect(classifyCloudApiError(400, { code: 999999 }).kind).toBe('permanent');
  });

  it('names the HTTP status when the answer has no message', () => {
    expect(classifyCloudApiError(502, undefined).message).toBe('Cloud API answered HTTP 502');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('12', now)).toBe(12_000);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
