import { Types } from 'mongoose';
import { ContactService } from '../contact/contact.service';
import type { SendQueue } from '../sending/send.queue';
import type { NewSendJob } from '../sending/sending.jobs';
import { BroadcastSendJobs } from './broadcast-send-jobs';
import { BroadcastSendGroupJobData, broadcastSendJobId, EnqueuedBroadcast, RECIPIENTS_PER_SEND_JOB } from './broadcast.jobs';
import type { RecipientVariablesRepository } from './recipient-variables.repository';

/** The send queue as Redis would hold it: a job id added twice is one job. */
class QueueInMemory {
  readonly jobs = new Map<string, BroadcastSendGroupJobData>();
  readonly addBulkCalls: number[] = [];

  async enqueue(_sessionId: string, jobs: Array<NewSendJob<BroadcastSendGroupJobData>>): Promise<void> {
    this.addBulkCalls.push(jobs.length);
    for (const { id, data } of jobs) if (!this.jobs.has(id)) this.jobs.set(id, data);
  }

  async idsWithoutJob(ids: string[]): Promise<string[]> {
    return ids.filter((id) => !this.jobs.has(id));
  }

  recipientsQueued(): string[] {
    return [...this.jobs.values()].flatMap((data) => data.recipients.map(({ recipient }) => recipient));
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
    broadcast = { broadcastId: ids(), clientId: ids(), sessionId: ids(), activatedAt: new Date('2026-12-03T10:00:00Z'), recipientCount: 5000 };
  });

  it('adds one job per group of about twenty recipients, each recipient once, with its contact and variables', async () => {
    const recipients = numbers(5000);
    expect(await sendJobs.enqueueRecipients(broadcast, recipients)).toBe(5000);
    expect(queue.recipientsQueued().sort()).toEqual(recipients);
    expect(queue.jobs.size).toBeGreaterThan((5000 / RECIPIENTS_PER_SEND_JOB) * 0.9);
    expect(Math.max(...[...queue.jobs.values()].map((data) => data.recipients.length))).toBeLessThan(RECIPIENTS_PER_SEND_JOB * 3);
    // Jobs go to Redis about a thousand recipients at a time.
    expect(queue.addBulkCalls.length).toBeGreaterThanOrEqual(4);
    expect(queue.addBulkCalls.length).toBeLessThanOrEqual(6);
    const carried = [...queue.jobs.values()].flatMap((data) => data.recipients);
    expect(carried.find(({ recipient }) => recipient === '2348000000007')).toEqual({ recipient: '2348000000007', contact: ada });
    expect(carried.find(({ recipient }) => recipient === '2348000000003')).toEqual({ recipient: '2348000000003', contact: null, variables: { name: 'Bola' } });
  });

  it('adds nothing twice in one activation, and new jobs for a new activation', async () => {
    const recipients = numbers(300);
    await sendJobs.enqueueRecipients(broadcast, recipients);
    const jobs = queue.jobs.size;
    await sendJobs.enqueueRecipients(broadcast, recipients.slice(0, 150));
    expect(queue.jobs.size).toBe(jobs);
    await sendJobs.enqueueRecipients({ ...broadcast, activatedAt: new Date('2026-12-03T11:00:00Z') }, recipients.slice(0, 150));
    expect(queue.jobs.size).toBeGreaterThan(jobs);
  });

  it("finds a recipient's job from the broadcast alone: the recipients of a lost job, and only those, are missing", async () => {
    const recipients = numbers(400);
    await sendJobs.enqueueRecipients(broadcast, recipients);
    const lostId = broadcastSendJobId(broadcast, recipients[17]);
    const lost = queue.jobs.get(lostId)!.recipients.map(({ recipient }) => recipient);
    queue.jobs.delete(lostId);
    expect((await sendJobs.recipientsWithoutJob(broadcast, recipients)).sort()).toEqual([...lost].sort());
    // Added again, the lost recipients make that job again.
    await sendJobs.enqueueRecipients(broadcast, lost);
    expect(await sendJobs.recipientsWithoutJob(broadcast, recipients)).toEqual([]);
  });

  it('stops between chunks when asked (a broadcast stopped or paused during its fan-out)', async () => {
    let asked = 0;
    const enqueued = await sendJobs.enqueueRecipients(broadcast, numbers(5000), async () => ++asked > 2);
    expect(enqueued).toBeGreaterThan(1000);
    expect(enqueued).toBeLessThan(5000);
    expect(queue.recipientsQueued()).toHaveLength(enqueued);
  });
});
