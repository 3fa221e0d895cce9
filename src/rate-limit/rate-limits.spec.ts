import type { Principal } from '../auth/principal';
import { Permission, Role } from '../auth/permissions';
import { counterKey, EXPENSIVE_THROTTLER, limitFor, ORDINARY_THROTTLER, refusalMessage, trackerFor } from './rate-limits';

const LIMITS = { perKey: 6000, expensivePerKey: 60, publicPerAddress: 600, authFailuresPerAddress: 30 };

function principal(rateLimits: Principal['rateLimits'] = { perMinute: null, expensivePerMinute: null }): Principal {
  return { clientId: 'c', keyId: 'k1', role: Role.Owner, permissions: new Set([Permission.BroadcastRead]), rateLimits, session: null };
}

describe('trackerFor', () => {
  it('counts per key once the key is known, else per address', () => {
    expect(trackerFor(principal(), '10.0.0.1')).toBe('key:k1');
    expect(trackerFor(undefined, '10.0.0.1')).toBe('ip:10.0.0.1');
  });
});

describe('limitFor', () => {
  it('uses the configured limits for keys without their own', () => {
    expect(limitFor(ORDINARY_THROTTLER, principal(), LIMITS)).toBe(6000);
    expect(limitFor(EXPENSIVE_THROTTLER, principal(), LIMITS)).toBe(60);
  });

  it('uses the per-address limit where no key is needed', () => {
    expect(limitFor(ORDINARY_THROTTLER, undefined, LIMITS)).toBe(600);
  });

  it("uses a key's own limits", () => {
    expect(limitFor(ORDINARY_THROTTLER, principal({ perMinute: 100_000, expensivePerMinute: 600 }), LIMITS)).toBe(100_000);
    expect(limitFor(EXPENSIVE_THROTTLER, principal({ perMinute: 100_000, expensivePerMinute: 600 }), LIMITS)).toBe(600);
  });

  it('never lets an expensive route allow more than a lowered overall limit, unless the key says so', () => {
    expect(limitFor(EXPENSIVE_THROTTLER, principal({ perMinute: 10, expensivePerMinute: null }), LIMITS)).toBe(10);
    expect(limitFor(EXPENSIVE_THROTTLER, principal({ perMinute: 100_000, expensivePerMinute: null }), LIMITS)).toBe(60);
  });
});

describe('counterKey', () => {
  it('shares one counter across routes, and keeps one per expensive route', () => {
    expect(counterKey(ORDINARY_THROTTLER, 'key:k1', 'A.list')).toBe(counterKey(ORDINARY_THROTTLER, 'key:k1', 'B.create'));
    expect(counterKey(EXPENSIVE_THROTTLER, 'key:k1', 'A.list')).not.toBe(counterKey(EXPENSIVE_THROTTLER, 'key:k1', 'B.create'));
  });
});

describe('refusalMessage', () => {
  it('says whose limit was reached', () => {
    expect(refusalMessage(ORDINARY_THROTTLER, true, 10, 'GET /broadcast')).toBe('Rate limit exceeded: this API key may make 10 requests per minute');
    expect(refusalMessage(EXPENSIVE_THROTTLER, true, 2, 'POST /broadcast')).toBe(
      'Rate limit exceeded: this API key may call POST /broadcast 2 times per minute',
    );
    expect(refusalMessage(ORDINARY_THROTTLER, false, 600, 'GET /health')).toBe('Too many requests from this address: 600 per minute allowed');
  });
});
