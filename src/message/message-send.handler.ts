import { Injectable } from '@nestjs/common';
import type { MessageFailure } from '../message-log/message-log.repository';
import { MessageLogRepository } from '../message-log/message-log.repository';
import type { MessageLogRecord } from '../message-log/message-log.schema';
import { MessageSender } from '../sending/message-sender';
import { HandlesSendJob, SendAttempt, SendJobHandler, SendJobResult } from '../sending/sending.jobs';
import { isTemplateStatusError, TemplateLifecycle } from '../template/template-lifecycle';
import { TemplateValidator } from '../template/template-validator';
import { MESSAGE_JOB, MessageJobData } from './message.jobs';

/**
 * Sends one POST /v1/messages message: its entry was stored in `queued` (or `scheduled`) by the
 * API. A scheduled template send is checked against the catalogue again when it starts; a send
 * WhatsApp refuses because the template was paused or disabled tells the catalogue at once.
 */
@Injectable()
@HandlesSendJob(MESSAGE_JOB)
export class MessageSendHandler implements SendJobHandler<MessageJobData> {
  constructor(
    private readonly sender: MessageSender,
    private readonly messageLogs: MessageLogRepository,
    private readonly templates: TemplateValidator,
    private readonly lifecycle: TemplateLifecycle,
  ) {}

  async handle({ messageLogId }: MessageJobData, { lastAttempt }: SendAttempt): Promise<SendJobResult> {
    const outcome = await this.sender.send({ kind: 'entry', id: messageLogId }, { lastAttempt, refusal: (entry) => this.templateRefusal(entry) });
    if (!outcome) return { status: 'skipped', reason: 'message log not found' };
    if (outcome.status === 'failed' && isTemplateStatusError(outcome.failure.code)) await this.templateRefused(messageLogId, outcome.failure.code);
    return outcome;
  }

  /** A scheduled template send whose template was paused, disabled or deleted since it was accepted fails with the reason, unsent. */
  private async templateRefusal(entry: MessageLogRecord): Promise<MessageFailure | null> {
    const { template } = entry.message;
    if (!entry.send_at || !template) return null;
    const refusal = await this.templates.refusalAtStart(entry.client_id.toHexString(), entry.session_id.toHexString(), template);
    return refusal?.failure ?? null;
  }

  /** The next sends of the template are refused before the provider, and the broadcasts sending it pause (see TemplateLifecycle.sendRefused). */
  private async templateRefused(messageLogId: string, code: string): Promise<void> {
    const [entry] = await this.messageLogs.findManyById([messageLogId]);
    if (!entry?.message.template) return;
    await this.lifecycle.sendRefused(entry.client_id.toHexString(), entry.session_id.toHexString(), entry.message.template, code);
  }
}
