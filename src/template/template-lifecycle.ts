import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { SessionRepository } from '../auth/session.repository';
import type { PublishedEvent } from '../event-webhook/client-events';
import { EventPublisher } from '../event-webhook/event-publisher';
import { catalogueAccountOf, isSandboxAccount, wabaIdOf } from './template-account';
import { TEMPLATE_BROADCASTS, TemplateBroadcasts, TemplateUse } from './template-broadcasts';
import { broadcastHeldEvent, templateEventsOf } from './template-events';
import { TemplateChanges, TemplateKey, TemplateRepository } from './template.repository';
import type { MessageFailure } from '../message-log/message-log.repository';
import type { MessageTemplateRecord } from './template.schema';

/** The only status a template can be sent in. */
export const SENDABLE_STATUS = 'APPROVED';

/** Code of the recipients failed because their broadcast's template was disabled. */
export const TEMPLATE_DISABLED_CODE = 'template_disabled';

/** Codes of template sends refused when they start (a scheduled message or broadcast whose template changed since it was accepted). */
export const TEMPLATE_PAUSED_CODE = 'template_paused';
export const TEMPLATE_MISSING_CODE = 'template_missing';
export const TEMPLATE_NOT_APPROVED_CODE = 'template_not_approved';

/** Statuses a template comes back from to APPROVED (Meta's unpause, a review, an appeal): a broadcast starting in one waits, held. */
const RECOVERABLE_STATUSES: ReadonlySet<string> = new Set(['PAUSED', 'PENDING', 'FLAGGED', 'IN_APPEAL', 'LOCKED']);

/** What a send error says of its template's status. */
const STATUS_OF_SEND_ERROR: Readonly<Record<string, string>> = { '132015': 'PAUSED', '132016': 'DISABLED' };

/** Why a template send accepted earlier does not go out when it starts. */
export interface TemplateRefusal {
  /** The template's status now; null: no longer in the catalogue. */
  status: string | null;
  /** A broadcast waits for the template (held with paused_reason template_paused) rather than failing its recipients. */
  hold: boolean;
  failure: MessageFailure;
}

/** The refusal of sending `template` as the catalogue now holds it (`found`; null: not there), or null when it is sendable. */
export function refusalOf(template: Pick<MessageTemplateRecord, 'name' | 'language'>, found: Pick<MessageTemplateRecord, 'status' | 'rejected_reason'> | null): TemplateRefusal | null {
  const named = `Template ${template.name} (${template.language})`;
  if (!found) {
    return { status: null, hold: false, failure: { code: TEMPLATE_MISSING_CODE, message: `${named} is no longer in the catalogue (deleted since the send was accepted)` } };
  }
  if (found.status === SENDABLE_STATUS) return null;
  const hold = RECOVERABLE_STATUSES.has(found.status);
  if (found.status === 'PAUSED') {
    return { status: found.status, hold, failure: { code: TEMPLATE_PAUSED_CODE, message: `${named} was paused by WhatsApp (low quality) since the send was accepted; it can be sent again once APPROVED` } };
  }
  if (found.status === 'DISABLED') {
    return { status: found.status, hold, failure: { code: TEMPLATE_DISABLED_CODE, message: `${named} was disabled by WhatsApp since the send was accepted; it can no longer be sent` } };
  }
  const reason = found.rejected_reason ? ` (${found.rejected_reason})` : '';
  return { status: found.status, hold, failure: { code: TEMPLATE_NOT_APPROVED_CODE, message: `${named} is ${found.status}${reason} since the send was accepted; only ${SENDABLE_STATUS} templates can be sent` } };
}

/** Whether a send error says the template itself was paused or disabled (132015, 132016). */
export function isTemplateStatusError(code: string): boolean {
  return code in STATUS_OF_SEND_ERROR;
}

/** Sandbox reviews decided per run of the upkeep (or per read that finds some due). */
const REVIEWS_PER_RUN = 100;

/** One change of one client's copy of a template, and the events its update recorded (its outbox). */
export interface TemplateChange {
  before: MessageTemplateRecord;
  after: MessageTemplateRecord;
  events: PublishedEvent[];
}

/**
 * What follows when a template changes, whoever noticed (a lifecycle webhook, a sync, the sandbox):
 * the catalogue entry is updated, the client hears a `template.*` event, and the broadcasts that
 * send it are held when it stops being sendable (PAUSED), released when it is APPROVED again, and
 * ended when it is DISABLED.
 */
@Injectable()
export class TemplateLifecycle {
  private readonly logger = new Logger(TemplateLifecycle.name);

  constructor(
    private readonly templates: TemplateRepository,
    private readonly sessions: SessionRepository,
    @Optional() private readonly events?: EventPublisher,
    @Optional() @Inject(TEMPLATE_BROADCASTS) private readonly broadcasts?: TemplateBroadcasts,
  ) {}

  /** Applies a change to every client's copy of the account's template (or only `clientId`'s); answers how many copies changed. */
  async apply(account: string, key: TemplateKey, changes: TemplateChanges, clientId?: string): Promise<number> {
    const applied = await this.templates.applyChanges(account, key, changes, clientId, templateEventsOf);
    await this.announce(applied);
    return applied.length;
  }

