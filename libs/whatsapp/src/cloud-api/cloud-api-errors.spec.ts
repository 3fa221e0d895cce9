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

  it('marks the limits of the whole sender: throughput (130429) and spam rate (131048), both retried', () => {
    expect(classifyCloudApiError(400, { code: 130429, message: 'Rate limit hit' })).toMatchObject({ kind: 'transient', options: { throttled: 'throughput', retryAfterMs: 2_000 } });
    expect(classifyCloudApiError(400, { code: 131048, message: 'Spam rate limit hit' })).toMatchObject({ kind: 'transient', options: { throttled: 'spam_rate' } });
    expect(classifyCloudApiError(400, { code: 131056, message: 'Pair rate limit hit' }).options.throttled).toBeUndefined();
  });

  it('never retries a pair-rate limit (131056) sooner than its delay, even when Retry-After says less', () => {
    expect(classifyCloudApiError(400, { code: 131056, message: 'Pair rate limit hit' }, 1_000).options.retryAfterMs).toBe(6_000);
    expect(classifyCloudApiError(400, { code: 131056, message: 'Pair rate limit hit' }, 20_000).options.retryAfterMs).toBe(20_000);
  });

  it('names the message errors 131047, 131049 and 131050, permanent, keeping Meta’s message; 131050 is remembered on the contact', () => {
    const window = classifyCloudApiError(400, { code: 131047, message: 'Re-engagement message' });
    expect(window).toMatchObject({ kind: 'permanent', code: '131047', message: expect.stringMatching(/^Outside the customer-service window.*: Re-engagement message$/) });
    const marketingLimit = classifyCloudApiError(400, { code: 131049, message: 'This message was not delivered to maintain healthy ecosystem engagement.' });
    expect(marketingLimit).toMatchObject({ kind: 'permanent', message: expect.stringMatching(/^Meta's per-user marketing limit.*healthy ecosystem engagement\.$/) });
    expect(marketingLimit.options).toEqual({});
    expect(classifyCloudApiError(400, { code: 131050, message: 'Unable to deliver the message' })).toMatchObject({ kind: 'permanent', options: { marketingStopped: true } });
  });

  it('keeps an unknown code permanent with Meta’s own message', () => {
    expect(classifyCloudApiError(400, { code: 135000, message: 'Generic user error' })).toMatchObject({ kind: 'permanent', code: '135000', message: 'Generic user error', options: {} });
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
