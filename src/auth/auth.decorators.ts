import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse, DECORATORS } from '@nestjs/swagger';
import { ApiRequestDeadlineResponse } from '../http/request-deadline';
import { ApiRateLimitedResponse } from '../rate-limit/rate-limit.decorators';
import { Permission } from './permissions';
import type { AuthenticatedRequest, Principal } from './principal';

export const IS_PUBLIC = 'auth:public';
export const REQUIRED_PERMISSION = 'auth:permission';
export const REQUIRES_SESSION = 'auth:session';

/** The three ways to send an API key, as declared in the OpenAPI document. */
export const API_KEY_SCHEMES = ['bearer', 'ApiKey', 'x-api-key'] as const;

/**
 * No API key needed (health, docs, provider webhooks). On a controller, the OpenAPI document also
 * says `security: []` for its operations (@nestjs/swagger drops an empty list given to one method).
 */
export const Public = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), SetMetadata(DECORATORS.API_SECURITY, []), ApiRateLimitedResponse('public'), ApiRequestDeadlineResponse());

/** Any valid API key may call this endpoint; documents the key schemes and the 401, 429 and 503 answers. */
export function Authenticated(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...API_KEY_SCHEMES.map((scheme) => ApiSecurity(scheme)),
    ApiUnauthorizedResponse({
      description: 'Missing, unknown, revoked or expired API key, or a session_id/access_token that do not match',
    }),
    ApiRateLimitedResponse('keyed'),
    ApiRequestDeadlineResponse(),
  );
}

/** The permission a key needs for this endpoint; also documents the 401/403 answers. */
export function RequirePermission(permission: Permission): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_PERMISSION, permission),
    Authenticated(),
    ApiForbiddenResponse({ description: `The API key lacks the "${permission}" permission` }),
  );
}

/** The endpoint acts for one sending session: session_id + access_token are required. */
export const RequireSession = (): MethodDecorator & ClassDecorator => SetMetadata(REQUIRES_SESSION, true);

/** The authenticated caller, as the guard resolved it. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => context.switchToHttp().getRequest<AuthenticatedRequest>().principal,
);
