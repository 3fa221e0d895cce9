import { Injectable } from '@nestjs/common';
import { ContactService } from '../contact/contact.service';
import { SendQueue } from '../sending/send.queue';
import { BROADCAST_RECIPIENT_JOB, BroadcastRecipientJobData, broadcastJobIdPrefix, broadcastRecipientJobId } from './broadcast.jobs';
import type { BroadcastSendContext } from './broadcast.schema';
import { RecipientVariablesRepository } from './recipient-variables.repository';

/** What enqueuing needs of a broadcast: its id, its client (contacts) and its session (the send queue). */
export type EnqueuedBroadcast = Pick<BroadcastSendContext, '_id' | 'client_id' | 'session_id'>;

/** Recipients whose contacts (and variables) are looked up in one query. */
const CONTACT_LOOKUP_CHUNK_SIZE = 1000;

/** A broadcast's send jobs: adding them (with each recipient's contact), finding lost ones, removing queued ones. */
@Injectable()
export class BroadcastSendJobs {
  constructor(
    private readonly sendQueue: SendQueue,
    private readonly contacts: ContactService,
    private readonly recipientVariables: RecipientVariablesRepository,
  ) {}

  /**
   * One job per recipient, carrying the recipient's contact and {{variables}} so that sending
   * reads neither. Safe to repeat.
   */
  async enqueueRecipients(broadcast: EnqueuedBroadcast, recipients: string[]): Promise<void> {
    const broadcastId = broadcast._id.toHexString();
    for (let start = 0; start < recipients.length; start += CONTACT_LOOKUP_CHUNK_SIZE) {
      const chunk = recipients.slice(start, start + CONTACT_LOOKUP_CHUNK_SIZE);
      const [contacts, variables] = await Promise.all([
        this.contacts.contactsByPhone(broadcast.client_id.toHexString(), chunk),
        this.recipientVariables.variablesOf(broadcastId, chunk),
      ]);
      await this.sendQueue.enqueue(
        broadcast.session_id.toHexString(),
        chunk.map((recipient) => {
          const data: BroadcastRecipientJobData = { kind: BROADCAST_RECIPIENT_JOB, broadcastId, recipient, contact: contacts.get(recipient) ?? null };
          const own = variables.get(recipient);
          if (own) data.variables = own;
          return { id: broadcastRecipientJobId(broadcastId, recipient), data };
        }),
      );
    }
  }

  /** The recipients whose job is no longer in Redis (finished, or lost with Redis's data). */
  async recipientsWithoutJob(broadcastId: string, recipients: string[]): Promise<string[]> {
    const missing = new Set(await this.sendQueue.idsWithoutJob(recipients.map((recipient) => broadcastRecipientJobId(broadcastId, recipient))));
    return recipients.filter((recipient) => missing.has(broadcastRecipientJobId(broadcastId, recipient)));
  }

  /** Removes the broadcast's queued (not yet active) jobs; returns how many. */
  removeQueued(broadcastId: string): Promise<number> {
    return this.sendQueue.removeJobsWithIdPrefix(broadcastJobIdPrefix(broadcastId));
  }
}
