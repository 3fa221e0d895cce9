import { formatApiKey, generateSecret, hashSecret, parseApiKey, secretMatches } from './secrets';

describe('API key secrets', () => {
  it('round-trips a key through format and parse', () => {
    const secret = generateSecret();
    const key = formatApiKey('64ac509d05a7cc2b8c2bd9ab', secret);
    expect(parseApiKey(key)).toEqual({ keyId: '64ac509d05a7cc2b8c2bd9ab', secret });
  });

  it('rejects keys of the wrong shape', () => {
    expect(parseApiKey('wak_123_abc')).toBeNull();
    expect(parseApiKey(`Bearer wak_64ac509d05a7cc2b8c2bd9ab_${generateSecret()}`)).toBeNull();
  });

  it('matches only the secret whose hash is stored', () => {
    const secret = generateSecret();
    const stored = hashSecret(secret);
    expect(stored).not.toContain(secret);
    expect(secretMatches(secret, stored)).toBe(true);
    expect(secretMatches(generateSecret(), stored)).toBe(false);
    expect(secretMatches(secret, 'abcd')).toBe(false);
  });

  it('generates distinct secrets', () => {
    expect(new Set(Array.from({ length: 100 }, generateSecret)).size).toBe(100);
  });
});
