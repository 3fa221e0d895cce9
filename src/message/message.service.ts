import { ConflictException, Injectable, Logger, NotFoundException, ServiceUnavailableException, UnprocessableEntityException } from '@nestjs/common';
import { InputValidationException, parseSendAt } from '@app/common';
import type { Principal } from '../auth';
import { SessionRepository } from '../auth/session.repository';
import { ContactService } from '../contact/contact.service';
import { MessageFailure, MessageLogRepository } from '../message-log/message-log.repository';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import type { MessageStatus } from '../message-status/message-status';
import type { MessageContent } from '../message-content/message-content.schema';
import { MessageContentValidator } from '../message-content/message-content.validator';
import { SendQueue } from '../sending/send.queue';
import { TemplateValidator } from '../template/template-validator';
import { MESSAGE_JOB, MessageJobData, messageJobId } from './message.jobs';
import { SendMessageDto } from './dto/send-message.dto';
import { fingerprintOf, IdempotencyStore } from './idempotency.store';

export interface QueuedMessage {
  message_uid: string;
  /** `scheduled`: queued to be sent at `send_at`. */
  status: 'queued' | 'scheduled';
  send_at?: string;
}

/** A POST /v1/messages message as GET/cancel answer it. */
export interface MessageView {
  _id: string;
  message_uid: string;
  status: MessageStatus;
  to: string;
  /** When a scheduled message is (or was) due; null: sent at once. */
  send_at: string | null;
  error: MessageFailure | null;
  status_times: MessageLogRecord['status_times'];
  createdAt: string;
  updatedAt: string;
}

/** The reason a cancelled message carries in the ledger. */
export const CLIENT_CANCELLED_FAILURE: MessageFailure = { code: 'cancelled', message: 'Cancelled by the client before it was sent' };

/** Code of a message that could not be put on the queue. */
const QUEUE_UNAVAILABLE_CODE = 'queue_unavailable';

/**
 * POST /v1/messages: one logical message to one recipient, written to the ledger as an
 * `api` message log and sent by the same queue, worker and per-session rate limit as
 * broadcasts.
 */
@Injectable()
export class MessageService {
  private readonly logger = new Logger(MessageService.name);

  constructor(
    private readonly messageLogs: MessageLogRepository,
    private readonly sendQueue: SendQueue,
    private readonly sessions: SessionRepository,
    private readonly contacts: ContactService,
    private readonly contentValidator: MessageContentValidator,
    private readonly idempotency: IdempotencyStore,
    private readonly templates: TemplateValidator,
  ) {}

  /** With an Idempotency-Key, the first answer is replayed for 24 hours; a different body with that key is refused. */
  async send(principal: Principal, body: SendMessageDto, idempotencyKey: string | undefined): Promise<QueuedMessage> {
    if (idempotencyKey === undefined) return this.queue(principal, body);

    const sessionId = this.sessionIdOf(principal);
    const scope = `v1-messages:${principal.clientId}`;
    // The access token is not part of what the request asks for; the session is.
    const fingerprint = fingerprintOf({
      session_id: sessionId,
      to: body.to,
      message: body.message,
      template: body.template,
      send_at: body.send_at,
      timezone: body.timezone,
    });
    const claim = await this.idempotency.claim<QueuedMessage>(scope, idempotencyKey, fingerprint);
    switch (claim.kind) {
      case 'replay':
        return claim.answer;
      case 'mismatch':
        throw new UnprocessableEntityException('This Idempotency-Key was already used with a different request body');
      case 'in-progress':
        throw new ConflictException('A request with this Idempotency-Key is still being processed; retry shortly');
      case 'claimed':
        break;
    }
    try {
      const answer = await this.queue(principal, body);
      await this.idempotency.complete(scope, idempotencyKey, fingerprint, answer);
      return answer;
    } catch (error) {
      await this.idempotency.release(scope, idempotencyKey);
      throw error;
    }
  }

  private async queue(principal: Principal, body: SendMessageDto): Promise<QueuedMessage> {
    const sessionId = this.sessionIdOf(principal);
    await this.requireHealthySession(sessionId);
    const { content: message, sendAt } = await this.validateContent(principal.clientId, sessionId, body);
    const contact = await this.contacts.findByPhone(principal.clientId, body.to);
    const entry = await this.messageLogs.createQueued({
      clientId: principal.clientId,
      sessionId,
      source: 'api',
      broadcastId: null,
      recipient: body.to,
      contact: { contactId: contact?._id.toHexString() ?? null, name: contact?.name ?? null },
      message,
      sendAt,
    });
    const id = entry._id.toHexString();
    try {
      await this.sendQueue.enqueue<MessageJobData>(sessionId, [{ id: messageJobId(id), data: { kind: MESSAGE_JOB, messageLogId: id }, notBefore: sendAt ?? undefined }]);
    } catch (error) {
      this.logger.error({ err: error, messageLogId: id }, 'Could not enqueue an API message');
      await this.messageLogs.markFailed(principal.clientId, id, { code: QUEUE_UNAVAILABLE_CODE, message: 'The send queue was unavailable' });
      throw new ServiceUnavailableException('The queue is unavailable; the message was not sent. Try again shortly.');
    }
    return sendAt ? { message_uid: entry.message_uid, status: 'scheduled', send_at: sendAt.toISOString() } : { message_uid: entry.message_uid, status: 'queued' };
  }

