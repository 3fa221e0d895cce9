import { BadRequestException, INestApplication, RawBodyRequest } from '@nestjs/common';
import { json, NextFunction, Request, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppConfig } from './config';
import { setupSwagger } from './swagger';

/** Everything an HTTP app needs besides its modules; shared by main.ts, local.ts and the e2e harness. */
export function configureHttpApp(
  app: NestExpressApplication,
  config: AppConfig,
  options: { shutdownHooks?: boolean } = {},
): INestApplication {
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.use(json({ limit: config.http.bodyLimit, verify: keepRawBodyOfWebhooks }));
  app.use(describeMalformedJson);
  // Local mode handles signals itself, to stop its embedded servers after the app.
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  setupSwagger(app);
  return app;
}

/** Webhook signatures are computed over the exact bytes received, so those requests keep them as `rawBody`. */
function keepRawBodyOfWebhooks(request: RawBodyRequest<IncomingMessage>, _response: unknown, body: Buffer): void {
  if (request.url?.startsWith('/webhooks/')) request.rawBody = body;
}

/** body-parser's SyntaxError names a character position; say plainly what is wrong instead. */
function describeMalformedJson(error: unknown, _request: Request, _response: Response, next: NextFunction): void {
  if (error instanceof SyntaxError && (error as SyntaxError & { type?: string }).type === 'entity.parse.failed') {
    next(new BadRequestException(`Request body is not valid JSON (${error.message})`));
    return;
  }
  next(error);
}
