import { Types } from 'mongoose';
import { ContactService } from '../contact/contact.service';
import type { SendQueue } from '../sending/send.queue';
import type { NewSendJob } from '../sending/sending.jobs';
import { BroadcastSendJobs } from './broadcast-send-jobs';
import { BroadcastRecipientJobData, broadcastSendJobId, EnqueuedBroadcast } from './broadcast.jobs';
import type { RecipientVariablesRepository } from './recipient-variables.repository';

/** The send queue as Redis would hold it: a job id added twice is one job. */
class QueueInMemory {
  readonly jobs = new Map<string, BroadcastRecipientJobData>();
  readonly finished = new Set<string>();
  readonly addBulkCalls: number[] = [];

  async enqueue(_sessionId: string, jobs: Array<NewSendJob<BroadcastRecipientJobData>>, { replaceFinished = false } = {}): Promise<void> {
    this.addBulkCalls.push(jobs.length);
    for (const { id, data } of jobs) {
      if (replaceFinished && this.finished.delete(id)) this.jobs.delete(id);
      if (!this.jobs.has(id)) this.jobs.set(id, data);
    }
  }

  async idsWithoutJob(ids: string[]): Promise<string[]> {
    return ids.filter((id) => !this.jobs.has(id) || this.finished.has(id));
  }

  recipientsQueued(): string[] {
    return [...this.jobs.values()].map(({ recipient }) => recipient);
  }
}

const numbers = (count: number, from = 0): string[] => Array.from({ length: count }, (_unused, index) => `23480${String(from + index).padStart(8, '0')}`);

describe('BroadcastSendJobs', () => {
  const ada = { contactId: new Types.ObjectId().toHexString(), name: 'Ada' };
  let queue: QueueInMemory;
  let sendJobs: BroadcastSendJobs;
  let broadcast: EnqueuedBroadcast;

  beforeEach(() => {
    queue = new QueueInMemory();
    const contacts = { contactsByPhone: jest.fn(async (_client: string, phones: string[]) => new Map(phones.filter((phone) => phone.endsWith('7')).map((phone) => [phone, ada]))) };
    const variables = { variablesOf: jest.fn(async (_broadcast: string, recipients: string[]) => new Map(recipients.filter((recipient) => recipient.endsWith('3')).map((recipient) => [recipient, { name: 'Bola' }]))) };
    sendJobs = new BroadcastSendJobs(queue as unknown as SendQueue, contacts as unknown as ContactService, variables as unknown as RecipientVariablesRepository);
    const ids = () => new Types.ObjectId().toHexString();
    broadcast = { broadcastId: ids(), clientId: ids(), sessionId: ids(), activatedAt: new Date('2026-12-03T10:00:00Z') };
  });

  it('adds one job per recipient, with the documented id, its contact and variables, a thousand per round trip', async () => {
    const recipients = numbers(5000);
    expect(await sendJobs.enqueueRecipients(broadcast, recipients)).toBe(5000);
    expect(queue.recipientsQueued().sort()).toEqual(recipients);
    expect(queue.jobs.size).toBe(5000);
    expect(queue.addBulkCalls).toEqual([1000, 1000, 1000, 1000, 1000]);
    expect(queue.jobs.get(`${broadcast.broadcastId}:${broadcast.activatedAt!.getTime()}:2348000000007`)).toEqual({
      kind: 'broadcast-recipient',
      broadcastId: broadcast.broadcastId,
      recipient: '2348000000007',
      contact: ada,
    });
    expect(queue.jobs.get(broadcastSendJobId(broadcast, '2348000000003'))).toEqual({
      kind: 'broadcast-recipient',
      broadcastId: broadcast.broadcastId,
      recipient: '2348000000003',
      contact: null,
      variables: { name: 'Bola' },
    });
  });

  it('adds nothing twice in one activation, and new jobs for a new activation', async () => {
    const recipients = numbers(300);
    await sendJobs.enqueueRecipients(broadcast, recipients);
    await sendJobs.enqueueRecipients(broadcast, recipients.slice(0, 150));
    expect(queue.jobs.size).toBe(300);
    await sendJobs.enqueueRecipients({ ...broadcast, activatedAt: new Date('2026-12-03T11:00:00Z') }, recipients.slice(0, 150));
    expect(queue.jobs.size).toBe(450);
  });

  it("finds a recipient's job from the broadcast and the number: lost and finished ones are missing, and only those", async () => {
    const recipients = numbers(400);
    await sendJobs.enqueueRecipients(broadcast, recipients);
    queue.jobs.delete(broadcastSendJobId(broadcast, recipients[17]));
    queue.finished.add(broadcastSendJobId(broadcast, recipients[42]));
    expect(await sendJobs.recipientsWithoutJob(broadcast, recipients)).toEqual([recipients[17], recipients[42]]);
    // Added again (as the sweep does), the lost one gets a job and the finished one a new job.
    await sendJobs.enqueueRecipients(broadcast, [recipients[17], recipients[42]], { replaceFinished: true });
    expect(await sendJobs.recipientsWithoutJob(broadcast, recipients)).toEqual([]);
  });

  it('stops between chunks when asked (a broadcast stopped or paused during its fan-out)', async () => {
    let asked = 0;
    const enqueued = await sendJobs.enqueueRecipients(broadcast, numbers(5000), { shouldStop: async () => ++asked > 2 });
    expect(enqueued).toBe(2000);
    expect(queue.recipientsQueued()).toHaveLength(2000);
  });
});
