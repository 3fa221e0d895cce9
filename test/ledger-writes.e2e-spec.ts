import { Types } from 'mongoose';
import { MessageLogRepository, NewMessageLog } from '../src/message-log/message-log.repository';
import { WhatsappLogRepository, NewWhatsappLog } from '../src/whatsapp-log/whatsapp-log.repository';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

/** The sending pipeline's bulk writes, on MongoDB directly: the repository tier under the SendLedger. */
describeWithMongo('Ledger writes of the sending pipeline (repositories against MongoDB)', () => {
  let t: TestApp;
  let messageLogs: MessageLogRepository;
  let whatsappLogs: WhatsappLogRepository;
  const clientId = new Types.ObjectId().toHexString();
  const sessionId = new Types.ObjectId().toHexString();
  const broadcastId = new Types.ObjectId().toHexString();

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
    messageLogs = t.app.get(MessageLogRepository);
    whatsappLogs = t.app.get(WhatsappLogRepository);
  });
  afterAll(() => t.close());

  const recipientEntry = (recipient: string): NewMessageLog & { broadcastId: string } => ({
    clientId,
    sessionId,
    source: 'broadcast',
    broadcastId,
    recipient,
    contact: { contactId: null, name: 'Ada' },
    message: { text: 'hi', attachments: [], location: null, contactId: null },
  });

  const call = (messageLogId: string, whatsAppMessageId: string | null, costInUsdCents = 0): NewWhatsappLog => ({
    id: new Types.ObjectId().toHexString(),
    clientId,
    sessionId,
    messageLogId,
    broadcastId,
    toNumber: '2348031230001',
    fromNumber: null,
    messageText: 'hi',
    status: whatsAppMessageId ? 'sent' : 'failed',
    whatsAppMessageId,
    statusMessage: whatsAppMessageId ? null : 'refused',
    errorCode: whatsAppMessageId ? null : '131000',
    costInUsdCents,
  });

  it('creates a broadcast recipient entry in `sending` on first claim, and finds the same one when the job runs again', async () => {
    const [first, other] = await messageLogs.claimForSending([
      { kind: 'broadcast-recipient', entry: recipientEntry('2348031230001') },
      { kind: 'broadcast-recipient', entry: recipientEntry('2348031230002') },
    ]);
    expect(first).toMatchObject({ firstAttempt: true, entry: { status: 'sending', attempts: 1, recipient: '2348031230001' } });
    expect(other?.entry._id.equals(first!.entry._id)).toBe(false);
    const stored = await messageLogs.findForClient(clientId, first!.entry._id.toHexString());
    expect(stored).toMatchObject({ status: 'sending', attempts: 1, message_uid: first!.entry.message_uid, contact: { name: 'Ada' } });
    expect(stored!.status_times.sendingAt).toBeInstanceOf(Date);

    const [again] = await messageLogs.claimForSending([{ kind: 'broadcast-recipient', entry: recipientEntry('2348031230001') }]);
    expect(again).toMatchObject({ firstAttempt: false, entry: { status: 'sending', attempts: 2 } });
    expect(again!.entry._id.equals(first!.entry._id)).toBe(true);
  });

  it('moves an existing queued entry to `sending`, counts its attempts, and answers null for one that does not exist', async () => {
    const queued = await messageLogs.createQueued({ ...recipientEntry('2348031230003'), source: 'api', broadcastId: null });
    const missing = new Types.ObjectId().toHexString();
    const [claimed, none] = await messageLogs.claimForSending([{ kind: 'entry', id: queued._id.toHexString() }, { kind: 'entry', id: missing }]);
    expect(claimed).toMatchObject({ firstAttempt: true, entry: { status: 'sending', attempts: 1 } });
    expect(none).toBeNull();
    const [second] = await messageLogs.claimForSending([{ kind: 'entry', id: queued._id.toHexString() }]);
    expect(second).toMatchObject({ firstAttempt: false, entry: { status: 'sending', attempts: 2 } });
  });

  it('records attempts: accepted ids once each (a repeated write adds none), the cost, and conditional status moves', async () => {
    const [claimed] = await messageLogs.claimForSending([{ kind: 'broadcast-recipient', entry: recipientEntry('2348031230004') }]);
    const id = claimed!.entry._id.toHexString();
    await messageLogs.recordSendAttempts([{ id, providerMessageIds: ['wamid.a'], costInUsdCents: 0, outcome: { status: 'retry' } }]);
    expect(await messageLogs.findForClient(clientId, id)).toMatchObject({ status: 'sending', provider_message_ids: ['wamid.a'] });
    // Only ids the entry does not list yet are recorded; the same write repeated (a retried batch) adds neither ids nor cost.
    const sent = { id, providerMessageIds: ['wamid.b'], costInUsdCents: 2, outcome: { status: 'sent' as const } };
    await messageLogs.recordSendAttempts([sent]);
    await messageLogs.recordSendAttempts([sent]);
    expect(await messageLogs.findForClient(clientId, id)).toMatchObject({ status: 'sent', provider_message_ids: ['wamid.a', 'wamid.b'], cost_in_usd_cents: 2 });
    // A sent message is not failed by a late attempt record.
    await messageLogs.recordSendAttempts([{ id, providerMessageIds: [], costInUsdCents: 0, outcome: { status: 'failed', failure: { code: 'x', message: 'y' } } }]);
    expect((await messageLogs.findForClient(clientId, id))!.status).toBe('sent');
  });

  it('writes provider calls once however often the write is repeated, and lists the accepted ones in send order', async () => {
    const messageLogId = new Types.ObjectId().toHexString();
    const calls = [call(messageLogId, 'wamid.1', 1), call(messageLogId, null), call(messageLogId, 'wamid.2')];
    await whatsappLogs.recordProviderCalls(calls);
    await whatsappLogs.recordProviderCalls(calls);
    expect(await whatsappLogs.countForClient(clientId, [{ field: 'messageLogId', kind: 'objectId', value: messageLogId }])).toBe(3);
    expect(await whatsappLogs.acceptedCallsOfMessages([messageLogId])).toEqual([
      { messageLogId, whatsAppMessageId: 'wamid.1', costInUsdCents: 1 },
      { messageLogId, whatsAppMessageId: 'wamid.2', costInUsdCents: 0 },
    ]);
    const stored = await whatsappLogs.findOneForClient(clientId, calls[0].id, null);
    expect(stored).toMatchObject({ projectId: new Types.ObjectId(clientId), status: 'sent', incidentId: null, teamId: null, __v: 0 });
  });

  it('moves calls forward only, and rolls reports up into messages that were sent, in order', async () => {
    const [claimed] = await messageLogs.claimForSending([{ kind: 'broadcast-recipient', entry: recipientEntry('2348031230005') }]);
    const id = claimed!.entry._id.toHexString();
    await whatsappLogs.recordProviderCalls([call(id, 'wamid.r')]);
    const at = new Date();
    expect(await messageLogs.applyDeliveryStatuses([{ id, status: 'delivered', at }])).toBe(0);
    expect(await messageLogs.statusesOf([id])).toEqual(new Map([[id, 'sending']]));
    await messageLogs.recordSendAttempts([{ id, providerMessageIds: ['wamid.r'], costInUsdCents: 0, outcome: { status: 'sent' } }]);
    await whatsappLogs.advanceStatuses([
      { whatsAppMessageId: 'wamid.r', status: 'read' },
      { whatsAppMessageId: 'wamid.r', status: 'delivered' },
    ]);
    expect((await whatsappLogs.findCallsByWhatsAppMessageIds(['wamid.r']))[0].status).toBe('read');
    expect(
      await messageLogs.applyDeliveryStatuses([
        { id, status: 'delivered', at },
        { id, status: 'read', at },
        { id, status: 'delivered', at },
      ]),
    ).toBe(2);
    expect((await messageLogs.statusesOf([id])).get(id)).toBe('read');
    expect(await whatsappLogs.furthestDeliveryOfMessages([id, new Types.ObjectId().toHexString()])).toEqual(new Map([[id, { status: 'read', at: expect.any(Date) }]]));
  });
});
