import { Types } from 'mongoose';
import { ApiRequestFilter, ApiRequestLogRepository } from '../../src/message-log/api-request-log.repository';
import { ContactMessagesRepository } from '../../src/message-log/contact-messages.repository';
import { MessageLogListRepository } from '../../src/message-log/message-log-list.repository';
import { MESSAGE_LOG_MODEL } from '../../src/message-log/message-log.module';
import { insertMessageLogs } from '../support/message-logs';
import { describeWithMongo } from '../support/mongo';
import { createRepositoryTestBed, RepositoryTestBed } from '../support/repositories';

const DAY_MS = 24 * 60 * 60 * 1000;
const newClient = (): string => new Types.ObjectId().toHexString();

/** The ledger's three read views, each its own repository with its own query (seeds 000, 003, 004). */
describeWithMongo('The ledger\'s read views (MongoDB)', () => {
  let bed: RepositoryTestBed;
  let list: MessageLogListRepository;
  let contactMessages: ContactMessagesRepository;
  let apiRequests: ApiRequestLogRepository;
  const sessionId = new Types.ObjectId().toHexString();

  beforeAll(async () => {
    bed = await createRepositoryTestBed([MESSAGE_LOG_MODEL], [MessageLogListRepository, ContactMessagesRepository, ApiRequestLogRepository]);
    list = bed.get(MessageLogListRepository);
    contactMessages = bed.get(ContactMessagesRepository);
    apiRequests = bed.get(ApiRequestLogRepository);
  });
  afterAll(() => bed.close());

  describe('seed 000: one session, or every session of the client', () => {
    it('pages newest first, scoped to the client and, when given, the session', async () => {
      const clientId = newClient();
      const otherSession = new Types.ObjectId().toHexString();
      const now = Date.now();
      const entries = await insertMessageLogs(bed, [
        { clientId, sessionId, createdAt: new Date(now - 3000) },
        { clientId, sessionId: otherSession, createdAt: new Date(now - 2000) },
        { clientId, sessionId, createdAt: new Date(now - 1000) },
        { clientId: newClient(), sessionId, createdAt: new Date(now) },
      ]);
      const ids = (items: Array<{ _id: Types.ObjectId }>) => items.map(({ _id }) => _id.toHexString());
      const [, newest, middle, oldest] = entries.map(({ _id }) => ({ _id }));
      const all = await list.listForScope({ clientId, sessionId: null }, { page: 1, limit: 10 });
      expect(all.total).toBe(3);
      expect(ids(all.items)).toEqual(ids([newest, middle, oldest]));
      const session = await list.listForScope({ clientId, sessionId }, { page: 2, limit: 1 });
      expect(session.total).toBe(2);
      expect(ids(session.items)).toEqual(ids([oldest]));
      expect(await list.findForClient(newClient(), oldest._id.toHexString())).toBeNull();
      expect(await list.findForClient(clientId, 'nope')).toBeNull();
    });
  });

  describe('seed 003: one recipient, by cursor', () => {
    it('pages older and newer from a position, ties on createdAt broken by _id, unshifted by new messages', async () => {
      const clientId = newClient();
      const recipient = '2348031230020';
      const same = new Date(Date.now() - 10_000);
      const seeded = await insertMessageLogs(bed, [
        ...[0, 1, 2, 3].map((index) => ({ clientId, sessionId, recipient, createdAt: new Date(same.getTime() - (index + 1) * 1000) })),
        { clientId, sessionId, recipient, createdAt: same },
        { clientId, sessionId, recipient, createdAt: same },
        { clientId, sessionId, recipient: '2348031230021', createdAt: same },
      ]);
      const mine = seeded.filter((entry) => entry.recipient === recipient);
      const first = await contactMessages.pageForRecipient(clientId, recipient, 2, null);
      expect(first.hasMore).toBe(true);
      expect(first.items.map(({ _id }) => _id.toHexString())).toEqual(mine.slice(0, 2).map(({ _id }) => _id.toHexString()));

      await insertMessageLogs(bed, [{ clientId, sessionId, recipient }]);
      const last = first.items[1];
      const older = await contactMessages.pageForRecipient(clientId, recipient, 2, { createdAt: last.createdAt, id: last._id.toHexString(), direction: 'older' });
      expect(older.items.map(({ _id }) => _id.toHexString())).toEqual(mine.slice(2, 4).map(({ _id }) => _id.toHexString()));
      expect(older.hasMore).toBe(true);
      const end = older.items[1];
      const rest = await contactMessages.pageForRecipient(clientId, recipient, 5, { createdAt: end.createdAt, id: end._id.toHexString(), direction: 'older' });
      expect(rest).toMatchObject({ hasMore: false, items: mine.slice(4).map(({ _id }) => expect.objectContaining({ _id })) });

      const top = older.items[0];
      const newer = await contactMessages.pageForRecipient(clientId, recipient, 2, { createdAt: top.createdAt, id: top._id.toHexString(), direction: 'newer' });
      // Newer pages come back newest first too: the two right above the position.
      expect(newer.items.map(({ _id }) => _id.toHexString())).toEqual(mine.slice(0, 2).map(({ _id }) => _id.toHexString()));
      expect(newer.hasMore).toBe(true);
    });
  });

  describe('seed 004: API requests, counts over the filtered set', () => {
    const clientId = newClient();
    const day = (date: string, hour: number): Date => new Date(`${date}T${String(hour).padStart(2, '0')}:00:00.000Z`);

    beforeAll(async () => {
      await insertMessageLogs(bed, [
        { clientId, sessionId, status: 'queued', createdAt: day('2024-03-01', 1), contactName: 'Ada (Lagos)', recipient: '2348031230031' },
        { clientId, sessionId, status: 'sent', createdAt: day('2024-03-01', 2), templateName: 'order_update', recipient: '2348031230032' },
        { clientId, sessionId, status: 'delivered', createdAt: day('2024-03-02', 3), contactName: 'Bola', recipient: '2348031230033' },
        { clientId, sessionId, status: 'read', createdAt: day('2024-03-02', 23), templateName: 'order_update', recipient: '2348031230034' },
        { clientId, sessionId, status: 'failed', createdAt: day('2024-03-03', 0), recipient: '2348031230035', messageUid: 'feedfacefeedface' },
        { clientId, sessionId, status: 'read', source: 'broadcast', createdAt: day('2024-03-02', 4) },
        { clientId: newClient(), sessionId, status: 'read', createdAt: day('2024-03-02', 5) },
      ]);
    });

    it('counts sent (sent, delivered, read), delivered, read and failed over every API request, and pages newest first', async () => {
      const page = await apiRequests.findApiRequests(clientId, {}, { page: 1, limit: 2 });
      expect(page.counts).toEqual({ totalMessages: 5, sentCount: 3, deliveredCount: 2, readCount: 1, failedCount: 1 });
      expect(page.items.map(({ recipient }) => recipient)).toEqual(['2348031230035', '2348031230034']);
      expect(Object.keys(page.items[0]).sort()).toEqual(['_id', 'contact', 'createdAt', 'message_uid', 'recipient', 'status', 'template_name']);
      const beyond = await apiRequests.findApiRequests(clientId, {}, { page: 9, limit: 2 });
      expect(beyond).toEqual({ counts: page.counts, items: [] });
    });

    it('filters sent=false and read=false to include messages not sent yet', async () => {
      const notSent = await apiRequests.findApiRequests(clientId, { sent: false }, { page: 1, limit: 10 });
      expect(notSent.items.map(({ status }) => status).sort()).toEqual(['failed', 'queued']);
      expect(notSent.counts).toEqual({ totalMessages: 2, sentCount: 0, deliveredCount: 0, readCount: 0, failedCount: 1 });
      const sentUnread = await apiRequests.findApiRequests(clientId, { sent: true, read: false }, { page: 1, limit: 10 });
      expect(sentUnread.items.map(({ status }) => status).sort()).toEqual(['delivered', 'sent']);
    });

    it('filters by whole UTC days, template, message_uid, contact name (literally, ignoring case) and number digits', async () => {
      const recipientsOf = async (filter: ApiRequestFilter) =>
        (await apiRequests.findApiRequests(clientId, filter, { page: 1, limit: 10 })).items.map(({ recipient }) => recipient).sort();
      expect(await recipientsOf({ createdFrom: day('2024-03-02', 0), createdBefore: new Date(day('2024-03-02', 0).getTime() + DAY_MS) })).toEqual([
        '2348031230033',
        '2348031230034',
      ]);
      expect(await recipientsOf({ templateName: 'order_update' })).toEqual(['2348031230032', '2348031230034']);
      expect(await recipientsOf({ messageUid: 'feedfacefeedface' })).toEqual(['2348031230035']);
      expect(await recipientsOf({ contactName: 'ada (l' })).toEqual(['2348031230031']);
      expect(await recipientsOf({ contactName: '.*' })).toEqual([]);
      expect(await recipientsOf({ contactNumberDigits: '1230033' })).toEqual(['2348031230033']);
    });

    it('answers zero counts and no rows when nothing matches', async () => {
      expect(await apiRequests.findApiRequests(newClient(), {}, { page: 1, limit: 10 })).toEqual({
        counts: { totalMessages: 0, sentCount: 0, deliveredCount: 0, readCount: 0, failedCount: 0 },
        items: [],
      });
    });
  });
});
