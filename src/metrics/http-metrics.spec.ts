import type { Request } from 'express';
import { routeLabel, UNMATCHED_ROUTE } from './http-metrics';

const requestWith = (baseUrl: string, routePath?: string): Request => ({ baseUrl, route: routePath === undefined ? undefined : { path: routePath } }) as unknown as Request;

describe('routeLabel', () => {
  it('is the matched pattern, never the path with its ids', () => {
    expect(routeLabel(requestWith('', '/broadcast/:id'))).toBe('/broadcast/:id');
    expect(routeLabel(requestWith('/admin/queues', '/api/queues/:queueName/:jobId/retry'))).toBe('/admin/queues/api/queues/:queueName/:jobId/retry');
  });

  it('groups what a mounted router served without a route, and what nothing matched', () => {
    expect(routeLabel(requestWith('/admin/queues'))).toBe('/admin/queues/*');
    expect(routeLabel(requestWith(''))).toBe(UNMATCHED_ROUTE);
    expect(routeLabel(requestWith('', '/{*path}'))).toBe(UNMATCHED_ROUTE);
  });
});
