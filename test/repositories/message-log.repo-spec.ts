import { Types } from 'mongoose';
import { MessageLogRepository, NewMessageLog } from '../../src/message-log/message-log.repository';
import { MessageLog, MessageLogSchema } from '../../src/message-log/message-log.schema';
import { insertMessageLogs } from '../support/message-logs';
import { describeWithMongo } from '../support/mongo';
import { createRepositoryTestBed, RepositoryTestBed } from '../support/repositories';

const DAY_MS = 24 * 60 * 60 * 1000;
const newClient = (): string => new Types.ObjectId().toHexString();

describeWithMongo('MessageLogRepository (MongoDB)', () => {
  let bed: RepositoryTestBed;
  let logs: MessageLogRepository;
  const sessionId = new Types.ObjectId().toHexString();

  beforeAll(async () => {
    bed = await createRepositoryTestBed([{ name: MessageLog.name, schema: MessageLogSchema }], [MessageLogRepository]);
    logs = bed.get(MessageLogRepository);
  });
  afterAll(() => bed.close());

  const apiMessage = (clientId: string, recipient: string): NewMessageLog => ({
    clientId,
    sessionId,
    source: 'api',
    broadcastId: null,
    recipient,
    contact: { contactId: null, name: 'Ada' },
    message: { text: 'Your order has shipped', attachments: [], location: null, contactId: null, template: { name: 'order_update', language: 'en' } },
  });

  describe('writes', () => {
    it('creates a queued entry holding the content, its template name and a fresh 16-hex message_uid', async () => {
      const clientId = newClient();
      const entry = await logs.createQueued(apiMessage(clientId, '2348031230001'));
      expect(entry).toMatchObject({
        status: 'queued',
        source: 'api',
        template_name: 'order_update',
        message: { text: 'Your order has shipped', template: { name: 'order_update', language: 'en' } },
        contact: { contact_id: null, name: 'Ada', phone: '2348031230001' },
        attempts: 0,
        cost_in_usd_cents: 0,
      });
      expect(entry.message_uid).toMatch(/^[0-9a-f]{16}$/);
      const withoutTemplate = await logs.createQueued({ ...apiMessage(clientId, '2348031230002'), message: { text: 'hi', attachments: [], location: null, contactId: null } });
      expect(withoutTemplate).toMatchObject({ template_name: null, message: { template: null } });
    });

    it('refuses a second entry with the same message_uid (the unique index)', async () => {
      const clientId = newClient();
      await logs.createQueued({ ...apiMessage(clientId, '2348031230003'), messageUid: 'aaaaaaaaaaaaaaaa' });
      await expect(logs.createQueued({ ...apiMessage(clientId, '2348031230004'), messageUid: 'aaaaaaaaaaaaaaaa' })).rejects.toMatchObject({ code: 11000 });
    });

    it('fails only an unfinished, undelivered entry', async () => {
      const clientId = newClient();
      const queued = await logs.createQueued(apiMessage(clientId, '2348031230005'));
      const failure = { code: 'queue_unavailable', message: 'The send queue was unavailable' };
      expect(await logs.markFailed(queued._id.toHexString(), failure)).toBe(true);
      expect(await logs.findForClient(clientId, queued._id.toHexString())).toMatchObject({ status: 'failed', error: failure });
      const [delivered] = await insertMessageLogs(bed, [{ clientId, sessionId, status: 'delivered' }]);
      expect(await logs.markFailed(delivered._id.toHexString(), failure)).toBe(false);
    });

    it('applies delivery reports forward only, and only to entries already sent', async () => {
      const clientId = newClient();
      // Answered newest first.
      const [read, sent, sending] = await insertMessageLogs(bed, [
        { clientId, sessionId, status: 'sending', createdAt: new Date(Date.now() - 3000) },
        { clientId, sessionId, status: 'sent', createdAt: new Date(Date.now() - 2000) },
        { clientId, sessionId, status: 'read', createdAt: new Date(Date.now() - 1000) },
      ]);
      const at = new Date();
      // Still sending: the sender writes its outcome first.
      expect(await logs.applyDeliveryStatus(sending._id.toHexString(), 'delivered', at)).toBe(false);
      expect(await logs.applyDeliveryStatus(sent._id.toHexString(), 'delivered', at)).toBe(true);
      expect(await logs.applyDeliveryStatus(sent._id.toHexString(), 'delivered', at)).toBe(false);
      // A late `delivered` never undoes `read`, and a delivered message is not failed afterwards.
      expect(await logs.applyDeliveryStatus(read._id.toHexString(), 'delivered', at)).toBe(false);
      expect(await logs.applyDeliveryStatus(sent._id.toHexString(), 'failed', at)).toBe(false);
      const statuses = await logs.statusesOf([sending, sent, read].map(({ _id }) => _id.toHexString()));
      expect([sending, sent, read].map(({ _id }) => statuses.get(_id.toHexString()))).toEqual(['sending', 'delivered', 'read']);
      const stored = await logs.findForClient(clientId, sent._id.toHexString());
      expect(stored!.status_times.deliveredAt).toEqual(at);
    });

    it('fails a sent entry that the provider reports failed, with its reason or a default one', async () => {
      const clientId = newClient();
      const [withReason, withoutReason] = await insertMessageLogs(bed, [
        { clientId, sessionId, status: 'sent' },
        { clientId, sessionId, status: 'sent' },
      ]);
      const failure = { code: '131026', message: 'Message undeliverable' };
      expect(await logs.applyDeliveryStatuses([
        { id: withReason._id.toHexString(), status: 'failed', at: new Date(), failure },
        { id: withoutReason._id.toHexString(), status: 'failed', at: new Date() },
      ])).toBe(2);
      expect(await logs.findForClient(clientId, withReason._id.toHexString())).toMatchObject({ status: 'failed', error: failure });
      expect(await logs.findForClient(clientId, withoutReason._id.toHexString())).toMatchObject({ status: 'failed', error: { code: 'delivery_failed' } });
    });

    it('lists the failed recipients of a broadcast with their reasons', async () => {
      const clientId = newClient();
      const broadcastId = new Types.ObjectId().toHexString();
      await insertMessageLogs(bed, [
        { clientId, sessionId, source: 'broadcast', broadcastId, recipient: '2348031230010', status: 'failed' },
        { clientId, sessionId, source: 'broadcast', broadcastId, recipient: '2348031230011', status: 'sent' },
        { clientId, sessionId, source: 'broadcast', recipient: '2348031230012', status: 'failed' },
      ]);
      expect(await logs.failuresOfBroadcast(broadcastId)).toEqual([{ recipient: '2348031230010', error: { code: '131026', message: 'Message undeliverable' } }]);
    });

    it('deletes entries created before a cutoff, a batch at a time', async () => {
      const clientId = newClient();
      const old = new Date('2001-01-01T00:00:00Z');
      await insertMessageLogs(bed, [0, 1, 2].map((index) => ({ clientId, sessionId, createdAt: new Date(old.getTime() + index) })));
      const [recent] = await insertMessageLogs(bed, [{ clientId, sessionId }]);
      const cutoff = new Date('2001-01-02T00:00:00Z');
      expect(await logs.deleteOlderThan(cutoff, 2)).toBe(2);
      expect(await logs.deleteOlderThan(cutoff, 2)).toBe(1);
      expect(await logs.deleteOlderThan(cutoff, 2)).toBe(0);
      expect(await logs.findForClient(clientId, recent._id.toHexString())).not.toBeNull();
    });
  });

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
      const all = await logs.listForScope({ clientId, sessionId: null }, { page: 1, limit: 10 });
      expect(all.total).toBe(3);
      expect(ids(all.items)).toEqual(ids([newest, middle, oldest]));
      const session = await logs.listForScope({ clientId, sessionId }, { page: 2, limit: 1 });
      expect(session.total).toBe(2);
      expect(ids(session.items)).toEqual(ids([oldest]));
      expect(await logs.findForClient(newClient(), oldest._id.toHexString())).toBeNull();
      expect(await logs.findForClient(clientId, 'nope')).toBeNull();
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
      const first = await logs.pageForRecipient(clientId, recipient, 2, null);
      expect(first.hasMore).toBe(true);
      expect(first.items.map(({ _id }) => _id.toHexString())).toEqual(mine.slice(0, 2).map(({ _id }) => _id.toHexString()));

      await insertMessageLogs(bed, [{ clientId, sessionId, recipient }]);
      const last = first.items[1];
      const older = await logs.pageForRecipient(clientId, recipient, 2, { createdAt: last.createdAt, id: last._id.toHexString(), direction: 'older' });
      expect(older.items.map(({ _id }) => _id.toHexString())).toEqual(mine.slice(2, 4).map(({ _id }) => _id.toHexString()));
      expect(older.hasMore).toBe(true);
      const end = older.items[1];
      const rest = await logs.pageForRecipient(clientId, recipient, 5, { createdAt: end.createdAt, id: end._id.toHexString(), direction: 'older' });
      expect(rest).toMatchObject({ hasMore: false, items: mine.slice(4).map(({ _id }) => expect.objectContaining({ _id })) });

      const top = older.items[0];
      const newer = await logs.pageForRecipient(clientId, recipient, 2, { createdAt: top.createdAt, id: top._id.toHexString(), direction: 'newer' });
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
      const page = await logs.findApiRequests(clientId, {}, { page: 1, limit: 2 });
      expect(page.counts).toEqual({ totalMessages: 5, sentCount: 3, deliveredCount: 2, readCount: 1, failedCount: 1 });
      expect(page.items.map(({ recipient }) => recipient)).toEqual(['2348031230035', '2348031230034']);
      expect(Object.keys(page.items[0]).sort()).toEqual(['_id', 'contact', 'createdAt', 'message_uid', 'recipient', 'status', 'template_name']);
      const beyond = await logs.findApiRequests(clientId, {}, { page: 9, limit: 2 });
      expect(beyond).toEqual({ counts: page.counts, items: [] });
    });

    it('filters sent=false and read=false to include messages not sent yet', async () => {
      const notSent = await logs.findApiRequests(clientId, { sent: false }, { page: 1, limit: 10 });
      expect(notSent.items.map(({ status }) => status).sort()).toEqual(['failed', 'queued']);
      expect(notSent.counts).toEqual({ totalMessages: 2, sentCount: 0, deliveredCount: 0, readCount: 0, failedCount: 1 });
      const sentUnread = await logs.findApiRequests(clientId, { sent: true, read: false }, { page: 1, limit: 10 });
      expect(sentUnread.items.map(({ status }) => status).sort()).toEqual(['delivered', 'sent']);
    });

    it('filters by whole UTC days, template, message_uid, contact name (literally, ignoring case) and number digits', async () => {
      const recipientsOf = async (filter: Parameters<MessageLogRepository['findApiRequests']>[1]) =>
        (await logs.findApiRequests(clientId, filter, { page: 1, limit: 10 })).items.map(({ recipient }) => recipient).sort();
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
      expect(await logs.findApiRequests(newClient(), {}, { page: 1, limit: 10 })).toEqual({
        counts: { totalMessages: 0, sentCount: 0, deliveredCount: 0, readCount: 0, failedCount: 0 },
        items: [],
      });
    });
  });
});
