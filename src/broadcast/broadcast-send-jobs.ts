import { Injectable } from '@nestjs/common';
import { ContactService } from '../contact/contact.service';
import { NewSendJob } from '../sending/sending.jobs';
import { SendQueue } from '../sending/send.queue';
import { BROADCAST_SEND_GROUP_JOB, BroadcastSendGroupJobData, broadcastJobIdPrefix, broadcastSendJobId, EnqueuedBroadcast } from './broadcast.jobs';
import { RecipientVariablesRepository } from './recipient-variables.repository';

/** About this many recipients' contacts (and variables) are looked up in one query, and their jobs added in one round trip. */
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
   * One job per group of recipients (see broadcastSendJobId), each recipient with its contact and
   * {{variables}} so that sending reads neither. All of a group's recipients must be in one
   * call: a group's job already in Redis is not added again (its recipients missing from it are
   * found by the sweep once it has ended). Safe to repeat. `shouldStop` is asked between chunks
   * (a broadcast stopped or paused during its fan-out); returns how many recipients were enqueued.
   */
  async enqueueRecipients(broadcast: EnqueuedBroadcast, recipients: string[], shouldStop?: () => Promise<boolean>): Promise<number> {
    const { broadcastId } = broadcast;
    const groups = new Map<string, string[]>();
    for (const recipient of recipients) {
      const jobId = broadcastSendJobId(broadcast, recipient);
      const group = groups.get(jobId);
      if (group) group.push(recipient);
      else groups.set(jobId, [recipient]);
    }
    let enqueued = 0;
    for (const chunk of chunksOfGroups(groups, CONTACT_LOOKUP_CHUNK_SIZE)) {
      if (shouldStop && (await shouldStop())) break;
      const members = chunk.flatMap(([, group]) => group);
      const [contacts, variables] = await Promise.all([
        this.contacts.contactsByPhone(broadcast.clientId, members),
        this.recipientVariables.variablesOf(broadcastId, members),
      ]);
      const jobs = chunk.map(([id, group]): NewSendJob<BroadcastSendGroupJobData> => ({
        id,
        data: {
          kind: BROADCAST_SEND_GROUP_JOB,
          broadcastId,
          recipients: group.map((recipient) => {
            const own = variables.get(recipient);
            return { recipient, contact: contacts.get(recipient) ?? null, ...(own ? { variables: own } : {}) };
          }),
        },
      }));
      await this.sendQueue.enqueue(broadcast.sessionId, jobs);
      enqueued += members.length;
    }
    return enqueued;
  }

  /** The recipients whose job is not in Redis (finished, or lost with Redis's data). */
  async recipientsWithoutJob(broadcast: EnqueuedBroadcast, recipients: string[]): Promise<string[]> {
    const jobIds = recipients.map((recipient) => broadcastSendJobId(broadcast, recipient));
    const missing = new Set(await this.sendQueue.idsWithoutJob([...new Set(jobIds)]));
    return recipients.filter((_recipient, index) => missing.has(jobIds[index]));
  }

  /** Removes the broadcast's queued (not yet active) jobs; returns how many. */
  removeQueued(broadcastId: string): Promise<number> {
    return this.sendQueue.removeJobsWithIdPrefix(broadcastJobIdPrefix(broadcastId));
  }
}

/** Whole groups, about `size` recipients per chunk. */
function* chunksOfGroups(groups: Map<string, string[]>, size: number): Generator<Array<[string, string[]]>> {
  let chunk: Array<[string, string[]]> = [];
  let members = 0;
  for (const entry of groups) {
    chunk.push(entry);
    members += entry[1].length;
    if (members >= size) {
      yield chunk;
      chunk = [];
      members = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}
