import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppMetrics } from './app-metrics';

/** Label of requests no route matched (404s, bodies refused before routing): never their raw paths. */
export const UNMATCHED_ROUTE = 'unmatched';

/** A route that matches any path (Nest's not-found handler, `/{*path}`) matched nothing in particular. */
const CATCH_ALL = /^\/?(\{\*\w*\}|\*\w*)$/;

/**
 * The route pattern a request matched (`/broadcast/:id`, `/admin/queues/*` inside a mounted router),
 * so that label values stay as few as the routes, whatever ids the paths carry.
 */
export function routeLabel(request: Request): string {
  const pattern: unknown = (request.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern === 'string' && !CATCH_ALL.test(pattern)) return `${request.baseUrl}${pattern}` || '/';
  if (request.baseUrl) return `${request.baseUrl}/*`;
  return UNMATCHED_ROUTE;
}

/** Times every HTTP request from arrival to the end of its answer, by method, route pattern and status. */
export function httpMetricsMiddleware(metrics: AppMetrics): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeHttpRequest(request.method, routeLabel(request), response.statusCode, seconds);
    });
    next();
  };
}
