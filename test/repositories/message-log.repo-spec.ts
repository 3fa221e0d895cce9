import { Types } from 'mongoose';
import { MessageLogRepository, NewMessageLog } from '../../src/message-log/message-log.repository';
import { MessageLogListRepository } from '../../src/message-log/message-log-list.repository';
import { MESSAGE_LOG_MODEL } from '../../src/message-log/message-log.module';
import { insertMessageLogs } from '../support/message-logs';
import { describeWithMongo } from '../support/mongo';
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
      expect(await list.findForClient(clientId, queued._id.toHexString())).toMatchObject({ status: 'failed', error: failure });
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
      const stored = await list.findForClient(clientId, sent._id.toHexString());
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
      expect(await list.findForClient(clientId, recent._id.toHexString())).not.toBeNull();
    });
  });
});
