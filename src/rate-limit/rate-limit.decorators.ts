import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';

export const EXPENSIVE_ROUTE = 'rate-limit:expensive';

const HEADERS = {
  'Retry-After': { description: 'Seconds until a request may succeed again (on a 429 only)', schema: { type: 'integer' } },
  'X-RateLimit-Limit': { description: 'Requests allowed per minute by the tightest limit on this route', schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { description: 'Requests left of that limit in the current minute', schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'Seconds until that limit starts counting again', schema: { type: 'integer' } },
} as const;

const DESCRIPTIONS = {
  keyed:
    "Too many requests: this API key's per-minute limit (RATE_LIMIT_PER_MINUTE, or the key's own), or too many failed " +
    'authentications from this address (AUTH_FAILURE_LIMIT_PER_MINUTE). Retry-After says when to try again.',
  public: 'Too many requests from this address (RATE_LIMIT_PUBLIC_PER_MINUTE per minute). Retry-After says when to try again.',
} as const;

/** Documents the 429 of the limit every route has: per API key, or per address on routes that take no key. */
export function ApiRateLimitedResponse(counted: keyof typeof DESCRIPTIONS): MethodDecorator & ClassDecorator {
  return ApiTooManyRequestsResponse({ description: DESCRIPTIONS[counted], headers: HEADERS });
}

/**
 * A costly route (broadcast creation, uploads, WhatsApp-log queries): besides the key's overall
 * limit, each key may call it RATE_LIMIT_EXPENSIVE_PER_MINUTE times a minute (or its own expensive limit).
 */
export function ExpensiveRoute(): MethodDecorator {
  return applyDecorators(
    SetMetadata(EXPENSIVE_ROUTE, true),
    ApiTooManyRequestsResponse({
      description: 'This route also has a stricter per-key limit (RATE_LIMIT_EXPENSIVE_PER_MINUTE, default 60 per minute, or the key\'s own).',
      headers: HEADERS,
    }),
  );
}
