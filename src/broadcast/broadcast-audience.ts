import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { AppConfig } from '../config';
import { MAX_TEXT_LENGTH } from '../message-content/dto/message-content.dto';
import type { MessageTemplateDto } from '../message-content/dto/message-content.dto';
import { BroadcastRepository } from './broadcast.repository';
import type { RecipientFailure } from './broadcast.schema';
import {
  keepUsedVariables,
  missingVariables,
  PersonalisableContent,
  RecipientVariables,
  renderVariables,
  requiredVariableNames,
  usedVariableNames,
} from './message-variables';
import { RecipientVariablesRepository } from './recipient-variables.repository';

/**
 * Broadcasts to an audience: the ports the audience feature fills in (who is in an audience,
 * who has consented) and the template catalogue will (a template's category), and the code that
 * turns an audience into the broadcast's recipient arrays, exactly as a `to` list becomes them.
 */

/** Where a broadcast's recipients come from instead of `to`: a saved segment, or contacts with tags. */
export interface BroadcastAudienceSpec {
  segment_id?: string;
  tags?: string[];
  /** With `tags`: contacts with all of them, or with any (default). */
  match?: 'all' | 'any';
}

/** One contact of an audience: its number, its {{contact.*}} variables, and whether it has a current opt-in. */
export interface AudienceMember {
  phone: string;
  variables: RecipientVariables;
  optedIn: boolean;
}

/** Provided by the audience feature (src/audience). */
export const BROADCAST_AUDIENCE = Symbol('BROADCAST_AUDIENCE');

export interface BroadcastAudienceSource {
  /** Problems of the audience as given (an unknown segment, bad tags), each named; nothing read beyond that. */
  check(clientId: string, audience: BroadcastAudienceSpec, problems: string[]): Promise<void>;
  /** The audience's contacts as they are now, streamed. */
  members(clientId: string, audience: BroadcastAudienceSpec): AsyncIterable<AudienceMember>;
  /** Which of these numbers have a contact with a current opt-in. */
  withCurrentOptIn(clientId: string, phones: string[]): Promise<Set<string>>;
}

/** Filled in by the template catalogue once it knows templates' categories; absent: every category is unknown. */
export const TEMPLATE_CATEGORIES = Symbol('TEMPLATE_CATEGORIES');

export interface TemplateCategories {
  /** The category Meta gave the template (MARKETING, UTILITY, AUTHENTICATION), or null when unknown. */
  categoryOf(clientId: string, sessionId: string, template: Pick<MessageTemplateDto, 'name' | 'language'>): Promise<string | null>;
}

/** require_opt_in when the request does not say: on for a marketing template, off otherwise (and while the category is unknown). */
export function requireOptInByDefault(category: string | null): boolean {
  return category?.toUpperCase() === 'MARKETING';
}

/** Failure codes of recipients refused before any provider call. */
export const NO_OPT_IN_CODE = 'no_opt_in';
export const MISSING_VARIABLE_CODE = 'missing_variable';
export const TEXT_TOO_LONG_CODE = 'text_too_long';

const NO_OPT_IN_MESSAGE = 'No current opt-in: the broadcast requires one (require_opt_in), and this number has none or has opted out since';

/** Recipients of a broadcast, as its arrays hold them. */
export interface AudienceRecipients {
  pending: string[];
  /** The variables the message uses of each pending recipient (same order). */
  variables: Array<RecipientVariables | undefined>;
  personalisedCount: number;
  failed: string[];
  failures: RecipientFailure[];
  /** Contacts the audience held (pending and failed; beyond the recipient limit not included). */
  contactCount: number;
}

/** The audience's placeholders that nothing fills: only {{contact.*}} variables have values in an audience broadcast. */
export function unfilledAudiencePlaceholders(content: PersonalisableContent): string[] {
  return requiredVariableNames(content).filter((name) => !name.startsWith('contact.'));
}

/**
 * Turns an audience's members into recipients: a member without a current opt-in (when required),
 * without a value for a placeholder that has no default, or whose text would be too long goes to
 * `failed` at once with the reason; the rest are pending, with their variables.
 */
export async function audienceRecipientsOf(
  members: AsyncIterable<AudienceMember>,
  content: PersonalisableContent,
  options: { requireOptIn: boolean; maxRecipients: number },
): Promise<AudienceRecipients> {
  const required = requiredVariableNames(content);
  const used = usedVariableNames(content);
  const result: AudienceRecipients = { pending: [], variables: [], personalisedCount: 0, failed: [], failures: [], contactCount: 0 };
  const fail = (recipient: string, code: string, message: string): void => {
    result.failed.push(recipient);
    result.failures.push({ recipient, code, message });
  };
  for await (const member of members) {
    if (result.contactCount >= options.maxRecipients) break;
    result.contactCount += 1;
    if (options.requireOptIn && !member.optedIn) {
      fail(member.phone, NO_OPT_IN_CODE, NO_OPT_IN_MESSAGE);
      continue;
    }
    const kept = keepUsedVariables(member.variables, used);
    const missing = missingVariables(required, kept);
    if (missing.length > 0) {
      fail(member.phone, MISSING_VARIABLE_CODE, `This contact has no value for ${missing.map((name) => `{{${name}}}`).join(', ')}; give it a default: {{${missing[0]}|...}}`);
      continue;
    }
    if (content.text && used.length > 0 && renderVariables(content.text, kept).length > MAX_TEXT_LENGTH) {
      fail(member.phone, TEXT_TOO_LONG_CODE, `The text filled in for this contact is longer than ${MAX_TEXT_LENGTH} characters`);
      continue;
    }
    result.pending.push(member.phone);
    result.variables.push(kept);
    if (kept) result.personalisedCount += 1;
  }
  return result;
}

