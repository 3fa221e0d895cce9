import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';

export const EXPENSIVE_ROUTE = 'rate-limit:expensive';

const HEADERS = {
  'Retry-After': { description: 'Seconds until a request may succeed again (on a 429 only)', schema: { type: 'integer' } },
  'X-RateLimit-Limit': { description: 'Requests allowed per minute by the tightest limit on this route', schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { description: 'Requests left of that limit in the current minute', schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'Seconds until that limit starts counting again', schema: { type: 'integer' } },
} as const;

/** Documents the 429 of the per-key (or, without a key, per-address) limit every route has. */
export function ApiRateLimitedResponse(): MethodDecorator & ClassDecorator {
  return ApiTooManyRequestsResponse({
    description:
      'Too many requests: per API key (RATE_LIMIT_PER_MINUTE, or the key\'s own limit), per address on routes without a key ' +
      '(RATE_LIMIT_PUBLIC_PER_MINUTE), or too many failed authentications from this address (AUTH_FAILURE_LIMIT_PER_MINUTE). ' +
      'Retry-After says when to try again.',
    headers: HEADERS,
  });
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
