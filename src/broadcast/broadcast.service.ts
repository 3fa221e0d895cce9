import { ConflictException, Injectable, Logger, MessageEvent, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { Types } from 'mongoose';
import { Observable } from 'rxjs';
import { InputValidationException, PageRequest, PageResult, parseSendAt } from '@app/common';
import { AppConfig } from '../config';
import { RedisLocks } from '../core/redis-lock';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { MessageContentValidator } from '../message-content/message-content.validator';
import type { MessageContentDto, MessageTemplateDto } from '../message-content/dto/message-content.dto';
import { TemplateValidator } from '../template/template-validator';
import { SessionRepository } from '../auth';
import { DeliveryPlan, DeliveryPlanner, PlanInput } from './delivery-plan';
import { BroadcastPauseControl } from './broadcast-pause-control';
import { BroadcastAudiences, BroadcastAudienceSpec, unfilledAudiencePlaceholders } from './broadcast-audience';
import { BroadcastPauseSignal } from './broadcast-pause.signal';
import { RecipientEntry, recipientEntriesOf, resolveRecipients } from './broadcast-recipients';
import { BroadcastSendJobs } from './broadcast-send-jobs';
import { BroadcastStopSignal } from './broadcast-stop.signal';
import { BroadcastQueue } from './broadcast.queue';
import { BroadcastRepository, BroadcastSummary, NewBroadcast } from './broadcast.repository';
import { BroadcastAudience, broadcastCounts, BroadcastCounts, BroadcastRecord, BroadcastStatus, FINAL_BROADCAST_STATUSES, RecipientFailure, SendType } from './broadcast.schema';
import { CreateBroadcastDto } from './dto/create-broadcast.dto';
import { RecipientVariablesRepository } from './recipient-variables.repository';
import { isPersonalised, RecipientVariables, renderTemplateComponents } from './message-variables';
import type { RecipientTemplate } from '../template/template-validator';

/** Code of the failure reason of a number that could not be parsed (skip_invalid). */
export const INVALID_NUMBER_CODE = 'invalid_number';

/** A broadcast with the reason of every recipient in `failed`, and its counts. */
export type BroadcastWithFailures = BroadcastRecord & { counts: BroadcastCounts };

/** A broadcast without its recipient arrays, with its counts (fields=summary, the events stream). */
export type BroadcastSummaryView = Omit<BroadcastSummary, 'counts'> & { counts: BroadcastCounts };

/** What POST /broadcast/:id/retry did. */
export interface RetryResult {
  /** Recipients moved back from `failed` to `pending`. */
  retried: number;
  broadcast: BroadcastSummaryView;
}

/** Everything of a new broadcast but its recipients (POST /broadcast's body, or a CSV upload's fields). */
export interface BroadcastRequest {
  send_type: SendType;
  message: MessageContentDto;
  template?: MessageTemplateDto;
  skip_invalid?: boolean;
  send_at?: string;
  timezone?: string;
  /** Only contacts with a current opt-in; default per the template's category. */
  require_opt_in?: boolean;
}

/** How often the events stream reports progress. */
export const PROGRESS_EVENT_INTERVAL_MS = 1000;

/** The data of a `progress` or `completed` event. */
export interface BroadcastProgressEvent {
  _id: string;
  status: BroadcastStatus;
  counts: BroadcastCounts;
}

/** Each recipient's template components with their {{variables}} filled in, made one at a time as the check reads them. */
function* recipientTemplates(components: unknown[], recipients: string[], variables: Array<RecipientVariables | undefined>): Generator<RecipientTemplate> {
  for (let index = 0; index < recipients.length; index++) {
    yield { recipient: recipients[index], components: renderTemplateComponents(components, variables[index]) };
  }
}

/** Statuses whose failures may be retried. */
const RETRYABLE: readonly BroadcastStatus[] = ['sending', 'paused', 'completed', 'completed_with_errors', 'failed'];

/** Longest a retry holds its broadcast's retry lock (it ends long before: a read, two updates and a fan-out). */
const RETRY_LOCK_MS = 60_000;

@Injectable()
export class BroadcastService {
  private readonly logger = new Logger(BroadcastService.name);

  constructor(
    private readonly broadcasts: BroadcastRepository,
    private readonly recipientVariables: RecipientVariablesRepository,
    private readonly contentValidator: MessageContentValidator,
    private readonly messageLogs: MessageLogRepository,
    private readonly sendJobs: BroadcastSendJobs,
    private readonly broadcastQueue: BroadcastQueue,
    private readonly stopSignal: BroadcastStopSignal,
    private readonly pauseSignal: BroadcastPauseSignal,
    private readonly pauseControl: BroadcastPauseControl,
    private readonly templates: TemplateValidator,
    private readonly config: AppConfig,
    private readonly audiences: BroadcastAudiences,
    private readonly planner: DeliveryPlanner,
    private readonly sessions: SessionRepository,
    private readonly locks: RedisLocks,
  ) {}

  /** POST /broadcast: the recipients are `to` (numbers, or { number, variables } objects), or an `audience` of contacts. */
  async create(clientId: string, sessionId: string, body: CreateBroadcastDto): Promise<BroadcastRecord> {
    if (body.audience != null) return this.createForAudience(clientId, sessionId, body, body.audience);
    const problems: string[] = [];
    const entries = body.to === undefined ? [] : recipientEntriesOf(body.to, problems);
    return this.createFor(clientId, sessionId, body, entries, problems);
  }

  /** POST /broadcast/plan: the same body checked the same way (400 for the same problems but invalid numbers, which it lists), and nothing written. */
  async plan(clientId: string, sessionId: string, body: CreateBroadcastDto): Promise<DeliveryPlan> {
    if (body.audience != null) return (await this.prepareForAudience(clientId, sessionId, body, body.audience)).plan;
    const problems: string[] = [];
    const entries = body.to === undefined ? [] : recipientEntriesOf(body.to, problems);
    return this.planFor(clientId, sessionId, body, entries, problems);
  }

  /** The plan of a list (POST /broadcast/csv/plan); invalid numbers are listed in it, not refused. */
  async planFor(clientId: string, sessionId: string, request: BroadcastRequest, entries: RecipientEntry[], problems: string[] = []): Promise<DeliveryPlan> {
    return (await this.prepareList(clientId, sessionId, request, entries, problems, 'plan')).plan;
  }

  /**
   * A broadcast to an audience: checked like any other (400, nothing written), then resolved into
   * its recipient arrays now, or at send_at for a scheduled one (the fan-out resolves it then).
   */
  private async createForAudience(clientId: string, sessionId: string, request: BroadcastRequest & { to?: unknown }, spec: BroadcastAudienceSpec): Promise<BroadcastRecord> {
    const { fields, variables, plan } = await this.prepareForAudience(clientId, sessionId, request, spec);
    return this.store({ ...fields, plan }, variables);
  }

  /** An audience broadcast checked and resolved (its plan from the audience as it is now; a scheduled one is resolved again at send_at). */
  private async prepareForAudience(
    clientId: string,
    sessionId: string,
    request: BroadcastRequest & { to?: unknown },
    spec: BroadcastAudienceSpec,
  ): Promise<{ fields: NewBroadcast; variables: Array<RecipientVariables | undefined>; plan: DeliveryPlan }> {
    const problems: string[] = [];
    if (request.to !== undefined) problems.push('give either to or audience, not both');
    if (spec.segment_id === undefined && spec.tags === undefined) problems.push('audience needs segment_id or tags');
    if (spec.segment_id !== undefined && spec.tags !== undefined) problems.push('audience takes segment_id or tags, not both');
    if (spec.match !== undefined && spec.tags === undefined) problems.push('audience.match is only used with tags');
    const message = await this.contentValidator.check(clientId, { message: request.message, template: request.template }, problems, {
      templatesAccepted: request.template !== undefined,
    });
    const schedule = this.scheduleOf(request, problems);
    if (problems.length === 0) await this.audiences.check(clientId, spec, problems);
    for (const name of unfilledAudiencePlaceholders(message)) {
      problems.push(`{{${name}}} has no value in a broadcast to an audience: only {{contact.*}} variables are filled there; write {{${name}|default}}`);
    }
    // Checked against the catalogue as sent ({{contact.*}} placeholders stand for their values until the audience is resolved).
    if (message.template) message.template = await this.templates.validateSend({ clientId, sessionId, template: message.template }, problems);
    if (problems.length > 0) throw new InputValidationException(problems);
    const requireOptIn = await this.audiences.requireOptIn(clientId, sessionId, request.require_opt_in, message.template);
    const audience: BroadcastAudience = spec.segment_id
      ? { segment_id: new Types.ObjectId(spec.segment_id), match: null, contact_count: null, resolved_at: null }
      : { segment_id: null, tags: (spec.tags ?? []).map((tag) => tag.trim().toLowerCase()), match: spec.match ?? 'any', contact_count: null, resolved_at: null };
    const common = { clientId, sessionId, sendType: request.send_type, to: '', message: { ...message, template: message.template ?? null }, requireOptIn };
    const recipients = await this.audiences.resolve(clientId, spec, message, requireOptIn);
    if (recipients.contactCount === 0 && !schedule) throw new InputValidationException(['audience holds no contacts: nothing to send']);
    const plan = await this.planOf({
      clientId,
      sessionId,
      message: common.message,
      given: recipients.contactCount,
      valid: [...recipients.pending, ...recipients.failed],
      invalid: [],
      refused: recipients.failures,
    });
    if (schedule) {
      return { fields: { ...common, pending: [], failed: [], failures: [], sendAt: schedule.at, timezone: schedule.timezone, audience }, variables: [], plan };
    }
    return {
      fields: {
        ...common,
        pending: recipients.pending,
        failed: recipients.failed,
        failures: recipients.failures,
        personalised: recipients.personalisedCount > 0,
        audience: { ...audience, contact_count: recipients.contactCount, resolved_at: new Date() },
      },
      variables: recipients.variables,
      plan,
    };
  }

  /** The plan of a checked broadcast (see DeliveryPlanner), for the session it sends from. */
  private async planOf(input: Omit<PlanInput, 'session'> & { sessionId: string }): Promise<DeliveryPlan> {
    const session = await this.sessions.findForClient(input.clientId, input.sessionId);
    if (!session) throw new NotFoundException(`Session ${input.sessionId} not found`);
    return this.planner.plan({ ...input, session });
  }

  /**
   * Validates everything first (400 naming each problem, nothing written), stores the
   * broadcast with every recipient in `pending` (and their variables beside it), then durably
   * schedules its fan-out: at once, or at `send_at` (status `scheduled` until then).
   */
  async createFor(clientId: string, sessionId: string, request: BroadcastRequest, entries: RecipientEntry[], problems: string[] = []): Promise<BroadcastRecord> {
    const { fields, variables, plan } = await this.prepareList(clientId, sessionId, request, entries, problems, 'create');
    return this.store({ ...fields, plan }, variables);
  }

  /** A list broadcast checked, its recipients resolved, and its plan; a plan lists invalid numbers where creating refuses them (unless skip_invalid). */
  private async prepareList(
    clientId: string,
    sessionId: string,
    request: BroadcastRequest,
    entries: RecipientEntry[],
    problems: string[],
    mode: 'create' | 'plan',
  ): Promise<{ fields: NewBroadcast; variables: Array<RecipientVariables | undefined>; plan: DeliveryPlan }> {
    // Seed 001's wording for a message without parts, unless the broadcast sends a template.
    const message = await this.contentValidator.check(clientId, { message: request.message, template: request.template }, problems, {
      templatesAccepted: request.template !== undefined,
    });
    if (entries.length === 0) problems.push('to must contain at least one phone number');
    const schedule = this.scheduleOf(request, problems);
    const skipInvalid = request.skip_invalid === true || mode === 'plan';
    const { valid, invalid, variables, personalisedCount } = await resolveRecipients(entries, message, { skipInvalid }, problems);
    if (message.template) {
      const template = message.template;
      const perRecipient = template.components && isPersonalised({ text: null, template }) ? recipientTemplates(template.components, valid, variables) : undefined;
      message.template = await this.templates.validateSend({ clientId, sessionId, template, perRecipient }, problems);
    }
    const max = this.config.sending.broadcastMaxRecipients;
    if (valid.length > max) problems.push(`to has ${valid.length} distinct recipients; at most ${max} are allowed per broadcast`);
    if (problems.length > 0) throw new InputValidationException(problems);
    // The template as the catalogue check left it: with its category, which decides require_opt_in's default.
    const requireOptIn = await this.audiences.requireOptIn(clientId, sessionId, request.require_opt_in, message.template);
    const consented = requireOptIn ? await this.audiences.keepConsented(clientId, valid, variables) : { valid, variables, failures: [] };
    const plan = await this.planOf({ clientId, sessionId, message: { ...message, template: message.template ?? null }, given: entries.length, valid, invalid, refused: consented.failures });

    return {
      fields: {
        clientId,
        sessionId,
        sendType: request.send_type,
        to: entries.map(({ input }) => input).join(','),
        message: { ...message, template: message.template ?? null },
        pending: consented.valid,
        failed: [...invalid.map(({ input }) => input), ...consented.failures.map(({ recipient }) => recipient)],
        failures: [...invalid.map(({ input, reason }) => ({ recipient: input, code: INVALID_NUMBER_CODE, message: reason })), ...consented.failures],
        sendAt: schedule?.at ?? null,
        timezone: schedule?.timezone ?? null,
        personalised: personalisedCount > 0 && consented.variables.some(Boolean),
        requireOptIn,
      },
      variables: consented.variables,
      plan,
    };
  }

  /** Stores the broadcast and its recipients' variables, then durably schedules its fan-out (undone when that fails). */
  private async store(fields: NewBroadcast, variables: Array<RecipientVariables | undefined>): Promise<BroadcastRecord> {
    const { clientId } = fields;
    const broadcast = await this.broadcasts.create(fields);
    if (broadcast.status !== 'sending' && broadcast.status !== 'scheduled') return broadcast;
    const id = broadcast._id.toHexString();
    try {
      if (fields.personalised) await this.recipientVariables.store(id, fields.pending, variables);
      await this.broadcastQueue.scheduleFanOut(id, { at: fields.sendAt });
    } catch (error) {
      // Without its variables or a scheduled fan-out nothing would ever send: undo, so that the client can simply retry.
      this.logger.error({ err: error, broadcastId: broadcast._id }, 'Could not store the variables or schedule the fan-out of a broadcast');
      await this.broadcasts.delete(clientId, id);
      await this.recipientVariables.deleteOfBroadcast(id).catch(() => undefined);
      throw new ServiceUnavailableException('The queue or database is unavailable; the broadcast was not created. Try again shortly.');
    }
    return broadcast;
  }

  list(clientId: string, sessionId: string | null, page: PageRequest): Promise<PageResult<BroadcastRecord>> {
    return this.broadcasts.list(clientId, sessionId, page);
  }

  /** A page of broadcasts without their recipient arrays, each with its counts (fields=summary). */
  async listSummaries(clientId: string, sessionId: string | null, page: PageRequest): Promise<PageResult<BroadcastSummaryView>> {
    const { items, total } = await this.broadcasts.listSummaries(clientId, sessionId, page);
    return { items: await this.withDeliveryCounts(clientId, items), total };
  }

  /** The broadcast without its recipient arrays, with its counts. */
  async getSummary(clientId: string, id: string): Promise<BroadcastSummaryView> {
    const summary = await this.broadcasts.findOwnedSummary(clientId, id);
    if (!summary) throw new NotFoundException(`Broadcast ${id} not found`);
    const [withCounts] = await this.withDeliveryCounts(clientId, [summary]);
    return withCounts;
  }

  /** The broadcast, with `failures` holding the reason of every recipient in `failed`, and its counts. */
  async get(clientId: string, id: string): Promise<BroadcastWithFailures> {
    const found = await this.requireOwned(clientId, id);
    const delivery = (await this.messageLogs.deliveryCountsOfBroadcasts(clientId, [id])).get(id);
    const counts = broadcastCounts(
      { recipients: found.pending.length + found.sent.length + found.failed.length, pending: found.pending.length, sent: found.sent.length, failed: found.failed.length },
      delivery,
    );
    const broadcast = { ...found, counts };
    if (broadcast.failed.length === broadcast.failures.length) return broadcast;
    const failed = new Set(broadcast.failed);
    const known = new Set(broadcast.failures.map(({ recipient }) => recipient));
    const fromLedger: RecipientFailure[] = (await this.messageLogs.failuresOfBroadcast(clientId, id))
      .filter(({ recipient }) => failed.has(recipient) && !known.has(recipient))
      .map(({ recipient, error }) => ({
        recipient,
        code: error?.code ?? 'unknown',
        message: error?.message ?? 'The message could not be sent',
      }));
    return { ...broadcast, failures: [...broadcast.failures, ...fromLedger] };
  }

  /** Stops sending (queued jobs are removed, running ones check the stop signal) and keeps the record; also before a schedule starts, and while paused. */
  async cancel(clientId: string, id: string): Promise<BroadcastRecord> {
    const cancelled = await this.broadcasts.cancel(clientId, id);
    if (!cancelled) {
      const existing = await this.requireOwned(clientId, id);
      if (existing.status === 'cancelled') {
        // Idempotent, and a repeat finishes a first cancel whose stop signal never reached Redis.
        await this.stopSending(id, existing.activated_at);
        return existing;
      }
      throw new ConflictException(
        `Broadcast ${id} has already finished (${existing.status}); only a scheduled, sending or paused broadcast can be cancelled`,
      );
    }
    await this.stopSending(id, cancelled.activated_at);
    return cancelled;
  }

  /** Removes the broadcast's queued jobs first, so nothing more is sent, then the record (and its recipients' variables); its logs stay. */
  async delete(clientId: string, id: string): Promise<void> {
    const existing = await this.requireOwned(clientId, id);
    await this.stopSending(id, existing.activated_at);
    await this.broadcasts.delete(clientId, id);
    await this.recipientVariables.deleteOfBroadcast(id);
  }

  /**
   * `sending` → `paused`: queued send jobs are removed and workers skip any they still meet,
   * so the recipients not yet sent stay `pending`; messages already being sent finish.
   */
  async pause(clientId: string, id: string): Promise<BroadcastRecord> {
    const paused = await this.broadcasts.pause(clientId, id);
    const broadcast = paused ?? (await this.requireOwned(clientId, id));
    // Sending again by the time it was read: a resume came in between.
    if (broadcast.status === 'sending') throw new ConflictException(`Broadcast ${id} changed while it was being paused; try again`);
    if (broadcast.status !== 'paused') {
      throw new ConflictException(`Broadcast ${id} is ${broadcast.status}; only a sending broadcast can be paused`);
    }
    // Also on a repeat: it finishes a first pause whose signal never reached Redis.
    await this.pauseControl.hold(id, broadcast.activated_at);
    return broadcast;
  }

  /** `paused` → `sending`: what is still pending is queued again. */
  async resume(clientId: string, id: string): Promise<BroadcastRecord> {
    const resumed = await this.broadcasts.resume(clientId, id);
    if (!resumed) {
      const existing = await this.requireOwned(clientId, id);
      // A repeat after a first resume that could not reach Redis finishes it; otherwise a sending broadcast is left alone.
      if (existing.status === 'sending' && (await this.pauseSignal.isPaused(id))) return this.continueSending(existing);
      if (existing.status === 'sending') return existing;
      // Paused again by the time it was read: a pause came in between.
      if (existing.status === 'paused') throw new ConflictException(`Broadcast ${id} changed while it was being resumed; try again`);
      throw new ConflictException(`Broadcast ${id} is ${existing.status}; only a paused broadcast can be resumed`);
    }
    return this.continueSending(resumed);
  }

  /**
   * Moves the recipients that failed for a transient reason (network, throughput, server errors;
   * with `includePermanent`, every send failure) back from `failed` to `pending` in one atomic
   * update, and sends to them again. Numbers refused at creation are never retried.
   */
  async retry(clientId: string, id: string, includePermanent: boolean): Promise<RetryResult> {
    // One retry of a broadcast at a time: two at once could each requeue failures in the ledger while only one moves them back to pending.
    const run = await this.locks.runExclusive(`broadcast:retry:${id}`, RETRY_LOCK_MS, () => this.retryFailures(clientId, id, includePermanent));
    if (!run.ran) throw new ConflictException(`A retry of broadcast ${id} is under way; try again once it has ended`);
    return run.result;
  }

  private async retryFailures(clientId: string, id: string, includePermanent: boolean): Promise<RetryResult> {
    const broadcast = await this.broadcasts.findFailedRecipients(clientId, id);
    if (!broadcast) throw new NotFoundException(`Broadcast ${id} not found`);
    if (!RETRYABLE.includes(broadcast.status)) {
      throw new ConflictException(`Broadcast ${id} is ${broadcast.status}; only a sending, paused or finished (not cancelled) broadcast can be retried`);
    }
    const refused = new Set(broadcast.failures.map(({ recipient }) => recipient));
    const failed = new Set(broadcast.failed);
    const inLedger = await this.messageLogs.failuresOfBroadcast(clientId, id);
    const failedInLedger = new Set(inLedger.map(({ recipient }) => recipient));
    const eligible = [
      ...inLedger.filter(({ recipient, error }) => failed.has(recipient) && (includePermanent || error?.transient === true)).map(({ recipient }) => recipient),
      // Requeued in the ledger by an earlier retry that was interrupted before it moved them.
      ...broadcast.failed.filter((recipient) => !refused.has(recipient) && !failedInLedger.has(recipient)),
    ];
    if (eligible.length === 0) return { retried: 0, broadcast: await this.getSummary(clientId, id) };
    await this.messageLogs.requeueFailedOfBroadcast(clientId, id, eligible);
    const reopened = await this.broadcasts.returnToPending(clientId, id, eligible);
    if (!reopened) throw new ConflictException(`Broadcast ${id} changed while its failures were being retried; try again`);
    // A broadcast reopened by the retry has a new activation; one still sending keeps its own, and its window reaches the retried recipients in turn.
    if (reopened.status === 'sending') await this.broadcastQueue.scheduleFanOut(id, { activatedAt: reopened.activated_at });
    this.logger.log({ broadcastId: id, recipients: eligible.length, includePermanent }, 'Broadcast failures queued again');
    return { retried: eligible.length, broadcast: await this.getSummary(clientId, id) };
  }

  /**
   * GET /broadcast/:id/events: a `progress` event about once a second with the status and
   * counts, then one `completed` event once the broadcast has finished (completed, with
   * errors, failed or cancelled), and the stream ends; `deleted` if it is deleted meanwhile.
   * 404 before any event when the broadcast is not the client's.
   */
  async progressEvents(clientId: string, id: string, intervalMs: number = PROGRESS_EVENT_INTERVAL_MS): Promise<Observable<MessageEvent>> {
    await this.getSummary(clientId, id);
    return new Observable<MessageEvent>((subscriber) => {
      let timer: NodeJS.Timeout | undefined;
      let closed = false;
      const tick = async (): Promise<void> => {
        try {
          const summary = await this.broadcasts.findOwnedSummary(clientId, id);
          if (closed) return;
          if (!summary) {
            subscriber.next({ type: 'deleted', data: { _id: id } });
            return subscriber.complete();
          }
          const [view] = await this.withDeliveryCounts(clientId, [summary]);
          const data: BroadcastProgressEvent = { _id: id, status: view.status, counts: view.counts };
          if (FINAL_BROADCAST_STATUSES.includes(view.status)) {
            subscriber.next({ type: 'completed', data });
            return subscriber.complete();
          }
          subscriber.next({ type: 'progress', data });
        } catch (error) {
          // A failed read (MongoDB away) skips one event; the stream goes on.
          this.logger.warn({ err: error, broadcastId: id }, 'Could not read broadcast progress for its events stream');
        }
        if (!closed) timer = setTimeout(() => void tick(), intervalMs);
      };
      void tick();
      return () => {
        closed = true;
        clearTimeout(timer);
      };
    });
  }

  private async continueSending(broadcast: BroadcastRecord): Promise<BroadcastRecord> {
    await this.pauseControl.release(broadcast._id.toHexString(), broadcast.activated_at);
    return broadcast;
  }

  private async stopSending(id: string, activatedAt: Date | null | undefined): Promise<void> {
    await this.stopSignal.raise(id);
    await this.broadcastQueue.removeFanOut(id, activatedAt);
    const removed = await this.sendJobs.removeQueued(id);
    this.logger.log({ broadcastId: id, removedJobs: removed }, 'Broadcast stopped; queued jobs removed');
  }

  /** `send_at` (with `timezone`) read into an instant; problems name the field. Null: send at once. */
  private scheduleOf(request: BroadcastRequest, problems: string[]): { at: Date; timezone: string | null } | null {
    if (request.send_at === undefined) {
      if (request.timezone !== undefined) problems.push('timezone is only used with send_at');
      return null;
    }
    const parsed = parseSendAt(request.send_at, request.timezone);
    if (!parsed.ok) {
      problems.push(parsed.problem);
      return null;
    }
    return { at: parsed.at, timezone: parsed.timezone };
  }

  /** The client's broadcasts with their ledger counts. */
  private async withDeliveryCounts(clientId: string, summaries: BroadcastSummary[]): Promise<BroadcastSummaryView[]> {
    const delivery = await this.messageLogs.deliveryCountsOfBroadcasts(clientId, summaries.map(({ _id }) => _id.toHexString()));
    return summaries.map((summary) => ({
      ...summary,
      counts: broadcastCounts(summary.counts, delivery.get(summary._id.toHexString())),
    }));
  }

  private async requireOwned(clientId: string, id: string): Promise<BroadcastRecord> {
    const broadcast = await this.broadcasts.findOwned(clientId, id);
    if (!broadcast) throw new NotFoundException(`Broadcast ${id} not found`);
    return broadcast;
  }
}
