import { Injectable } from '@nestjs/common';
import { HandlesSendJob, MessageSendResult, SendAttempt, SendJobHandler } from '../sending/sending.jobs';
import { BroadcastRecipientSender } from './broadcast-recipient-sender';
import { BROADCAST_RECIPIENT_JOB, BroadcastRecipientJobData } from './broadcast.jobs';

/** A broadcast recipient's send job (one per recipient and activation): sends through BroadcastRecipientSender. */
@Injectable()
@HandlesSendJob(BROADCAST_RECIPIENT_JOB)
export class BroadcastRecipientHandler implements SendJobHandler<BroadcastRecipientJobData> {
  constructor(private readonly recipients: BroadcastRecipientSender) {}

  handle(data: BroadcastRecipientJobData, attempt: SendAttempt): Promise<MessageSendResult> {
    return this.recipients.send(data.broadcastId, data, attempt);
  }
}
