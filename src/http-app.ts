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
  app.use(refuseDeeplyNestedBodies);
  // Local mode handles signals itself, to stop its embedded servers after the app.
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  setupSwagger(app);
  return app;
}

/**
 * Deeper than any body this API takes (a template's components go about six levels down),
 * and far below the depth at which class-transformer's recursion overflows the stack.
 */
export const MAX_JSON_BODY_DEPTH = 32;

/** How deeply objects and arrays nest in `value`; walks iteratively so that hostile depth cannot overflow the stack. */
export function nestingDepth(value: unknown): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_JSON_BODY_DEPTH) return deepest;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return deepest;
}

function refuseDeeplyNestedBodies(request: Request, _response: Response, next: NextFunction): void {
  if (nestingDepth(request.body) > MAX_JSON_BODY_DEPTH) {
    next(new BadRequestException(`Request body nests objects or arrays more than ${MAX_JSON_BODY_DEPTH} levels deep`));
    return;
  }
  next();
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
