import { Injectable } from '@nestjs/common';
import { HandlesSendJob, MessageSendResult, SendAttempt, SendJobHandler } from '../sending/sending.jobs';
import { BroadcastRecipientSender } from './broadcast-recipient-sender';
import { BROADCAST_RECIPIENT_JOB, BroadcastRecipientJobData } from './broadcast.jobs';

/** The one-recipient send jobs that versions before send groups added: still in Redis after an upgrade. */
@Injectable()
@HandlesSendJob(BROADCAST_RECIPIENT_JOB)
export class BroadcastRecipientHandler implements SendJobHandler<BroadcastRecipientJobData> {
  constructor(private readonly recipients: BroadcastRecipientSender) {}

  handle(data: BroadcastRecipientJobData, attempt: SendAttempt): Promise<MessageSendResult> {
    return this.recipients.send(data.broadcastId, data, attempt);
  }
}