  /**
   * What follows changes already written with their events (by a notification, or a sync that
   * found them): the events recorded on the templates are published, and the broadcasts sending
   * a template whose status changed are held, released or ended (each with its own event).
   */
  async announce(changes: TemplateChange[]): Promise<void> {
    // The template's own events first, then those of the broadcasts its change holds or releases.
    await this.events?.clientEventsRecorded(changes.map(({ after, events }) => ({ outbox: this.templates.outbox, id: after._id, events })));
    for (const { before, after } of changes) {
      if (before.status !== after.status) await this.holdBroadcasts(before, after);
    }
  }

  /**
   * A send refused because the template is paused (132015) or disabled (132016): the catalogue
   * learns it at once (pausing or ending every broadcast that sends it, with events), before
   * Meta's webhook says so. Without a catalogue, the session's broadcasts sending it are paused.
   */
  async sendRefused(clientId: string, sessionId: string, template: { name: string; language: string }, errorCode: string): Promise<void> {
    const status = STATUS_OF_SEND_ERROR[errorCode];
    if (!status) return;
    try {
      const session = await this.sessions.findForClient(clientId, sessionId);
      const account = session ? catalogueAccountOf(session) : null;
      const changed = account ? await this.apply(account, { name: template.name, language: template.language }, { status }, clientId) : 0;
      const known = account ? await this.templates.findByName(clientId, account, template.name, template.language) : null;
      if (changed === 0 && !known && status === 'PAUSED') {
        const paused = { ...template, status };
        await this.broadcasts?.pauseUsing({ clientId, sessionIds: [sessionId], name: template.name, language: template.language }, (id, at) => broadcastHeldEvent('broadcast.paused', clientId, id, paused, at));
      }
    } catch (error) {
      // The message's outcome is recorded; the webhook Meta sends about the template does the rest.
      this.logger.warn({ err: error, template: template.name }, 'Could not act on a send refused for its template');
    }
  }

  /**
   * A broadcast that starts (at its send_at, or on a resume) with a template that stopped being
   * sendable since it was accepted: held like the broadcasts of a paused template (an event says
   * so; APPROVED again resumes it), or, for a template that will not come back, its pending
   * recipients failed with the refusal's reason.
   */
  async stopBroadcastAtStart(clientId: string, broadcastId: string, template: Pick<MessageTemplateRecord, 'name' | 'language'>, refusal: TemplateRefusal): Promise<void> {
    if (!this.broadcasts) return;
    this.logger.log({ broadcastId, template: template.name, language: template.language, status: refusal.status }, 'A broadcast starting with a template that is not sendable');
    if (!refusal.hold) {
      await this.broadcasts.failPendingOf(clientId, broadcastId, refusal.failure);
      return;
    }
    await this.broadcasts.pauseOne(clientId, broadcastId, (id, at) => broadcastHeldEvent('broadcast.paused', clientId, id, { ...template, status: refusal.status ?? 'DELETED' }, at));
  }

  /** The sandbox's reviews whose time has come: APPROVED, or REJECTED for names holding "reject". */
  async settleDueReviews(now: Date = new Date()): Promise<void> {
    for (const due of await this.templates.findDueReviews(now, REVIEWS_PER_RUN)) {
      const outcome = due.review_outcome ?? SENDABLE_STATUS;
      await this.apply(due.account, { name: due.name, language: due.language }, { status: outcome, rejected_reason: outcome === 'REJECTED' ? 'INVALID_FORMAT' : null }, due.client_id.toHexString());
    }
  }

  /** Holds, releases or ends the broadcasts sending a template whose status changed; those held or released record their event. */
  private async holdBroadcasts(before: MessageTemplateRecord, after: MessageTemplateRecord): Promise<void> {
    if (!this.broadcasts) return;
    const use = await this.useOf(after);
    if (use.sessionIds.length === 0) return;
    const clientId = use.clientId;
    if (after.status === 'PAUSED') {
      const paused = await this.broadcasts.pauseUsing(use, (id, at) => broadcastHeldEvent('broadcast.paused', clientId, id, after, at));
      if (paused.length > 0) this.logger.log({ template: after.name, language: after.language, broadcasts: paused }, 'Template paused: its broadcasts are paused');
    } else if (after.status === SENDABLE_STATUS && before.status !== SENDABLE_STATUS) {
      const resumed = await this.broadcasts.resumeUsing(use, (id, at) => broadcastHeldEvent('broadcast.resumed', clientId, id, after, at));
      if (resumed.length > 0) this.logger.log({ template: after.name, language: after.language, broadcasts: resumed }, 'Template approved again: its broadcasts go on');
    } else if (after.status === 'DISABLED') {
      const message = `Template ${after.name} (${after.language}) was disabled by WhatsApp (paused for low quality too often); it can no longer be sent`;
      await this.broadcasts.failPendingUsing(use, { code: TEMPLATE_DISABLED_CODE, message });
    }
  }

  /** The client's sessions sending from the template's catalogue. */
  private async useOf(template: MessageTemplateRecord): Promise<TemplateUse> {
    const clientId = template.client_id.toHexString();
    const wabaId = wabaIdOf(template.account);
    const sessionIds = isSandboxAccount(template.account)
      ? [template.account.slice(template.account.indexOf(':') + 1)]
      : wabaId
        ? (await this.sessions.listByClientAndWabaId(clientId, wabaId)).map(({ _id }) => _id.toHexString())
        : [];
    return { clientId, sessionIds, name: template.name, language: template.language };
  }
}
