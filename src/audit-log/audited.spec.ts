import { CallHandler, Controller, ExecutionContext, Post } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { lastValueFrom, of, throwError } from 'rxjs';
import { Role } from '../auth/permissions';
import type { AuthenticatedRequest, Principal } from '../auth/principal';
import { AuditLogService } from './audit-log.service';
import { AuditInterceptor, Audited } from './audited';

@Controller('things')
class SampleController {
  @Post() @Audited('template', 'created') create(): void {}
  @Post() plain(): void {}
}

describe('AuditInterceptor', () => {
  const audit: jest.Mocked<Pick<AuditLogService, 'record'>> = { record: jest.fn() };
  const interceptor = new AuditInterceptor(new Reflector(), audit as unknown as AuditLogService);
  const principal: Principal = {
    clientId: 'c1',
    keyId: 'k1',
    role: Role.Owner,
    permissions: new Set(),
    rateLimits: { perMinute: null, expensivePerMinute: null },
    session: null,
  };

  function context(handler: keyof SampleController, request: Partial<AuthenticatedRequest>): ExecutionContext {
    return {
      getHandler: () => SampleController.prototype[handler],
      getClass: () => SampleController,
      switchToHttp: () => ({ getRequest: () => request }),
    } as unknown as ExecutionContext;
  }

  const request = (parts: Partial<Request> = {}): Partial<AuthenticatedRequest> =>
    ({ method: 'POST', path: '/things', route: { path: '/things' }, ip: '203.0.113.7', params: {}, principal, ...parts }) as Partial<AuthenticatedRequest>;

  beforeEach(() => {
    jest.resetAllMocks();
    audit.record.mockResolvedValue(undefined);
  });

  it('records a success with the actor, route, address, target from the answer and the names of the fields sent', async () => {
    const answer = { status: true, data: { _id: 't1', secret: 'whsec_x' } };
    const next: CallHandler = { handle: () => of(answer) };
    const body = { name: 'Welcome', secret: 'whsec_x', session_id: 's', access_token: 'st_x' };
    await expect(lastValueFrom(interceptor.intercept(context('create', request({ body })), next))).resolves.toBe(answer);
    expect(audit.record).toHaveBeenCalledWith(
      { clientId: 'c1', actorKeyId: 'k1', route: 'POST /things', ip: '203.0.113.7' },
      { kind: 'template', action: 'created', targetId: 't1', fields: ['name', 'secret'] },
    );
    expect(JSON.stringify(audit.record.mock.calls)).not.toContain('whsec_x');
  });

  it("takes the target from the route's :id first", async () => {
    const next: CallHandler = { handle: () => of({ data: null }) };
    await lastValueFrom(interceptor.intercept(context('create', request({ params: { id: 'p1' }, route: { path: '/things/:id' } })), next));
    expect(audit.record).toHaveBeenCalledWith(expect.objectContaining({ route: 'POST /things/:id' }), expect.objectContaining({ targetId: 'p1', fields: [] }));
  });

  it('records nothing when the handler fails, or on routes that are not @Audited', async () => {
    const failing: CallHandler = { handle: () => throwError(() => new Error('refused')) };
    await expect(lastValueFrom(interceptor.intercept(context('create', request()), failing))).rejects.toThrow('refused');
    await lastValueFrom(interceptor.intercept(context('plain', request()), { handle: () => of({ data: { _id: 'x' } }) }));
    expect(audit.record).not.toHaveBeenCalled();
  });
});
