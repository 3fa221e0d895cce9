import { Types } from 'mongoose';
import { LeaseBusyError } from '../sending/message-sender';
import { sendBackoff } from '../sending/send-backoff';
import type { MessageSendResult } from '../sending/sending.jobs';
import type { BroadcastRecipientSender } from './broadcast-recipient-sender';
import { BroadcastSendGroupHandler } from './broadcast-send-group.handler';
import { BROADCAST_SEND_GROUP_JOB, BroadcastJobRecipient } from './broadcast.jobs';

const broadcastId = new Types.ObjectId().toHexString();
const group = (...recipients: string[]): BroadcastJobRecipient[] => recipients.map((recipient) => ({ recipient, contact: null }));

describe('BroadcastSendGroupHandler', () => {
  let send: jest.Mock<Promise<MessageSendResult>, [string, BroadcastJobRecipient, { lastAttempt: boolean }]>;
  let handler: BroadcastSendGroupHandler;

  beforeEach(() => {
    send = jest.fn();
    handler = new BroadcastSendGroupHandler({ send } as unknown as BroadcastRecipientSender);
  });

  it('sends every recipient of the group at once and tells how many ended how', async () => {
    const started: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    send.mockImplementation(async (_id, { recipient }) => {
      started.push(recipient);
      await gate;
      if (recipient.endsWith('2')) return { status: 'failed', failure: { code: 'x', message: 'refused' } };
      if (recipient.endsWith('3')) return { status: 'skipped', reason: 'broadcast paused' };
      return { status: 'sent' };
    });
    const result = handler.handle({ kind: BROADCAST_SEND_GROUP_JOB, broadcastId, recipients: group('2348000000001', '2348000000002', '2348000000003', '2348000000004') }, { lastAttempt: false });
    await new Promise((resolve) => setImmediate(resolve));
    // All four are under way before any has ended: their ledger writes share batches.
    expect(started).toHaveLength(4);
    release();
    await expect(result).resolves.toEqual({ status: 'several', sent: 2, failed: 1, skipped: 1 });
    expect(send).toHaveBeenCalledWith(broadcastId, { recipient: '2348000000001', contact: null }, { lastAttempt: false });
  });

  it('fails the job once every recipient has ended when some ask for a retry, waiting as long as the longest asks', async () => {
    send.mockImplementation(async (_id, { recipient }) => {
      if (recipient.endsWith('2')) throw new LeaseBusyError(8000);
      if (recipient.endsWith('3')) throw new Error('write failed');
      return { status: 'sent' };
    });
    const failure = await handler
      .handle({ kind: BROADCAST_SEND_GROUP_JOB, broadcastId, recipients: group('2348000000001', '2348000000002', '2348000000003') }, { lastAttempt: false })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AggregateError);
    expect((failure as AggregateError).message).toBe('2 of 3 recipients are retried: Another attempt is sending this message; trying again when its lease ends');
    expect((failure as AggregateError).errors).toHaveLength(2);
    expect(send).toHaveBeenCalledTimes(3);
    expect(sendBackoff(1, failure, { delayMs: 1000 })).toBe(8000);
  });
});
