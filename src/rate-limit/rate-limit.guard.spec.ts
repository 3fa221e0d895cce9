import { Controller, ExecutionContext, Get, HttpStatus } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { getOptionsToken, getStorageToken, ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { EXPENSIVE_ROUTE, ExpensiveRoute } from './rate-limit.decorators';
import { RateLimitGuard } from './rate-limit.guard';
import { EXPENSIVE_THROTTLER, ORDINARY_THROTTLER } from './rate-limits';

@Controller()
class SampleController {
  @Get() plain(): void {}
  @Get() @ExpensiveRoute() costly(): void {}
}

type Counter = Awaited<ReturnType<ThrottlerStorage['increment']>>;
const counter = (totalHits: number, isBlocked = false): Counter => ({ totalHits, timeToExpire: 42, isBlocked, timeToBlockExpire: isBlocked ? 17 : 0 });

describe('RateLimitGuard', () => {
  const storage: jest.Mocked<ThrottlerStorage> = { increment: jest.fn() };
  let guard: RateLimitGuard;
  let headers: Record<string, string>;

  beforeAll(async () => {
    const reflector = new Reflector();
    const options: ThrottlerModuleOptions = {
      throttlers: [
        { name: ORDINARY_THROTTLER, ttl: 60_000, limit: 10 },
        {
          name: EXPENSIVE_THROTTLER,
          ttl: 60_000,
          limit: 2,
          skipIf: (context) => !reflector.get<boolean | undefined>(EXPENSIVE_ROUTE, context.getHandler()),
        },
      ],
    };
    const moduleRef = await Test.createTestingModule({
      providers: [
        RateLimitGuard,
        { provide: Reflector, useValue: reflector },
        { provide: getOptionsToken(), useValue: options },
        { provide: getStorageToken(), useValue: storage },
      ],
    }).compile();
    guard = moduleRef.get(RateLimitGuard);
    await guard.onModuleInit();
  });

  beforeEach(() => {
    storage.increment.mockReset();
    headers = {};
  });

  function context(handler: keyof SampleController): ExecutionContext {
    const request = { ip: '203.0.113.9', method: 'GET', path: '/sample' } as Request;
    const response = { setHeader: (name: string, value: string) => (headers[name] = value) } as unknown as Response;
    return {
      getHandler: () => SampleController.prototype[handler],
      getClass: () => SampleController,
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
    } as unknown as ExecutionContext;
  }

  it('counts per address when no key was needed, and shows where the count stands', async () => {
    storage.increment.mockResolvedValue(counter(3));
    await expect(guard.canActivate(context('plain'))).resolves.toBe(true);
    expect(storage.increment).toHaveBeenCalledTimes(1);
    expect(storage.increment).toHaveBeenCalledWith('rate:ip:203.0.113.9', 60_000, 10, 60_000, ORDINARY_THROTTLER);
    expect(headers).toEqual({ 'X-RateLimit-Limit': '10', 'X-RateLimit-Remaining': '7', 'X-RateLimit-Reset': '42' });
  });

  it('shows the tighter of two limits on an expensive route', async () => {
    storage.increment.mockResolvedValueOnce(counter(3)).mockResolvedValueOnce(counter(1));
    await expect(guard.canActivate(context('costly'))).resolves.toBe(true);
    expect(storage.increment).toHaveBeenLastCalledWith('rate:ip:203.0.113.9:SampleController.costly', 60_000, 2, 60_000, EXPENSIVE_THROTTLER);
    expect(headers).toMatchObject({ 'X-RateLimit-Limit': '2', 'X-RateLimit-Remaining': '1' });
  });

  it('refuses with 429, Retry-After and an empty remainder once blocked', async () => {
    storage.increment.mockResolvedValue(counter(11, true));
    await expect(guard.canActivate(context('plain'))).rejects.toMatchObject({
      status: HttpStatus.TOO_MANY_REQUESTS,
      message: 'Too many requests from this address: 10 per minute allowed; retry in 17 s',
    });
    expect(headers).toEqual({ 'X-RateLimit-Limit': '10', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '17', 'Retry-After': '17' });
  });

  it('lets requests through when the counters cannot be reached', async () => {
    storage.increment.mockRejectedValue(new Error('connect ECONNREFUSED'));
    await expect(guard.canActivate(context('costly'))).resolves.toBe(true);
    expect(headers).toEqual({});
  });
});
