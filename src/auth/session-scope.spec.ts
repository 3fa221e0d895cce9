import { BadRequestException } from '@nestjs/common';
import { Permission, Role } from './permissions';
import type { Principal } from './principal';
import { sessionScopeOf } from './session-scope';

const SESSION = '649ff7e0e6046617c8aeabf1';

const principal = (withSession: boolean): Principal => ({
  clientId: '64ac509d05a7cc2b8c2bd9ab',
  keyId: 'key',
  role: Role.Owner,
  permissions: new Set([Permission.MessageLogRead]),
  rateLimits: { perMinute: null, expensivePerMinute: null },
  session: withSession ? { id: SESSION, name: 'line', provider: 'sandbox', phoneNumber: null, rateLimitPerSecond: null, health: 'healthy' } : null,
});

describe('sessionScopeOf (the one rule of session-scoped lists)', () => {
  it('is the selected session without type', () => {
    expect(sessionScopeOf(principal(true), undefined, 'message logs')).toBe(SESSION);
  });

  it('is every session (null) with type=all, whether or not a session was selected', () => {
    expect(sessionScopeOf(principal(true), 'all', 'broadcasts')).toBeNull();
    expect(sessionScopeOf(principal(false), 'all', 'broadcasts')).toBeNull();
  });

  it('refuses neither with a 400 that names what to give', () => {
    expect(() => sessionScopeOf(principal(false), undefined, 'broadcasts')).toThrow(BadRequestException);
    expect(() => sessionScopeOf(principal(false), undefined, 'broadcasts')).toThrow(/Listing one session's broadcasts needs session_id and access_token.*type=all/);
  });
});
