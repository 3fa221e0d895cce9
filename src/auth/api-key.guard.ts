import { BadRequestException, CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { AuthFailureLimiter } from '../rate-limit/auth-failure-limiter';
import { IS_PUBLIC, REQUIRED_PERMISSION, REQUIRES_SESSION } from './auth.decorators';
import { AuthService, PresentedKey, PresentedSession } from './auth.service';
import { Permission } from './permissions';
import type { AuthenticatedRequest } from './principal';

function headerValue(request: Request, name: string): string | undefined {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text?.trim() || undefined;
}

function stringField(source: unknown, name: string): string | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const value = (source as Record<string, unknown>)[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The API keys a request carries, in the three headers SPEC section 2 allows. */
export function presentedKeys(request: Request): PresentedKey[] {
  const keys: PresentedKey[] = [];
  const authorization = headerValue(request, 'authorization');
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw new UnauthorizedException('The Authorization header must be "Bearer <key>"');
    keys.push({ source: 'Authorization', key: match[1] });
  }
  const apiKey = headerValue(request, 'apikey');
  if (apiKey) keys.push({ source: 'ApiKey', key: apiKey });
  const xApiKey = headerValue(request, 'x-api-key');
  if (xApiKey) keys.push({ source: 'x-api-key', key: xApiKey });
  return keys;
}

/** session_id + access_token from the headers, the query string or the body (first found wins). */
export function presentedSession(request: Request): PresentedSession | null {
  const sources: Array<[string | undefined, string | undefined]> = [
    [headerValue(request, 'x-session-id'), headerValue(request, 'x-access-token')],
    [stringField(request.query, 'session_id'), stringField(request.query, 'access_token')],
    [stringField(request.body, 'session_id'), stringField(request.body, 'access_token')],
  ];
  const found = sources.find(([sessionId, accessToken]) => sessionId !== undefined || accessToken !== undefined);
  if (!found) return null;
  const [sessionId, accessToken] = found;
  if (!sessionId || !accessToken) throw new UnauthorizedException('session_id and access_token must be sent together');
  return { sessionId, accessToken };
}

/**
 * The global guard: every endpoint needs a valid API key unless marked @Public().
 * Resolves the caller to a Principal, checks the selected session, then the permission.
 * An address that failed authentication too often is refused (429) before its key is looked up.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly authFailures: AuthFailureLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    await this.authFailures.assertAllowed(request, context.switchToHttp().getResponse<Response>());
    const principal = await this.auth.authenticate(presentedKeys(request), presentedSession(request)).catch(async (error: unknown) => {
      if (error instanceof UnauthorizedException) await this.authFailures.recordFailure(request);
      throw error;
    });
    request.principal = principal;

    if (this.reflector.getAllAndOverride<boolean>(REQUIRES_SESSION, targets) && !principal.session) {
      // The key is good; the request is incomplete.
      throw new BadRequestException(
        'This endpoint sends through a session: give session_id and access_token (body, query string, or X-Session-Id/X-Access-Token headers)',
      );
    }
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(REQUIRED_PERMISSION, targets);
    if (permission && !principal.permissions.has(permission)) {
      throw new ForbiddenException(`This API key lacks the "${permission}" permission`);
    }
    return true;
  }
}
