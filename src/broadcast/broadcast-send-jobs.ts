import { Injectable } from '@nestjs/common';
import { ContactService } from '../contact/contact.service';
import { NewSendJob } from '../sending/sending.jobs';
import { SendQueue } from '../sending/send.queue';
import { BROADCAST_RECIPIENT_JOB, BroadcastRecipientJobData, broadcastJobIdPrefix, broadcastSendJobId, EnqueuedBroadcast } from './broadcast.jobs';
import { RecipientVariablesRepository } from './recipient-variables.repository';

/** This many recipients' contacts (and variables) are looked up in one query, and their jobs added in one round trip. */
const CONTACT_LOOKUP_CHUNK_SIZE = 1000;

export interface EnqueueOptions {
  /** Asked between chunks: a broadcast stopped or paused during its fan-out adds no more. */
  shouldStop?: () => Promise<boolean>;
  /**
   * A recipient whose job in this activation has ended (kept for the dashboard) gets a new one:
   * a sweep, or a retry while the broadcast is still sending.
   */
  replaceFinished?: boolean;
}

/** A broadcast's send jobs: adding them (with each recipient's contact), finding lost ones, removing queued ones. */
@Injectable()
export class BroadcastSendJobs {
  constructor(
    private readonly sendQueue: SendQueue,
    private readonly contacts: ContactService,
    private readonly recipientVariables: RecipientVariablesRepository,
  ) {}

  /**
   * One job per recipient (see broadcastSendJobId), with its contact and {{variables}} so that
   * sending reads neither, added in chunks with one addBulk each. Safe to repeat: a recipient
   * whose job is in Redis is not added again. Answers how many recipients were enqueued.
   */
  async enqueueRecipients(broadcast: EnqueuedBroadcast, recipients: string[], { shouldStop, replaceFinished = false }: EnqueueOptions = {}): Promise<number> {
    const { broadcastId } = broadcast;
    let enqueued = 0;
    for (let start = 0; start < recipients.length; start += CONTACT_LOOKUP_CHUNK_SIZE) {
      if (shouldStop && (await shouldStop())) break;
      const chunk = recipients.slice(start, start + CONTACT_LOOKUP_CHUNK_SIZE);
      const [contacts, variables] = await Promise.all([
        this.contacts.contactsByPhone(broadcast.clientId, chunk),
        this.recipientVariables.variablesOf(broadcastId, chunk),
      ]);
      const jobs = chunk.map((recipient): NewSendJob<BroadcastRecipientJobData> => {
        const own = variables.get(recipient);
        return {
          id: broadcastSendJobId(broadcast, recipient),
          data: { kind: BROADCAST_RECIPIENT_JOB, broadcastId, recipient, contact: contacts.get(recipient) ?? null, ...(own ? { variables: own } : {}) },
        };
      });
      await this.sendQueue.enqueue(broadcast.sessionId, jobs, { replaceFinished });
      enqueued += chunk.length;
    }
    return enqueued;
  }

  /** The recipients with no job waiting or running in this activation (it ended, or was lost with Redis's data). */
  async recipientsWithoutJob(broadcast: EnqueuedBroadcast, recipients: string[]): Promise<string[]> {
    const missing = new Set(await this.sendQueue.idsWithoutJob(recipients.map((recipient) => broadcastSendJobId(broadcast, recipient))));
    return recipients.filter((recipient) => missing.has(broadcastSendJobId(broadcast, recipient)));
  }

  /** Removes the broadcast's queued (not yet active) jobs; returns how many. */
  removeQueued(broadcastId: string): Promise<number> {
    return this.sendQueue.removeJobsWithIdPrefix(broadcastJobIdPrefix(broadcastId));
  }
}
