import { applyDecorators, CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata, UseInterceptors } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Types } from 'mongoose';
import { from, mergeMap, Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/principal';
import { auditFactsOf, AuditLogService } from './audit-log.service';
import type { AuditAction, AuditKind } from './audit-log.schema';

const AUDITED = 'audit:change';

interface AuditedChange {
  kind: AuditKind;
  action: AuditAction;
}

/** Body fields that select the session rather than change anything. */
const NOT_CHANGES = new Set(['session_id', 'access_token']);

/** What a change is about: the route's `:id` (or its one other parameter, a template's name), else the id in the answer (`_id`, `id` or `session_id` of `data`). */
function targetOf(request: AuthenticatedRequest, answer: unknown): string | null {
  const params = request.params as Record<string, string | undefined>;
  const param = params.id ?? Object.values(params).find((value) => typeof value === 'string' && value !== '');
  if (param) return param;
  const data = typeof answer === 'object' && answer !== null ? (answer as { data?: unknown }).data : undefined;
  if (typeof data !== 'object' || data === null) return null;
  const { _id, id, session_id } = data as Record<string, unknown>;
  // An answer not yet serialised may hold the id as an ObjectId.
  const asText = (value: unknown): string | null =>
    typeof value === 'string' ? value : value instanceof Types.ObjectId ? value.toHexString() : null;
  return [_id, id, session_id].map(asText).find((text) => text !== null) ?? null;
}

/**
 * Records the route's change in the audit log once it succeeded (a refused request changed
 * nothing and records nothing); the answer goes out after the entry is written.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditLogService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const change = this.reflector.get<AuditedChange | undefined>(AUDITED, context.getHandler());
    if (!change) return next.handle();
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    // Changes are made by keys: a public route has no actor to record.
    if (!request.principal) return next.handle();
    return next.handle().pipe(
      mergeMap((answer: unknown) => {
        const body: unknown = request.body;
        const fields = typeof body === 'object' && body !== null ? Object.keys(body).filter((field) => !NOT_CHANGES.has(field)) : [];
        const recorded = this.audit.record(auditFactsOf(request, request.principal), { ...change, targetId: targetOf(request, answer), fields });
        return from(recorded.then(() => answer));
      }),
    );
  }
}

/**
 * This route changes a client's configuration: each success is recorded in the audit log with the
 * acting key, the route, the client's address, the target id and the names of the fields sent.
 * `@Audited('template', 'updated')` on a handler is all a feature needs.
 */
export function Audited(kind: AuditKind, action: AuditAction): MethodDecorator {
  return applyDecorators(SetMetadata(AUDITED, { kind, action } satisfies AuditedChange), UseInterceptors(AuditInterceptor));
}
