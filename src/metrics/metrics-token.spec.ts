import { metricsTokenAccepted } from './metrics-token';

describe('metricsTokenAccepted', () => {
  const token = 'metrics-token-0123456789';

  it('accepts anything when no token is configured', () => {
    expect(metricsTokenAccepted(null, undefined)).toBe(true);
  });

  it('accepts only the configured token as a bearer token', () => {
    expect(metricsTokenAccepted(token, `Bearer ${token}`)).toBe(true);
    expect(metricsTokenAccepted(token, `bearer ${token}`)).toBe(true);
    expect(metricsTokenAccepted(token, undefined)).toBe(false);
    expect(metricsTokenAccepted(token, token)).toBe(false);
    expect(metricsTokenAccepted(token, `Bearer ${token}x`)).toBe(false);
    expect(metricsTokenAccepted(token, `Basic ${Buffer.from(`u:${token}`).toString('base64')}`)).toBe(false);
  });
});
