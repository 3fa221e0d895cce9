import { BadGatewayException, ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { InputValidationException, PageRequest, PageResult } from '@app/common';
import { CloudApiTemplates, GraphTemplate, ProviderError, TemplateRequestRejected } from '@app/whatsapp';
import { SessionRepository } from '../auth/session.repository';
import type { SessionRecord } from '../auth/session.schema';
import { CloudApiAccounts } from '../cloud-api/cloud-api-accounts';
import { AppConfig } from '../config';
import { isDuplicateKeyError } from '../core/mongo-errors';
import { sandboxReviewOutcome, SANDBOX_STARTER_TEMPLATES } from './sandbox-catalogue';
import { catalogueAccountOf, isSandboxAccount, wabaIdOf } from './template-account';
import { templateEventsOf } from './template-events';
import { newTemplateProblems } from './template-shape';
import { TemplateChange, TemplateLifecycle } from './template-lifecycle';
import { CatalogueTemplate, TemplateListFilter, TemplateRepository } from './template.repository';
import type { MessageTemplateRecord } from './template.schema';
import type { CreateTemplateDto } from './dto/create-template.dto';

/** What a sync did. */
export interface SyncResult {
  account: string;
  /** Templates in the catalogue after the sync. */
  templates: number;
  /** Entries whose status, quality or category the sync found changed. */
  changed: number;
}

/**
 * The template catalogues: a cloud-api session's is its WhatsApp Business Account's, read from
 * the Graph API (on demand, at session creation, periodically, and once when a send names a
 * template it does not hold); a sandbox session's is its own, which starts with a few approved
 * templates and reviews the ones created in it after SANDBOX_TEMPLATE_REVIEW_MS.
 */
@Injectable()
export class TemplateCatalogue {
  private readonly logger = new Logger(TemplateCatalogue.name);

  constructor(
    private readonly templates: TemplateRepository,
    private readonly lifecycle: TemplateLifecycle,
    private readonly sessions: SessionRepository,
    private readonly accounts: CloudApiAccounts,
    private readonly config: AppConfig,
  ) {}

  /** The session's catalogue, or 409 for a cloud-api session without a waba_id. */
  accountOf(session: SessionRecord): string {
    const account = catalogueAccountOf(session);
    if (!account) {
      throw new ConflictException(
        `Session ${session._id.toHexString()} has no waba_id: it has no template catalogue, and its template sends are not checked. ` +
          'Create a session with credentials.waba_id (the WhatsApp Business Account id) to use templates.',
      );
    }
    return account;
  }

  /** Reads the session's catalogue afresh (the sandbox's: makes sure it has its starter templates). */
  async sync(session: SessionRecord): Promise<SyncResult> {
    const account = this.accountOf(session);
    const clientId = session.client_id.toHexString();
    if (isSandboxAccount(account)) {
      for (const starter of SANDBOX_STARTER_TEMPLATES) {
        if (await this.templates.findByName(clientId, account, starter.name, starter.language)) continue;
        await this.templates.insert(clientId, account, { ...starter, templateId: sandboxTemplateId() }).catch((error: unknown) => {
          // Another request seeded it at the same moment.
          if (!isDuplicateKeyError(error)) throw error;
        });
      }
      return { account, templates: (await this.templates.list(clientId, account, {}, { page: 1, limit: 1 })).total, changed: 0 };
    }
    const listed = await this.graph(session, 'list the templates of', (client) => client.listAll());
    const syncedAt = new Date();
    const { before, recorded } = await this.templates.replaceCatalogue(clientId, account, listed.map(catalogueTemplateOf), syncedAt, templateEventsOf);
    const after = new Map((await this.templates.list(clientId, account, {}, { page: 1, limit: Math.max(listed.length, 1) })).items.map((entry) => [keyOf(entry), entry]));
    const changes: TemplateChange[] = before.flatMap((old) => {
      const now = after.get(keyOf(old));
      const events = recorded.get(old._id.toHexString()) ?? [];
      return now && (now.status !== old.status || now.quality_score !== old.quality_score || now.category !== old.category) ? [{ before: old, after: now, events }] : [];
    });
    await this.lifecycle.announce(changes);
    this.logger.log({ account, templates: listed.length, changed: changes.length }, 'Template catalogue synced');
    return { account, templates: listed.length, changed: changes.length };
  }

  /** Syncs in the background (at session creation): a failure is logged, the periodic sync tries again. */
  syncSoon(session: SessionRecord): void {
    if (!catalogueAccountOf(session)) return;
    this.sync(session).catch((error: unknown) => this.logger.warn({ err: error, sessionId: session._id }, 'Could not sync the template catalogue of a new session'));
  }

  /** Every cloud-api account's catalogue, once per client and account (the worker's periodic sync). */
  async syncAll(): Promise<void> {
    const synced = new Set<string>();
    for (const session of await this.sessions.listByProvider('cloud-api')) {
      const account = catalogueAccountOf(session);
      const key = `${session.client_id.toHexString()}:${account}`;
      if (!account || synced.has(key) || session.health !== 'healthy') continue;
      synced.add(key);
      await this.sync(session).catch((error: unknown) => this.logger.warn({ err: error, account }, 'Periodic template sync failed; the next one tries again'));
    }
  }

  async list(session: SessionRecord, filter: TemplateListFilter, page: PageRequest): Promise<PageResult<MessageTemplateRecord>> {
    const account = this.accountOf(session);
    await this.lifecycle.settleDueReviews();
    const clientId = session.client_id.toHexString();
    await this.seedSandboxOnFirstUse(session, account);
    return this.templates.list(clientId, account, filter, page);
  }

  /**
   * A sandbox session's catalogue gets its starter templates on first use, whether that is a
   * listing, a created template or a send (which syncs on an unknown name): a template created
   * first must not leave the catalogue without them.
   */
  private async seedSandboxOnFirstUse(session: SessionRecord, account: string): Promise<void> {
    if (isSandboxAccount(account) && !(await this.templates.hasAny(session.client_id.toHexString(), account))) await this.sync(session);
  }

  async get(clientId: string, id: string): Promise<MessageTemplateRecord> {
    await this.lifecycle.settleDueReviews();
    const found = await this.templates.findOwned(clientId, id);
    if (!found) throw new NotFoundException(`Template ${id} not found`);
    return found;
  }

  /** Creates a template: submitted to Meta for review, or reviewed by the sandbox after SANDBOX_TEMPLATE_REVIEW_MS. */
  async create(session: SessionRecord, request: CreateTemplateDto): Promise<MessageTemplateRecord> {
    const problems = newTemplateProblems(request.components, request.parameter_format, request.category);
    if (problems.length > 0) throw new InputValidationException(problems);
    const account = this.accountOf(session);
    const clientId = session.client_id.toHexString();
    await this.seedSandboxOnFirstUse(session, account);
    if (await this.templates.findByName(clientId, account, request.name, request.language)) {
      throw new ConflictException(`Template ${request.name} (${request.language}) already exists; delete it first or use another name`);
    }
    const template: CatalogueTemplate = {
      templateId: sandboxTemplateId(),
      name: request.name,
      language: request.language,
      status: 'PENDING',
      category: request.category,
      components: request.components,
      parameterFormat: request.parameter_format ?? null,
      qualityScore: null,
      rejectedReason: null,
    };
    if (isSandboxAccount(account)) {
      const reviewMs = this.config.sandbox.templateReviewMs;
      const outcome = sandboxReviewOutcome(request.name);
      if (reviewMs === 0) return this.insertNew(clientId, account, { ...template, status: outcome, rejectedReason: outcome === 'REJECTED' ? 'INVALID_FORMAT' : null });
      return this.insertNew(clientId, account, template, { dueAt: new Date(Date.now() + reviewMs), outcome });
    }
    const created = await this.graph(session, 'create a template in', (client) =>
      client.create({
        name: request.name,
        language: request.language,
        category: request.category,
        components: request.components,
        ...(request.parameter_format ? { parameter_format: request.parameter_format } : {}),
      }),
    );
    return this.insertNew(clientId, account, { ...template, templateId: created.id, status: created.status.toUpperCase(), category: created.category.toUpperCase() });
  }

  /** Deletes every language of a name, or only the entry `id` of it. */
  async delete(session: SessionRecord, name: string, id?: string): Promise<number> {
    const account = this.accountOf(session);
    const clientId = session.client_id.toHexString();
    const one = id ? await this.templates.findOwned(clientId, id) : null;
    if (id && (!one || one.account !== account || one.name !== name)) throw new NotFoundException(`Template ${id} named ${name} not found`);
    if (!id && (await this.templates.languagesOf(clientId, account, name)).length === 0) throw new NotFoundException(`Template ${name} not found`);
    if (!isSandboxAccount(account)) await this.graph(session, 'delete a template of', (client) => client.delete(name, one?.template_id));
    return id ? Number(await this.templates.deleteOwned(clientId, id)) : this.templates.deleteByName(clientId, account, name);
  }

  /** The sandbox plays Meta: moves one of its templates to a status (PAUSED, DISABLED, APPROVED...) with all that follows. */
  async setSandboxStatus(session: SessionRecord, id: string, status: string, reason: string | null): Promise<MessageTemplateRecord> {
    const clientId = session.client_id.toHexString();
    const found = await this.templates.findOwned(clientId, id);
    if (!found || found.account !== catalogueAccountOf(session)) throw new NotFoundException(`Template ${id} not found`);
    if (!isSandboxAccount(found.account)) throw new ConflictException(`Template ${id} belongs to a WhatsApp Business Account: only Meta changes its status`);
    await this.lifecycle.apply(found.account, { templateId: found.template_id }, { status, rejected_reason: status === 'REJECTED' ? (reason ?? 'INVALID_FORMAT') : null }, clientId);
    return this.get(clientId, id);
  }

  private async insertNew(clientId: string, account: string, template: CatalogueTemplate, review?: { dueAt: Date; outcome: string }): Promise<MessageTemplateRecord> {
    return this.templates.insert(clientId, account, template, review).catch((error: unknown) => {
      if (isDuplicateKeyError(error)) throw new ConflictException(`Template ${template.name} (${template.language}) already exists`);
      throw error;
    });
  }

  /** A Graph API call for the session's account; Meta's refusals of the request are 400s in its words, the rest 502. */
  private async graph<T>(session: SessionRecord, what: string, call: (client: CloudApiTemplates) => Promise<T>): Promise<T> {
    const wabaId = wabaIdOf(this.accountOf(session)) ?? '';
    const credentials = this.accounts.credentialsOf(session);
    const client = new CloudApiTemplates({
      baseUrl: this.config.cloudApi.baseUrl,
      version: this.config.cloudApi.version,
      timeoutMs: this.config.cloudApi.timeoutMs,
      accessToken: credentials.access_token,
      wabaId,
    });
    try {
      return await call(client);
    } catch (error) {
      if (error instanceof TemplateRequestRejected) throw new InputValidationException([`Graph API: ${error.userMessage}`]);
      if (error instanceof ProviderError) throw new BadGatewayException(`Could not ${what} WhatsApp Business Account ${wabaId}: ${error.message}`);
      throw error;
    }
  }
}

function catalogueTemplateOf(template: GraphTemplate): CatalogueTemplate {
  return {
    templateId: template.id,
    name: template.name,
    language: template.language,
    status: template.status,
    category: template.category,
    components: template.components,
    parameterFormat: template.parameter_format ?? null,
    qualityScore: template.quality_score?.score ?? null,
    rejectedReason: template.rejected_reason && template.rejected_reason !== 'NONE' ? template.rejected_reason : null,
  };
}

function keyOf(template: Pick<MessageTemplateRecord, 'name' | 'language'>): string {
  return `${template.name}\u0000${template.language}`;
}

/** Sandbox template ids look like Meta's: 15 to 16 digits. */
function sandboxTemplateId(): string {
  return `9${String(randomInt(0, 2 ** 47)).padStart(15, '0')}`;
}
