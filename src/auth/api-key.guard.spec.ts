import { BadRequestException, Controller, ExecutionContext, ForbiddenException, Get, HttpStatus, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { ThrottlerException } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { AuthFailureLimiter } from '../rate-limit/auth-failure-limiter';
import { ApiKeyGuard, presentedKeys, presentedSession } from './api-key.guard';
import { Public, RequirePermission, RequireSession } from './auth.decorators';
import { AuthService } from './auth.service';
import { Permission, Role } from './permissions';
import type { Principal } from './principal';

function request(parts: Partial<Pick<Request, 'headers' | 'query' | 'body'>>): Request {
  return { headers: {}, query: {}, body: undefined, ...parts } as Request;
}

@Controller()
class SampleController {
  @Get() @Public() open(): void {}
  @Get() @RequirePermission(Permission.BroadcastWrite) write(): void {}
  @Get() @RequireSession() send(): void {}
}

describe('presentedKeys', () => {
  it('reads the three headers in order', () => {
    const keys = presentedKeys(request({ headers: { authorization: 'Bearer k1', apikey: 'k2', 'x-api-key': 'k3' } }));
    expect(keys).toEqual([
      { source: 'Authorization', key: 'k1' },
      { source: 'ApiKey', key: 'k2' },
      { source: 'x-api-key', key: 'k3' },
    ]);
  });

  it('refuses an Authorization header that is not a bearer token', () => {
    expect(() => presentedKeys(request({ headers: { authorization: 'Basic dXNlcjpwYXNz' } }))).toThrow(UnauthorizedException);
  });
});

describe('presentedSession', () => {
  it('takes session credentials from headers, query string or body', () => {
    const expected = { sessionId: 's', accessToken: 't' };
    expect(presentedSession(request({ headers: { 'x-session-id': 's', 'x-access-token': 't' } }))).toEqual(expected);
    expect(presentedSession(request({ query: { session_id: 's', access_token: 't' } }))).toEqual(expected);
    expect(presentedSession(request({ body: { session_id: 's', access_token: 't' } }))).toEqual(expected);
    expect(presentedSession(request({ body: { session_id: '', access_token: '' } }))).toBeNull();
  });

  it('refuses a session id without its token', () => {
    expect(() => presentedSession(request({ query: { session_id: 's' } }))).toThrow('session_id and access_token must be sent together');
  });
});

describe('ApiKeyGuard', () => {
  let guard: ApiKeyGuard;
  let principal: Principal;
  const auth: jest.Mocked<Pick<AuthService, 'authenticate'>> = { authenticate: jest.fn() };
  const authFailures: jest.Mocked<Pick<AuthFailureLimiter, 'assertAllowed' | 'recordFailure'>> = {
    assertAllowed: jest.fn(),
    recordFailure: jest.fn(),
  };

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [ApiKeyGuard, Reflector, { provide: AuthService, useValue: auth }, { provide: AuthFailureLimiter, useValue: authFailures }],
    }).compile();
    guard = moduleRef.get(ApiKeyGuard);
  });

  beforeEach(() => {
    jest.resetAllMocks();
    auth.authenticate.mockImplementation(() => Promise.resolve(principal));
    authFailures.assertAllowed.mockResolvedValue(undefined);
    authFailures.recordFailure.mockResolvedValue(undefined);
    principal = {
      clientId: 'c',
      keyId: 'k',
      role: Role.ReadOnly,
      permissions: new Set([Permission.BroadcastRead]),
      rateLimits: { perMinute: null, expensivePerMinute: null },
      session: null,
    };
  });

  function context(handler: keyof SampleController, req: Request): ExecutionContext {
    return {
      getHandler: () => SampleController.prototype[handler],
      getClass: () => SampleController,
      switchToHttp: () => ({ getRequest: () => req, getResponse: () => ({}) as Response }),
    } as unknown as ExecutionContext;
  }

  it('lets public endpoints through without authenticating', async () => {
    await expect(guard.canActivate(context('open', request({})))).resolves.toBe(true);
    expect(auth.authenticate).not.toHaveBeenCalled();
    expect(authFailures.assertAllowed).not.toHaveBeenCalled();
  });

  it('counts a failed authentication against the address, and nothing else', async () => {
    auth.authenticate.mockRejectedValueOnce(new UnauthorizedException('Invalid API key in x-api-key'));
    const req = request({ headers: { 'x-api-key': 'wrong' } });
    await expect(guard.canActivate(context('write', req))).rejects.toThrow(UnauthorizedException);
    expect(authFailures.recordFailure).toHaveBeenCalledWith(req);

    authFailures.recordFailure.mockClear();
    await expect(guard.canActivate(context('write', request({ headers: { 'x-api-key': 'k' } })))).rejects.toThrow(ForbiddenException);
    expect(authFailures.recordFailure).not.toHaveBeenCalled();
  });

  it('refuses an address past its failure limit before looking at the key', async () => {
    authFailures.assertAllowed.mockRejectedValueOnce(new ThrottlerException('Too many failed authentications'));
    const attempt = guard.canActivate(context('write', request({ headers: { 'x-api-key': 'k' } })));
    await expect(attempt).rejects.toMatchObject({ status: HttpStatus.TOO_MANY_REQUESTS });
    expect(auth.authenticate).not.toHaveBeenCalled();
  });

  it('answers 403 when the key lacks the permission, and attaches the principal', async () => {
    const req = request({ headers: { 'x-api-key': 'k' } });
    await expect(guard.canActivate(context('write', req))).rejects.toThrow(ForbiddenException);
    expect((req as unknown as { principal: Principal }).principal).toBe(principal);
    principal = { ...principal, permissions: new Set([Permission.BroadcastWrite]) };
    await expect(guard.canActivate(context('write', req))).resolves.toBe(true);
  });

  it('answers 400 on session-scoped endpoints without a session: the key is fine, the request incomplete', async () => {
    const attempt = guard.canActivate(context('send', request({ headers: { 'x-api-key': 'k' } })));
    await expect(attempt).rejects.toThrow(BadRequestException);
    await expect(attempt).rejects.toThrow(/session_id and access_token/);
  });
});
