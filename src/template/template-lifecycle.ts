import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { SessionRepository } from '../auth/session.repository';
import type { PublishedEvent } from '../event-webhook/client-events';
import { EventPublisher } from '../event-webhook/event-publisher';
import { catalogueAccountOf, isSandboxAccount, wabaIdOf } from './template-account';
import { TEMPLATE_BROADCASTS, TemplateBroadcasts, TemplateUse } from './template-broadcasts';
import { broadcastHeldEvent, templateChangedEvent } from './template-events';
import { TemplateChanges, TemplateKey, TemplateRepository } from './template.repository';
import type { MessageTemplateRecord } from './template.schema';

/** The only status a template can be sent in. */
export const SENDABLE_STATUS = 'APPROVED';

/** Code of the recipients failed because their broadcast's template was disabled. */
export const TEMPLATE_DISABLED_CODE = 'template_disabled';

/** What a send error says of its template's status. */
const STATUS_OF_SEND_ERROR: Readonly<Record<string, string>> = { '132015': 'PAUSED', '132016': 'DISABLED' };

/** Sandbox reviews decided per run of the upkeep (or per read that finds some due). */
const REVIEWS_PER_RUN = 100;

/** One change of one client's copy of a template. */
export interface TemplateChange {
  before: MessageTemplateRecord;
  after: MessageTemplateRecord;
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
    const applied = await this.templates.applyChanges(account, key, changes, clientId);
    await this.announce(applied);
    return applied.length;
  }

  /** Events and broadcast holds for changes already written (by a sync that found them). */
  async announce(changes: TemplateChange[]): Promise<void> {
    const events: PublishedEvent[] = [];
    for (const { before, after } of changes) {
      if (before.status !== after.status) {
        events.push(templateChangedEvent('template.status_changed', before, after));
        events.push(...(await this.holdBroadcasts(before, after)));
      }
      if (before.quality_score !== after.quality_score) events.push(templateChangedEvent('template.quality_changed', before, after));
      if (before.category !== after.category) events.push(templateChangedEvent('template.category_changed', before, after));
    }
    await this.events?.publish(events).catch((error: unknown) => this.logger.warn({ err: error }, 'Could not publish template events'));
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
        await this.broadcasts?.pauseUsing({ clientId, sessionIds: [sessionId], name: template.name, language: template.language });
      }
    } catch (error) {
      // The message's outcome is recorded; the webhook Meta sends about the template does the rest.
      this.logger.warn({ err: error, template: template.name }, 'Could not act on a send refused for its template');
    }
  }

  /** The sandbox's reviews whose time has come: APPROVED, or REJECTED for names holding "reject". */
  async settleDueReviews(now: Date = new Date()): Promise<void> {
    for (const due of await this.templates.findDueReviews(now, REVIEWS_PER_RUN)) {
      const outcome = due.review_outcome ?? SENDABLE_STATUS;
      await this.apply(due.account, { name: due.name, language: due.language }, { status: outcome, rejected_reason: outcome === 'REJECTED' ? 'INVALID_FORMAT' : null }, due.client_id.toHexString());
    }
  }

  private async holdBroadcasts(before: MessageTemplateRecord, after: MessageTemplateRecord): Promise<PublishedEvent[]> {
    if (!this.broadcasts) return [];
    const use = await this.useOf(after);
    if (use.sessionIds.length === 0) return [];
    const clientId = use.clientId;
    if (after.status === 'PAUSED') {
      const paused = await this.broadcasts.pauseUsing(use);
      if (paused.length > 0) this.logger.log({ template: after.name, language: after.language, broadcasts: paused }, 'Template paused: its broadcasts are paused');
      return paused.map((id) => broadcastHeldEvent('broadcast.paused', clientId, id, after));
    }
    if (after.status === SENDABLE_STATUS && before.status !== SENDABLE_STATUS) {
      const resumed = await this.broadcasts.resumeUsing(use);
      if (resumed.length > 0) this.logger.log({ template: after.name, language: after.language, broadcasts: resumed }, 'Template approved again: its broadcasts go on');
      return resumed.map((id) => broadcastHeldEvent('broadcast.resumed', clientId, id, after));
    }
    if (after.status === 'DISABLED') {
      const message = `Template ${after.name} (${after.language}) was disabled by WhatsApp (paused for low quality too often); it can no longer be sent`;
      await this.broadcasts.failPendingUsing(use, { code: TEMPLATE_DISABLED_CODE, message });
    }
    return [];
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
