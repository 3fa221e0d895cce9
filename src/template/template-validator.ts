import { Injectable, Logger } from '@nestjs/common';
import { headerAttachmentOf, templateSendProblems } from '@app/whatsapp';
import { AttachmentService } from '../attachment/attachment.service';
import { SessionRepository } from '../auth/session.repository';
import type { SessionRecord } from '../auth/session.schema';
import type { MessageTemplate } from '../message-content/message-content.schema';
import { catalogueAccountOf, isSandboxAccount, wabaIdOf } from './template-account';
import { TemplateCatalogue } from './template-catalogue';
import { refusalOf, SENDABLE_STATUS, TemplateLifecycle, TemplateRefusal } from './template-lifecycle';
import { TemplateRepository } from './template.repository';
import type { MessageTemplateRecord } from './template.schema';

/** One recipient's template components once their {{variables}} are filled in. */
export interface RecipientTemplate {
  /** How a problem names the recipient (the number, or its CSV line). */
  recipient: string;
  components: unknown[] | undefined;
}

export interface TemplateSendCheck {
  clientId: string;
  sessionId: string;
  template: MessageTemplate;
  /** A broadcast whose template holds {{variables}}: each recipient's filled-in components, checked one by one. */
  perRecipient?: Iterable<RecipientTemplate>;
}

/** Distinct problems reported per send, and recipients named in each. */
const MAX_PROBLEMS = 50;
const NAMED_RECIPIENTS = 10;

/**
 * Checks a template send against the session's catalogue before anything is written: the template
 * exists in that language and is APPROVED, and the parameters match its header, body and buttons
 * (see templateSendProblems). A name the catalogue does not hold makes it sync once first. A
 * cloud-api session without a waba_id has no catalogue: its sends are not checked.
 */
@Injectable()
export class TemplateValidator {
  private readonly logger = new Logger(TemplateValidator.name);

  constructor(
    private readonly templates: TemplateRepository,
    private readonly catalogue: TemplateCatalogue,
    private readonly lifecycle: TemplateLifecycle,
    private readonly sessions: SessionRepository,
    private readonly attachments: AttachmentService,
  ) {}

  /**
   * Adds a problem per mismatch to `problems`; answers the template as it is to be stored (with its
   * category from the catalogue, for cost estimates), or as given when the session has no catalogue.
   */
  async validateSend(check: TemplateSendCheck, problems: string[]): Promise<MessageTemplate> {
    const { template } = check;
    // Whether or not the session has a catalogue: the worker uploads this attachment, so it must be the client's and of the header's kind.
    problems.push(...(await this.headerAttachmentProblems(check.clientId, template)));
    const session = await this.sessions.findForClient(check.clientId, check.sessionId);
    const account = session ? catalogueAccountOf(session) : null;
    if (!session || !account) return template;
    const found = await this.find(session, account, template);
    const where = `template ${template.name} (${template.language})`;
    if (!found) {
      const languages = await this.templates.languagesOf(check.clientId, account, template.name);
      problems.push(
        languages.length > 0
          ? `${where} does not exist in language ${template.language}; it exists in: ${languages.join(', ')}`
          : `${where} does not exist in the ${describeCatalogue(account)}`,
      );
      return template;
    }
    if (found.status !== SENDABLE_STATUS) {
      const reason = found.rejected_reason ? ` (${found.rejected_reason})` : '';
      problems.push(`${where} is ${found.status}${reason}; only ${SENDABLE_STATUS} templates can be sent`);
      return template;
    }
    if (check.perRecipient) problems.push(...this.problemsPerRecipient(found, check.perRecipient));
    else problems.push(...templateSendProblems(found, template.components));
    return { ...template, category: found.category };
  }

  /**
   * Why a template send accepted earlier cannot go out now that it starts (a scheduled message or
   * broadcast at its send_at): its template is no longer in the catalogue or no longer APPROVED.
   * Null when it may be sent, or when the session has no catalogue to ask.
   */
  async refusalAtStart(clientId: string, sessionId: string, template: Pick<MessageTemplate, 'name' | 'language'>): Promise<TemplateRefusal | null> {
    const session = await this.sessions.findForClient(clientId, sessionId);
    const account = session ? catalogueAccountOf(session) : null;
    if (!session || !account) return null;
    const found = await this.find(session, account, template);
    return refusalOf(template, found);
  }

  /**
   * A broadcast starting to send (its first fan-out at send_at, or after a resume): false when its
   * template stopped being sendable meanwhile, the broadcast then held for it or its pending
   * recipients failed with the reason (see TemplateLifecycle.stopBroadcastAtStart).
   */
  async admitBroadcastStart(clientId: string, sessionId: string, broadcastId: string, template: Pick<MessageTemplate, 'name' | 'language'>): Promise<boolean> {
    const refusal = await this.refusalAtStart(clientId, sessionId, template);
    if (!refusal) return true;
    await this.lifecycle.stopBroadcastAtStart(clientId, broadcastId, template, refusal);
    return false;
  }

  private async headerAttachmentProblems(clientId: string, template: MessageTemplate): Promise<string[]> {
    const header = headerAttachmentOf(template.components);
    if (!header) return [];
    const where = `template ${template.name} (${template.language}): header ${header.mediaType} attachment_id ${header.attachmentId.slice(0, 40)}`;
    const [attachment] = await this.attachments.findOwned(clientId, [header.attachmentId]);
    if (!attachment) return [`${where} is not one of your attachments`];
    const kind = this.attachments.mediaKindOf(attachment);
    return kind === header.mediaType ? [] : [`${where} is ${article(kind)} ${kind} (${attachment.mimetype}); the header takes ${article(header.mediaType)} ${header.mediaType}`];
  }

  /** The catalogue's entry; a name it does not hold makes a cloud-api catalogue sync once, a sandbox one settle its due reviews. */
  private async find(session: SessionRecord, account: string, template: Pick<MessageTemplate, 'name' | 'language'>): Promise<MessageTemplateRecord | null> {
    const clientId = session.client_id.toHexString();
    await this.lifecycle.settleDueReviews();
    const found = await this.templates.findByName(clientId, account, template.name, template.language);
    if (found) return found;
    try {
      await this.catalogue.sync(session);
    } catch (error) {
      // The answer still says the template is unknown; the sync's failure is for the log.
      this.logger.warn({ err: error, account }, 'Could not sync the template catalogue for a send naming an unknown template');
      if (!isSandboxAccount(account)) return null;
    }
    return this.templates.findByName(clientId, account, template.name, template.language);
  }

  /** The problems of each recipient's components, each once, naming the recipients it applies to. */
  private problemsPerRecipient(found: MessageTemplateRecord, recipients: Iterable<RecipientTemplate>): string[] {
    const byProblem = new Map<string, string[]>();
    for (const { recipient, components } of recipients) {
      for (const problem of templateSendProblems(found, components)) {
        const named = byProblem.get(problem);
        if (named) named.push(recipient);
        else if (byProblem.size < MAX_PROBLEMS) byProblem.set(problem, [recipient]);
      }
    }
    return [...byProblem].map(([problem, named]) => {
      const listed = named.slice(0, NAMED_RECIPIENTS).join(', ');
      return `${problem} for ${named.length} recipient(s): ${listed}${named.length > NAMED_RECIPIENTS ? ` and ${named.length - NAMED_RECIPIENTS} more` : ''}`;
    });
  }
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

function describeCatalogue(account: string): string {
  const wabaId = wabaIdOf(account);
  return wabaId ? `catalogue of WhatsApp Business Account ${wabaId} (synced just now)` : "sandbox session's catalogue (see GET /templates)";
}
