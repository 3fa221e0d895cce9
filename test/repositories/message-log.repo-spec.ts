import { createConnection, Types } from 'mongoose';
import { MessageLogRepository, NewMessageLog } from '../../src/message-log/message-log.repository';
import { MessageLogListRepository } from '../../src/message-log/message-log-list.repository';
import { MESSAGE_LOG_MODEL } from '../../src/message-log/message-log.module';
import { MESSAGE_UID_INDEX_NAME, RETIRED_MESSAGE_UID_INDEX_NAME } from '../../src/message-log/message-log.schema';
import { insertMessageLogs } from '../support/message-logs';
import { describeWithMongo, isolatedMongoUri } from '../support/mongo';
import { createRepositoryTestBed, RepositoryTestBed } from '../support/repositories';

const newClient = (): string => new Types.ObjectId().toHexString();

describeWithMongo('MessageLogRepository, the ledger\'s write side (MongoDB)', () => {
  let bed: RepositoryTestBed;
  let logs: MessageLogRepository;
  /** Reads entries back to check the writes. */
  let list: MessageLogListRepository;
  const sessionId = new Types.ObjectId().toHexString();

  beforeAll(async () => {
    bed = await createRepositoryTestBed([MESSAGE_LOG_MODEL], [MessageLogRepository, MessageLogListRepository]);
    logs = bed.get(MessageLogRepository);
    list = bed.get(MessageLogListRepository);
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

    it("refuses a client's second entry with the same message_uid (the unique index on client and message_uid)", async () => {
      const clientId = newClient();
      await logs.createQueued({ ...apiMessage(clientId, '2348031230003'), messageUid: 'aaaaaaaaaaaaaaaa' });
      await expect(logs.createQueued({ ...apiMessage(clientId, '2348031230004'), messageUid: 'aaaaaaaaaaaaaaaa' })).rejects.toMatchObject({ code: 11000 });
    });

    it('lets two clients each have an entry with the same message_uid', async () => {
      const [first, second] = [newClient(), newClient()];
      const a = await logs.createQueued({ ...apiMessage(first, '2348031230013'), messageUid: 'bbbbbbbbbbbbbbbb' });
      const b = await logs.createQueued({ ...apiMessage(second, '2348031230014'), messageUid: 'bbbbbbbbbbbbbbbb' });
      expect(a._id.equals(b._id)).toBe(false);
      expect(await list.findForClient(first, a._id.toHexString())).toMatchObject({ message_uid: 'bbbbbbbbbbbbbbbb', recipient: '2348031230013' });
      expect(await list.findForClient(second, b._id.toHexString())).toMatchObject({ message_uid: 'bbbbbbbbbbbbbbbb', recipient: '2348031230014' });
    });

    it('fails only an unfinished, undelivered entry', async () => {
      const clientId = newClient();
      const queued = await logs.createQueued(apiMessage(clientId, '2348031230005'));
      const failure = { code: 'queue_unavailable', message: 'The send queue was unavailable' };
      expect(await logs.markFailed(clientId, queued._id.toHexString(), failure)).toBe(true);
      expect(await list.findForClient(clientId, queued._id.toHexString())).toMatchObject({ status: 'failed', error: failure });
      const [delivered] = await insertMessageLogs(bed, [{ clientId, sessionId, status: 'delivered' }]);
      expect(await logs.markFailed(clientId, delivered._id.toHexString(), failure)).toBe(false);
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
      expect(await logs.applyDeliveryStatus(clientId, sending._id.toHexString(), 'delivered', at)).toBe(false);
      expect(await logs.applyDeliveryStatus(clientId, sent._id.toHexString(), 'delivered', at)).toBe(true);
      expect(await logs.applyDeliveryStatus(clientId, sent._id.toHexString(), 'delivered', at)).toBe(false);
      // The write names the entry's client (the ledger's shard key): another client's id moves nothing.
      expect(await logs.applyDeliveryStatus(newClient(), sent._id.toHexString(), 'read', at)).toBe(false);
      // A late `delivered` never undoes `read`, and a delivered message is not failed afterwards.
      expect(await logs.applyDeliveryStatus(clientId, read._id.toHexString(), 'delivered', at)).toBe(false);
      expect(await logs.applyDeliveryStatus(clientId, sent._id.toHexString(), 'failed', at)).toBe(false);
      const statuses = await logs.statusesOf([sending, sent, read].map(({ _id }) => _id.toHexString()));
      expect([sending, sent, read].map(({ _id }) => statuses.get(_id.toHexString()))).toEqual(['sending', 'delivered', 'read']);
      const stored = await list.findForClient(clientId, sent._id.toHexString());
      expect(stored!.status_times.deliveredAt).toEqual(at);
    });

    it("records each change's event on the entry in the write that makes the change, finds what is left, and takes it off (the outbox)", async () => {
      const clientId = newClient();
      const quiet = newClient();
      const entry = await logs.createQueued(apiMessage(clientId, '2348031230090'));
      const other = await logs.createQueued(apiMessage(quiet, '2348031230091'));
      const id = entry._id.toHexString();
      const sent = (of: typeof entry, client: string, event?: 'message.sent') => ({
        id: of._id.toHexString(),
        clientId: client,
        leaseToken: 't',
        providerMessageIds: [`wamid.outbox.${of._id.toHexString()}`],
        costInUsdCents: 0,
        outcome: { status: 'sent' as const },
        ...(event ? { event } : {}),
      });
      await logs.recordSendAttempts([sent(entry, clientId, 'message.sent'), sent(other, quiet)]);
      // A repeated write changes nothing, so it records nothing again.
      await logs.recordSendAttempts([sent(entry, clientId, 'message.sent')]);
      const at = new Date();
      const reports = [
        { id, clientId, status: 'delivered' as const, at },
        { id: other._id.toHexString(), clientId: quiet, status: 'delivered' as const, at },
        // Moves nothing (already delivered): no event.
        { id, clientId, status: 'delivered' as const, at },
      ];
      expect(await logs.applyDeliveryStatuses(reports, new Set([clientId]))).toBe(2);
      const pendingOf = async (entryId: string) => (await logs.findManyById([entryId]))[0].pending_events;
      expect(await pendingOf(id)).toEqual(['message.sent', 'message.delivered']);
      expect(await pendingOf(other._id.toHexString())).toBeUndefined();

      const later = new Date(Date.now() + 60_000);
      expect((await logs.findWithPendingEvents(later, 1000)).map((found) => found._id.toHexString())).toContain(id);
      expect(await logs.findWithPendingEvents(new Date(Date.now() - 60_000), 1000)).toEqual([]);
      // Published in two goes: the first leaves the other event, the second removes the field.
      await logs.clearPendingEvents([{ id, clientId, types: ['message.sent'] }]);
      expect(await pendingOf(id)).toEqual(['message.delivered']);
      await logs.clearPendingEvents([{ id, clientId, types: ['message.delivered'] }]);
      expect(await logs.findManyById([id])).toEqual([expect.not.objectContaining({ pending_events: expect.anything() })]);
      expect((await logs.findWithPendingEvents(later, 1000)).map((found) => found._id.toHexString())).not.toContain(id);
    });

    it('fails a sent entry that the provider reports failed, with its reason or a default one', async () => {
      const clientId = newClient();
      const [withReason, withoutReason] = await insertMessageLogs(bed, [
        { clientId, sessionId, status: 'sent' },
        { clientId, sessionId, status: 'sent' },
      ]);
      const failure = { code: '131026', message: 'Message undeliverable' };
      expect(await logs.applyDeliveryStatuses([
        { id: withReason._id.toHexString(), clientId, status: 'failed', at: new Date(), failure },
        { id: withoutReason._id.toHexString(), clientId, status: 'failed', at: new Date() },
      ])).toBe(2);
      expect(await list.findForClient(clientId, withReason._id.toHexString())).toMatchObject({ status: 'failed', error: failure });
      expect(await list.findForClient(clientId, withoutReason._id.toHexString())).toMatchObject({ status: 'failed', error: { code: 'delivery_failed' } });
    });

    it('lists the failed recipients of a broadcast with their reasons', async () => {
      const clientId = newClient();
      const broadcastId = new Types.ObjectId().toHexString();
      await insertMessageLogs(bed, [
        { clientId, sessionId, source: 'broadcast', broadcastId, recipient: '2348031230010', status: 'failed' },
        { clientId, sessionId, source: 'broadcast', broadcastId, recipient: '2348031230011', status: 'sent' },
        { clientId, sessionId, source: 'broadcast', recipient: '2348031230012', status: 'failed' },
      ]);
      expect(await logs.failuresOfBroadcast(clientId, broadcastId)).toEqual([{ recipient: '2348031230010', error: { code: '131026', message: 'Message undeliverable' } }]);
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
      expect(await list.findForClient(clientId, recent._id.toHexString())).not.toBeNull();
    });
  });
});