/** Numbers checked for consent per query. */
const CONSENT_CHUNK_SIZE = 5000;

/** Audiences and consent for the broadcast service (at creation) and the fan-out (at send_at). */
@Injectable()
export class BroadcastAudiences {
  private readonly logger = new Logger(BroadcastAudiences.name);

  constructor(
    @Inject(BROADCAST_AUDIENCE) private readonly source: BroadcastAudienceSource,
    private readonly broadcasts: BroadcastRepository,
    private readonly recipientVariables: RecipientVariablesRepository,
    private readonly config: AppConfig,
    @Optional() @Inject(TEMPLATE_CATEGORIES) private readonly templateCategories?: TemplateCategories,
  ) {}

  /**
   * The request's require_opt_in, or its default for the template's category (off without a
   * template or a known category): the category the catalogue check put on the template, else the
   * TEMPLATE_CATEGORIES port's.
   */
  async requireOptIn(
    clientId: string,
    sessionId: string,
    explicit: boolean | undefined,
    template: (Pick<MessageTemplateDto, 'name' | 'language'> & { category?: string | null }) | null | undefined,
  ): Promise<boolean> {
    if (explicit !== undefined) return explicit;
    if (!template) return false;
    if (template.category) return requireOptInByDefault(template.category);
    if (!this.templateCategories) return false;
    return requireOptInByDefault(await this.templateCategories.categoryOf(clientId, sessionId, template));
  }

  check(clientId: string, audience: BroadcastAudienceSpec, problems: string[]): Promise<void> {
    return this.source.check(clientId, audience, problems);
  }

  /** The audience's recipients as of now. */
  resolve(clientId: string, audience: BroadcastAudienceSpec, content: PersonalisableContent, requireOptIn: boolean): Promise<AudienceRecipients> {
    return audienceRecipientsOf(this.source.members(clientId, audience), content, { requireOptIn, maxRecipients: this.config.sending.broadcastMaxRecipients });
  }

  /** Splits a `to` list by consent: numbers without a current opt-in leave `valid` for `failed`, with the reason. */
  async keepConsented(
    clientId: string,
    valid: string[],
    variables: Array<RecipientVariables | undefined>,
  ): Promise<{ valid: string[]; variables: Array<RecipientVariables | undefined>; failures: RecipientFailure[] }> {
    const consented = new Set<string>();
    for (let start = 0; start < valid.length; start += CONSENT_CHUNK_SIZE) {
      for (const phone of await this.source.withCurrentOptIn(clientId, valid.slice(start, start + CONSENT_CHUNK_SIZE))) consented.add(phone);
    }
    const kept: string[] = [];
    const keptVariables: Array<RecipientVariables | undefined> = [];
    const failures: RecipientFailure[] = [];
    valid.forEach((recipient, index) => {
      if (consented.has(recipient)) {
        kept.push(recipient);
        keptVariables.push(variables[index]);
      } else failures.push({ recipient, code: NO_OPT_IN_CODE, message: NO_OPT_IN_MESSAGE });
    });
    return { valid: kept, variables: keptVariables, failures };
  }

  /**
   * A scheduled audience broadcast that has just started sending: its audience is resolved now
   * (the segment as it is at send_at) into its recipient arrays, once, whoever gets there first.
   * Safe to repeat: a broadcast already resolved, or not an audience's, is left alone.
   */
  async resolveAtStart(broadcastId: string): Promise<void> {
    const unresolved = await this.broadcasts.findUnresolvedAudience(broadcastId);
    if (!unresolved) return;
    const clientId = unresolved.client_id.toHexString();
    const recipients = await this.resolve(clientId, audienceSpecOf(unresolved.audience), unresolved.message, unresolved.require_opt_in === true);
    // Variables first: a recipient is never pending without them (a repeat keeps those stored).
    if (recipients.personalisedCount > 0) await this.recipientVariables.store(broadcastId, recipients.pending, recipients.variables);
    const filled = await this.broadcasts.fillAudience(broadcastId, recipients);
    this.logger.log({ broadcastId, contacts: recipients.contactCount, pending: recipients.pending.length, failed: recipients.failed.length, filled }, 'Audience resolved at send_at');
  }
}

/** The audience as stored on a broadcast, as the source reads it. */
export function audienceSpecOf(stored: { segment_id?: { toHexString(): string } | null; tags?: string[] | null; match?: 'all' | 'any' | null }): BroadcastAudienceSpec {
  return stored.segment_id ? { segment_id: stored.segment_id.toHexString() } : { tags: stored.tags ?? [], match: stored.match ?? 'any' };
}