  /** GET /v1/messages/:id (message_uid or _id): where the client's message stands. */
  async get(clientId: string, id: string): Promise<MessageView> {
    return viewOf(await this.requireOwned(clientId, id));
  }

  /**
   * Cancels a message that has not started (scheduled, or queued and not yet taken by a worker):
   * status `cancelled`, its job removed. Should the job run anyway (it was being taken, or the
   * sweep re-adds it), the sender finds the status and sends nothing. A repeat answers the same.
   */
  async cancel(clientId: string, id: string): Promise<MessageView> {
    const entry = await this.requireOwned(clientId, id);
    if (entry.status !== 'cancelled' && !(await this.messageLogs.cancelUnstarted(entry, CLIENT_CANCELLED_FAILURE))) {
      const now = await this.requireOwned(clientId, id);
      // Cancelled by a concurrent request: the same answer.
      if (now.status !== 'cancelled') throw this.alreadyStarted(id, now.status, 'cancelled');
    }
    await this.removeJob(entry);
    return viewOf(await this.requireOwned(clientId, id));
  }

  /** Removes a message that never started (scheduled, queued or cancelled) and its job; one that started stays in the ledger (409). */
  async delete(clientId: string, id: string): Promise<void> {
    const entry = await this.requireOwned(clientId, id);
    if (!(await this.messageLogs.deleteUnstarted(entry))) throw this.alreadyStarted(id, (await this.requireOwned(clientId, id)).status, 'deleted');
    await this.removeJob(entry);
  }

  private async requireOwned(clientId: string, id: string): Promise<MessageLogRecord> {
    const entry = await this.messageLogs.findApiMessage(clientId, id);
    if (!entry) throw new NotFoundException(`Message ${id} not found`);
    return entry;
  }

  private alreadyStarted(id: string, status: MessageStatus, action: 'cancelled' | 'deleted'): ConflictException {
    const stage = status === 'sending' ? 'is already being sent' : 'has already finished';
    return new ConflictException(`Message ${id} ${stage} (status ${status}); only a scheduled or queued message can be ${action}`);
  }

  private async removeJob(entry: MessageLogRecord): Promise<void> {
    try {
      await this.sendQueue.removeJob(entry.session_id.toHexString(), messageJobId(entry._id.toHexString()));
    } catch (error) {
      // The ledger already says cancelled: a job left in Redis sends nothing when it runs.
      this.logger.warn({ err: error, messageLogId: entry._id }, 'Could not remove the job of a cancelled message');
    }
  }

  private sessionIdOf(principal: Principal): string {
    // @RequireSession() guarantees it; this only narrows the type.
    if (!principal.session) throw new InputValidationException(['session_id and access_token are required']);
    return principal.session.id;
  }

  /** A session whose provider refused its credentials sends nothing until they are fixed. */
  private async requireHealthySession(sessionId: string): Promise<void> {
    const session = await this.sessions.findById(sessionId);
    if (session && session.health !== 'healthy') {
      throw new ConflictException(
        `Session ${sessionId} cannot send: ${session.health_reason ?? 'it is marked unhealthy'}. Update its provider credentials.`,
      );
    }
  }

  /** The content as stored and when to send it (null: at once), or 400 naming every problem (nothing is written). */
  private async validateContent(clientId: string, sessionId: string, body: SendMessageDto): Promise<{ content: MessageContent; sendAt: Date | null }> {
    const problems: string[] = [];
    const content = await this.contentValidator.check(clientId, { message: body.message, template: body.template }, problems, { templatesAccepted: true });
    if (content.template) content.template = await this.templates.validateSend({ clientId, sessionId, template: content.template }, problems);
    let sendAt: Date | null = null;
    if (body.send_at !== undefined) {
      const parsed = parseSendAt(body.send_at, body.timezone);
      if (parsed.ok) sendAt = parsed.at;
      else problems.push(parsed.problem);
    } else if (body.timezone !== undefined) {
      problems.push('timezone is only used with send_at');
    }
    if (problems.length > 0) throw new InputValidationException(problems);
    return { content, sendAt };
  }
}

function viewOf(entry: MessageLogRecord): MessageView {
  return {
    _id: entry._id.toHexString(),
    message_uid: entry.message_uid,
    status: entry.status,
    to: entry.recipient,
    send_at: entry.send_at ? entry.send_at.toISOString() : null,
    error: entry.error ?? null,
    status_times: entry.status_times,
    createdAt: entry.createdAt.toISOString(),
    updatedAt: entry.updatedAt.toISOString(),
  };
}