describeWithMongo('MessageLogRepository at start-up on an existing ledger (MongoDB)', () => {
  it('drops the unique index on message_uid alone, once the one on (client_id, message_uid) is built', async () => {
    const uri = isolatedMongoUri();
    // What earlier versions built.
    const existing = await createConnection(uri).asPromise();
    await existing.collection('message_logs').createIndex({ message_uid: 1 }, { unique: true, name: RETIRED_MESSAGE_UID_INDEX_NAME });
    await existing.close();

    const bed = await createRepositoryTestBed([MESSAGE_LOG_MODEL], [MessageLogRepository], uri);
    try {
      const indexes = await bed.connection.collection('message_logs').indexes();
      expect(indexes.map((index) => index.name)).not.toContain(RETIRED_MESSAGE_UID_INDEX_NAME);
      expect(indexes).toContainEqual(expect.objectContaining({ name: MESSAGE_UID_INDEX_NAME, key: { client_id: 1, message_uid: 1 }, unique: true }));
      const ledger = bed.connection.collection('message_logs');
      const logs = bed.get(MessageLogRepository);
      // Again (another process, the next start): nothing to drop, no error.
      await expect(logs.dropRetiredIndexes()).resolves.toBeUndefined();
      // Without a unique index on (client_id, message_uid) the old one is kept: entries stay unique throughout.
      await ledger.dropIndex(MESSAGE_UID_INDEX_NAME);
      await ledger.createIndex({ message_uid: 1 }, { unique: true, name: RETIRED_MESSAGE_UID_INDEX_NAME });
      await logs.dropRetiredIndexes();
      expect((await ledger.indexes()).map((index) => index.name)).toContain(RETIRED_MESSAGE_UID_INDEX_NAME);
      await ledger.createIndex({ client_id: 1, message_uid: 1 }, { unique: true, name: MESSAGE_UID_INDEX_NAME });
      await logs.dropRetiredIndexes();
      expect((await ledger.indexes()).map((index) => index.name)).not.toContain(RETIRED_MESSAGE_UID_INDEX_NAME);
      // Two clients' entries may share a message_uid now.
      const message = { text: 'hi', attachments: [], location: null, contactId: null };
      const entry = (clientId: string): NewMessageLog => ({ clientId, sessionId: new Types.ObjectId().toHexString(), source: 'api', broadcastId: null, recipient: '2348031230020', contact: { contactId: null, name: null }, message, messageUid: 'cccccccccccccccc' });
      await logs.createQueued(entry(newClient()));
      await expect(logs.createQueued(entry(newClient()))).resolves.toMatchObject({ message_uid: 'cccccccccccccccc' });
    } finally {
      await bed.close();
    }
  });
});
