import { Injectable } from '@nestjs/common';
import { MessageSender } from '../sending/message-sender';
import { HandlesSendJob, SendAttempt, SendJobHandler, SendJobResult } from '../sending/sending.jobs';
import { MESSAGE_JOB, MessageJobData } from './message.jobs';

/** Sends one POST /v1/messages message: its entry was stored in `queued` by the API. */
@Injectable()
@HandlesSendJob(MESSAGE_JOB)
export class MessageSendHandler implements SendJobHandler<MessageJobData> {
  constructor(private readonly sender: MessageSender) {}

  async handle({ messageLogId }: MessageJobData, { lastAttempt }: SendAttempt): Promise<SendJobResult> {
    return (await this.sender.send({ kind: 'entry', id: messageLogId }, { lastAttempt })) ?? { status: 'skipped', reason: 'message log not found' };
  }
}
