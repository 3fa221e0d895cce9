import { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppConfig } from '../config';
import { useConsole } from '../console/console';
import { withQuietStartup } from '../core/logger';
import { AppMetrics, httpMetricsMiddleware } from '../metrics';
import { useQueueDashboard } from '../queue-dashboard/queue-dashboard';
import { setupSwagger } from '../swagger';
import { DependencyWatch } from '../health/dependency-watch';
import { readRequestBody } from './request-body';
import { requestDeadline } from './request-deadline';
import { corsOptions, useSecurityHeaders } from './security';

/** Everything an HTTP app needs besides its modules; shared by main.ts, local.ts and the e2e harness. */
export function configureHttpApp(
  app: NestExpressApplication,
  config: AppConfig,
  options: { shutdownHooks?: boolean } = {},
): INestApplication {
  app.useLogger(withQuietStartup(app.get(Logger)));
  // First, so that every answer is timed, including those refused before any route (413, 415, 429).
  app.use(httpMetricsMiddleware(app.get(AppMetrics)));
  app.disable('x-powered-by');
  // Idle kept-alive connections outlive the load balancer's, so that it never reuses one the API closed (502s).
  const server = app.getHttpServer();
  server.keepAliveTimeout = config.http.keepAliveTimeoutMs;
  server.headersTimeout = config.http.headersTimeoutMs;
  // Per-address rate limits need the client's address, not the reverse proxy's.
  if (config.http.trustProxy !== null) app.set('trust proxy', config.http.trustProxy);
  useSecurityHeaders(app);
  const cors = corsOptions(config.http.corsOrigins);
  if (cors) app.enableCors(cors);
  // Before the body readers: the dashboard's own API reads JSON bodies itself.
  useQueueDashboard(app);
  useConsole(app, config);
  // Webhook signatures are computed over the exact bytes received, so those requests keep them as `rawBody`.
  app.use(...readRequestBody({ limit: config.http.bodyLimit, keepRawBody: (request) => request.path.startsWith('/webhooks/') }));
  // Local mode handles signals itself, to stop its embedded servers after the app.
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  setupSwagger(app);
  // After the body readers, the console, the queue dashboard and the docs: it bounds the API's own routes.
  app.use(requestDeadline(config.http.requestDeadlineMs, app.get(DependencyWatch)));
  return app;
}
