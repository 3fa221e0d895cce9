import type { INestApplication } from '@nestjs/common';
import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface';
import helmet from 'helmet';
import { RATE_LIMIT_HEADERS } from '../rate-limit/rate-limit-headers';

/** Headers a browser client may send: the three key headers, the session headers and Idempotency-Key. */
const REQUEST_HEADERS = ['Authorization', 'ApiKey', 'X-Api-Key', 'X-Session-Id', 'X-Access-Token', 'Idempotency-Key', 'Content-Type'];

/** How long a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * helmet's headers on every answer. Its default Content-Security-Policy already allows what Swagger UI
 * at /docs needs (scripts and styles from the app itself, inline styles, data: images); only
 * upgrade-insecure-requests goes: a self-hosted API is often reached over plain HTTP on a private
 * network, where that directive would send /docs's own scripts to https (browsers exempt only localhost).
 */
export function useSecurityHeaders(app: INestApplication): void {
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
}

/** CORS for the listed origins (`*`: any), or null: CORS off, so browsers refuse other origins' scripts. */
export function corsOptions(origins: readonly string[]): CorsOptions | null {
  if (origins.length === 0) return null;
  return {
    origin: origins.includes('*') ? '*' : [...origins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: REQUEST_HEADERS,
    exposedHeaders: [...RATE_LIMIT_HEADERS, 'Content-Disposition'],
    // Keys travel in headers, never in cookies.
    credentials: false,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  };
}
