import { Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { parseTemplateWebhook, TemplateWebhookEvent, verifyWebhookSignature } from '@app/whatsapp';
import { SessionRepository } from '../auth/session.repository';
import { CloudApiAccounts } from '../cloud-api/cloud-api-accounts';
import { wabaAccount } from './template-account';
import { TemplateCatalogue } from './template-catalogue';
import { TemplateLifecycle } from './template-lifecycle';
import type { TemplateChanges } from './template.repository';

/** Lifecycle events that bring a template back to APPROVED. */
const BACK_TO_APPROVED = new Set(['UNARCHIVED', 'REINSTATED', 'UNLOCKED', 'UNFLAGGED']);

/**
 * The template notifications of Meta's webhook (status, quality and category updates), which
 * name a WhatsApp Business Account rather than a sender number. They are applied to the
 * catalogue of each client with a session of that account whose app secret signed the body, and
 * to no one else's.
 */
@Injectable()
export class TemplateWebhookReceiver {
  private readonly logger = new Logger(TemplateWebhookReceiver.name);

  constructor(
    private readonly sessions: SessionRepository,
    private readonly accounts: CloudApiAccounts,
    private readonly lifecycle: TemplateLifecycle,
    private readonly catalogue: TemplateCatalogue,
  ) {}

  /** How many catalogue entries the notifications changed; null when the payload holds none (it is someone else's to handle). */
  async receive(rawBody: Buffer, signature: string, payload: unknown): Promise<number | null> {
    const events = parseTemplateWebhook(payload);
    if (events.length === 0) return null;
    const clientsByWaba = new Map<string, Set<string>>();
    for (const wabaId of new Set(events.map((event) => event.wabaId))) {
      const signedBy = (await this.sessions.listByWabaId(wabaId)).filter((session) => verifyWebhookSignature(rawBody, signature, this.accounts.credentialsOf(session).app_secret));
      if (signedBy.length === 0) {
        this.logger.warn(`Refused a template webhook for WABA ${wabaId}: no session of that account signed it`);
        throw new UnauthorizedException('Invalid X-Hub-Signature-256 signature');
      }
      clientsByWaba.set(wabaId, new Set(signedBy.map((session) => session.client_id.toHexString())));
    }
    let changed = 0;
    for (const event of events) {
      for (const clientId of clientsByWaba.get(event.wabaId) ?? []) {
        const applied = await this.lifecycle.apply(wabaAccount(event.wabaId), keyOf(event), changesOf(event), clientId);
        changed += applied;
        // A template the catalogue has not seen yet (created in Meta's tools): read the account afresh.
        if (applied === 0 && event.change.kind === 'status') await this.syncUnknown(event.wabaId, clientId, event);
      }
    }
    return changed;
  }

  private async syncUnknown(wabaId: string, clientId: string, event: TemplateWebhookEvent): Promise<void> {
    const [session] = await this.sessions.listByClientAndWabaId(clientId, wabaId);
    if (!session) return;
    this.logger.log({ wabaId, template: event.name }, 'Template webhook about a template the catalogue does not hold: syncing');
    this.catalogue.syncSoon(session);
  }
}

function keyOf(event: TemplateWebhookEvent): { templateId: string } | { name: string; language: string } {
  return event.templateId ? { templateId: event.templateId } : { name: event.name ?? '', language: event.language ?? '' };
}

function changesOf({ change }: TemplateWebhookEvent): TemplateChanges {
  switch (change.kind) {
    case 'status': {
      const status = BACK_TO_APPROVED.has(change.event) ? 'APPROVED' : change.event;
      return { status, rejected_reason: status === 'REJECTED' ? (change.reason ?? 'NONE') : null };
    }
    case 'quality':
      return { quality_score: change.newScore };
    case 'category':
      return { category: change.newCategory, ...(change.previousCategory ? { previous_category: change.previousCategory } : {}) };
  }
}
