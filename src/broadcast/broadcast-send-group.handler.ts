import { Injectable } from '@nestjs/common';
import { HandlesSendJob, SendAttempt, SendJobHandler, SendJobResult } from '../sending/sending.jobs';
import { BroadcastRecipientSender } from './broadcast-recipient-sender';
import { BROADCAST_SEND_GROUP_JOB, BroadcastSendGroupJobData } from './broadcast.jobs';

/**
 * The group jobs of the versions that sent about 20 recipients per send job: a worker of this
 * version still sends those left in Redis by an upgrade, never adds one. Sends the group's
 * recipients (one send job): each through
 * BroadcastRecipientSender, all at once, so that their claims and records share the ledger's
 * batches (the session's rate limit still spaces their provider calls). When some of them ask
 * for a retry, the job fails once all have ended, with an AggregateError of their errors (the
 * retry waits for the longest delay any asked for), and the retry runs the whole group again:
 * a recipient whose message already ended is found so by its claim and is not sent again.
 */
@Injectable()
@HandlesSendJob(BROADCAST_SEND_GROUP_JOB)
export class BroadcastSendGroupHandler implements SendJobHandler<BroadcastSendGroupJobData> {
  constructor(private readonly recipients: BroadcastRecipientSender) {}

  async handle({ broadcastId, recipients: group }: BroadcastSendGroupJobData, attempt: SendAttempt): Promise<SendJobResult> {
    const ended = await Promise.allSettled(group.map((recipient) => this.recipients.send(broadcastId, recipient, attempt)));
    const retries = ended.flatMap((result): unknown[] => (result.status === 'rejected' ? [result.reason] : []));
    if (retries.length > 0) {
      const first = retries[0] instanceof Error ? retries[0].message : String(retries[0]);
      throw new AggregateError(retries, `${retries.length} of ${group.length} recipients are retried: ${first}`);
    }
    const counts = { status: 'several' as const, sent: 0, failed: 0, skipped: 0 };
    for (const result of ended) if (result.status === 'fulfilled') counts[result.value.status]++;
    return counts;
  }
}
