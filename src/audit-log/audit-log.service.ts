import { Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import type { Principal } from '../auth/principal';
import { AuditLogRepository, AuditPageRequest } from './audit-log.repository';
import type { AuditAction, AuditKind, AuditLogRecord } from './audit-log.schema';

/** Who made a change and how it arrived: what every entry carries besides the change itself. */
export interface AuditRequestFacts {
  clientId: string;
  actorKeyId: string | null;
  /** `PATCH /webhook-endpoints/:id`. */
  route: string;
  ip: string | null;
}

/** One change to record. */
export interface AuditChange {
  kind: AuditKind;
  action: AuditAction;
  targetId: string | null;
  /** Names of the fields the change set; never their values. */
  fields?: string[];
}

export interface AuditEntryView {
  id: string;
  kind: AuditKind;
  action: AuditAction;
  target_id: string | null;
  actor_key_id: string | null;
  route: string;
  ip: string | null;
  fields: string[];
  createdAt: Date;
}

/** The facts of an authenticated request: its principal's client and key, the route pattern, the address. */
export function auditFactsOf(request: Request, principal: Principal): AuditRequestFacts {
  const pattern = (request.route as { path?: string } | undefined)?.path ?? request.path;
  return { clientId: principal.clientId, actorKeyId: principal.keyId, route: `${request.method} ${pattern}`, ip: request.ip ?? null };
}

/**
 * The audit trail's one way in: `record(facts, change)` after a change succeeded. Controllers use
 * the `@Audited(kind, action)` decorator, which calls it; code elsewhere calls it directly.
 */
@Injectable()
export class AuditLogService {
  private readonly logger = new Logger(AuditLogService.name);

  constructor(private readonly entries: AuditLogRepository) {}

  /**
   * Appends the entry. The change it describes is already made, so a failed write is logged with
   * everything the entry would have held rather than turned into an error for a change that happened.
   */
  async record(facts: AuditRequestFacts, change: AuditChange): Promise<void> {
    const entry = { ...facts, kind: change.kind, action: change.action, targetId: change.targetId, fields: change.fields ?? [] };
    try {
      await this.entries.append(entry);
    } catch (error) {
      this.logger.error({ err: error, audit: entry }, 'Could not write an audit-log entry');
    }
  }

  /** A page of the client's entries, newest first, and the cursor of the next (null: none). */
  async list(clientId: string, request: AuditPageRequest): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
    const { items, more } = await this.entries.page(clientId, request);
    const last = items.at(-1);
    return { items: items.map(toView), nextCursor: more && last ? last._id.toHexString() : null };
  }
}

function toView(entry: AuditLogRecord): AuditEntryView {
  return {
    id: entry._id.toHexString(),
    kind: entry.kind,
    action: entry.action,
    target_id: entry.target_id,
    actor_key_id: entry.actor_key_id,
    route: entry.route,
    ip: entry.ip,
    fields: entry.fields,
    createdAt: entry.createdAt,
  };
}
