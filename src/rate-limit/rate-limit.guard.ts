import { ExecutionContext, Injectable } from '@nestjs/common';
import { normalizeIp, ThrottlerGuard, ThrottlerRequest, ThrottlerStorage } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import type { AuthenticatedRequest } from '../auth/principal';
import { withDeadline } from '../core/deadline';
import { RateLimitState, setRateLimitHeaders, tooManyRequests } from './rate-limit-headers';
import { COUNTER_DEADLINE_MS, counterKey, EXPENSIVE_THROTTLER, ORDINARY_THROTTLER, refusalMessage, ThrottlerName, trackerFor } from './rate-limits';

type CounterState = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Between two warnings that the counters are unreachable (requests pass meanwhile). */
const STORAGE_WARNING_INTERVAL_MS = 60_000;

/** The principal the API-key guard attached, when the route needed a key. */
export function principalOf(context: ExecutionContext): AuthenticatedRequest['principal'] | undefined {
  return context.switchToHttp().getRequest<Partial<AuthenticatedRequest>>().principal;
}

/**
 * @nestjs/throttler's guard with counters in Redis (shared by every API process), counted per API
 * key or, on routes that take none, per client address. It runs after the API-key guard, which
 * resolves the key. Refusals are 429s rendered by the exception filter in the path's envelope, with
 * Retry-After and X-RateLimit-*; answers that pass carry X-RateLimit-* of the tightest limit applied.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  /** X-RateLimit-Remaining already on each answer, so that a looser second limit does not overwrite a tighter one. */
  private readonly shownRemaining = new WeakMap<Response, number>();
  private lastStorageWarning = 0;

  protected override async handleRequest({ context, limit, ttl, throttler, blockDuration }: ThrottlerRequest): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request & Partial<AuthenticatedRequest>>();
    const response = http.getResponse<Response>();
    const name: ThrottlerName = throttler.name === EXPENSIVE_THROTTLER ? EXPENSIVE_THROTTLER : ORDINARY_THROTTLER;
    const tracker = trackerFor(request.principal, normalizeIp(request.ip ?? 'unknown', this.ipv6SubnetPrefix));
    const key = counterKey(name, tracker, `${context.getClass().name}.${context.getHandler().name}`);

    let usage: CounterState;
    try {
      usage = await withDeadline(this.storageService.increment(key, ttl, limit, blockDuration, name), COUNTER_DEADLINE_MS, 'Redis');
    } catch (error) {
      // Redis unreachable or stalled: better to serve without limits than to refuse or hold everything.
      this.warnStorageDown(error);
      return true;
    }
    if (usage.isBlocked) {
      const message = refusalMessage(name, request.principal !== undefined, limit, `${request.method} ${request.path}`);
      throw tooManyRequests(response, limit, usage.timeToBlockExpire, message);
    }
    this.showIfTightest(response, { limit, remaining: limit - usage.totalHits, resetSeconds: usage.timeToExpire });
    return true;
  }

  private showIfTightest(response: Response, state: RateLimitState): void {
    const shown = this.shownRemaining.get(response);
    if (shown !== undefined && shown <= state.remaining) return;
    this.shownRemaining.set(response, state.remaining);
    setRateLimitHeaders(response, state);
  }

  private warnStorageDown(error: unknown): void {
    if (Date.now() - this.lastStorageWarning < STORAGE_WARNING_INTERVAL_MS) return;
    this.lastStorageWarning = Date.now();
    this.logger.warn(`Rate-limit counters unreachable, requests are not limited meanwhile: ${error instanceof Error ? error.message : String(error)}`);
  }
}
