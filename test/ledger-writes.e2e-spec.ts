import { getModelToken } from '@nestjs/mongoose';
import { Model, mongo, Types } from 'mongoose';
import { MessageLog } from '../src/message-log/message-log.schema';
import { MessageLogListRepository } from '../src/message-log/message-log-list.repository';
import { LeaseRequest, MessageLogRepository, NewMessageLog, SendTarget } from '../src/message-log/message-log.repository';
import { WhatsappLogRepository, NewWhatsappLog } from '../src/whatsapp-log/whatsapp-log.repository';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

/** The sending pipeline's bulk writes, on MongoDB directly: the repository tier under the SendLedger. */
describeWithMongo('Ledger writes of the sending pipeline (repositories against MongoDB)', () => {
  let t: TestApp;
  let messageLogs: MessageLogRepository;
  let messageLogList: MessageLogListRepository;
  let whatsappLogs: WhatsappLogRepository;
  const clientId = new Types.ObjectId().toHexString();
  const sessionId = new Types.ObjectId().toHexString();
  const broadcastId = new Types.ObjectId().toHexString();

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
    messageLogs = t.app.get(MessageLogRepository);
    messageLogList = t.app.get(MessageLogListRepository);
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

  /** The entry as stored, internal fields included. */
  const storedEntry = (id: Types.ObjectId) => t.app.get<Model<MessageLog>>(getModelToken(MessageLog.name)).collection.findOne({ _id: id });

  let leases = 0;
  /** A new attempt's lease, lasting `ms`. */
  const lease = (ms = 20_000, holder = 'worker-a'): LeaseRequest => ({ token: `attempt-${++leases}`, expiresAt: new Date(Date.now() + ms), holder });
  const claimOf = (target: SendTarget, request: LeaseRequest = lease()) => ({ ...target, lease: request });
  const recipientClaim = (recipient: string, request?: LeaseRequest) => claimOf({ kind: 'broadcast-recipient', entry: recipientEntry(recipient) }, request);
  const entryClaim = (id: string, request?: LeaseRequest) => claimOf({ kind: 'entry', id }, request);

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

  it('creates a broadcast recipient entry in `sending`, leased to the attempt, on first claim, and finds the same one when the job runs again', async () => {
    const firstLease = lease();
    const [first, other] = await messageLogs.claimForSending([recipientClaim('2348031230001', firstLease), recipientClaim('2348031230002')]);
    expect(first).toMatchObject({ created: true, held: true, entry: { status: 'sending', attempts: 1, recipient: '2348031230001' } });
    expect(other?.entry._id.equals(first!.entry._id)).toBe(false);
    const stored = await messageLogList.findForClient(clientId, first!.entry._id.toHexString());
    expect(stored).toMatchObject({ status: 'sending', attempts: 1, message_uid: first!.entry.message_uid, contact: { name: 'Ada' } });
    // The lease is the pipeline's: stored, but not part of what the views read.
    expect(stored).not.toHaveProperty('claim');
    expect(await storedEntry(first!.entry._id)).toMatchObject({ claim: { token: firstLease.token } });
    expect(stored!.status_times.sendingAt).toBeInstanceOf(Date);

    // While the first attempt holds it, a second attempt (the job taken back from a stalled worker) gets the entry but not the lease.
    const [busy] = await messageLogs.claimForSending([recipientClaim('2348031230001')]);
    expect(busy).toMatchObject({ created: false, held: false, entry: { status: 'sending', attempts: 1, claim: { token: firstLease.token } } });
    expect(busy!.entry._id.equals(first!.entry._id)).toBe(true);

    // Once the first attempt ends in a retry, its lease is released and the next attempt takes it.
    await messageLogs.recordSendAttempts([{ id: first!.entry._id.toHexString(), clientId, leaseToken: firstLease.token, providerMessageIds: [], costInUsdCents: 0, outcome: { status: 'retry' } }]);
    const [again] = await messageLogs.claimForSending([recipientClaim('2348031230001')]);
    expect(again).toMatchObject({ created: false, held: true, entry: { status: 'sending', attempts: 2 } });
  });

  it('lets one of two attempts claiming at once hold an entry, and a later one take a lease that lapsed', async () => {
    const queued = await messageLogs.createQueued({ ...recipientEntry('2348031230006'), source: 'api', broadcastId: null });
    const id = queued._id.toHexString();
    const [one, two] = await messageLogs.claimForSending([entryClaim(id, lease(200)), entryClaim(id)]);
    expect([one!.held, two!.held].sort()).toEqual([false, true]);
    const holder = one!.held ? one! : two!;
    expect(await messageLogs.extendLease(clientId, id, holder.entry.claim!.token, new Date(Date.now() + 200))).toBe(true);
    expect(await messageLogs.extendLease(clientId, id, 'not-the-holder', new Date(Date.now() + 60_000))).toBe(false);
    // The holder's worker died: its lease lapses and the next attempt takes the entry.
    await new Promise((resolve) => setTimeout(resolve, 250));
    const [taken] = await messageLogs.claimForSending([entryClaim(id)]);
    expect(taken).toMatchObject({ held: true, entry: { attempts: 2 } });
    expect(await messageLogs.extendLease(clientId, id, holder.entry.claim!.token, new Date(Date.now() + 60_000))).toBe(false);
  });

  it('moves an existing queued entry to `sending`, counts its attempts, and answers null for one that does not exist', async () => {
    const queued = await messageLogs.createQueued({ ...recipientEntry('2348031230003'), source: 'api', broadcastId: null });
    const missing = new Types.ObjectId().toHexString();
    const firstLease = lease();
    const [claimed, none] = await messageLogs.claimForSending([entryClaim(queued._id.toHexString(), firstLease), entryClaim(missing)]);
    expect(claimed).toMatchObject({ created: false, held: true, entry: { status: 'sending', attempts: 1 } });
    expect(none).toBeNull();
    await messageLogs.recordSendAttempts([{ id: queued._id.toHexString(), clientId, leaseToken: firstLease.token, providerMessageIds: [], costInUsdCents: 0, outcome: { status: 'retry' } }]);
    const [second] = await messageLogs.claimForSending([entryClaim(queued._id.toHexString())]);
    expect(second).toMatchObject({ held: true, entry: { status: 'sending', attempts: 2 } });
  });

  it("fails a broadcast's unsent recipients in the ledger, so that a send job running one of them later sends nothing, and leaves those an attempt holds", async () => {
    const [sending, missing, released, sent, lapsed, begun] = ['2348031230021', '2348031230022', '2348031230023', '2348031230024', '2348031230025', '2348031230026'];
    await messageLogs.claimForSending([recipientClaim(sending)]);
    const record = async (recipient: string, providerMessageIds: string[], outcome: { status: 'retry' } | { status: 'sent' }) => {
      const request = lease();
      const [claimed] = await messageLogs.claimForSending([recipientClaim(recipient, request)]);
      await messageLogs.recordSendAttempts([{ id: claimed!.entry._id.toHexString(), clientId, leaseToken: request.token, providerMessageIds, costInUsdCents: 0, outcome }]);
    };
    await record(released, [], { status: 'retry' });
    await record(sent, ['wamid.sent'], { status: 'sent' });
    // A multi-part message whose first part was accepted before its attempt ended: the rest of it will not go.
    await record(begun, ['wamid.begun'], { status: 'retry' });
    await messageLogs.claimForSending([recipientClaim(lapsed, lease(1))]);
    await new Promise((resolve) => setTimeout(resolve, 20));

    const failure = { code: 'template_disabled', message: 'Template order_update (en_US) was disabled' };
    const broadcast = { clientId, sessionId, broadcastId, message: { text: 'hi', attachments: [], location: null, contactId: null } };
    const ended = await messageLogs.failUnsentOfBroadcast(broadcast, [sending, missing, released, sent, lapsed, begun], failure);
    expect(ended.sort()).toEqual([missing, released, lapsed, begun].sort());
    // Asked again (an interrupted hold run once more), it answers the same recipients.
    expect((await messageLogs.failUnsentOfBroadcast(broadcast, [sending, missing, released, sent, lapsed, begun], failure)).sort()).toEqual(ended.sort());

    const states = await messageLogs.sendStatesOfBroadcastRecipients(clientId, broadcastId, [sending, missing, released, sent, lapsed, begun]);
    expect(states.get(missing)).toMatchObject({ status: 'failed', error: failure, claim: null });
    expect(states.get(released)).toMatchObject({ status: 'failed', error: failure });
    expect(states.get(sending)).toMatchObject({ status: 'sending', error: null });
    expect(states.get(sent)).toMatchObject({ status: 'sent' });
    expect(states.get(begun)).toMatchObject({ status: 'failed', error: failure });
    // A worker that has not seen the broadcast's pause yet claims one of the failed recipients: it finds the message ended, and holds nothing to send.
    const [late] = await messageLogs.claimForSending([recipientClaim(missing)]);
    expect(late).toMatchObject({ created: false, held: false, entry: { status: 'failed', attempts: 0, error: failure } });
  });

  it('finds the single messages the sweep must look at: unsent, old enough, held by no live attempt', async () => {
    const old = await messageLogs.createQueued({ ...recipientEntry('2348031230007'), source: 'api', broadcastId: null });
    const held = await messageLogs.createQueued({ ...recipientEntry('2348031230008'), source: 'api', broadcastId: null });
    const sent = await messageLogs.createQueued({ ...recipientEntry('2348031230009'), source: 'api', broadcastId: null });
    await messageLogs.claimForSending([entryClaim(held._id.toHexString())]);
    const sentLease = lease();
    await messageLogs.claimForSending([entryClaim(sent._id.toHexString(), sentLease)]);
    await messageLogs.recordSendAttempts([{ id: sent._id.toHexString(), clientId, leaseToken: sentLease.token, providerMessageIds: ['wamid.s'], costInUsdCents: 0, outcome: { status: 'sent' } }]);
    const unsent = await messageLogs.findUnsentApiMessages(new Date(Date.now() + 1000), 1000);
    // With the session, whose send queue takes the job again.
    expect(unsent.find(({ id }) => id === old._id.toHexString())?.sessionId).toBe(old.session_id.toHexString());
    const found = unsent.map(({ id }) => id);
    expect(found).toContain(old._id.toHexString());
    expect(found).not.toContain(held._id.toHexString());
    expect(found).not.toContain(sent._id.toHexString());
    expect((await messageLogs.findUnsentApiMessages(new Date(Date.now() - 60_000), 1000)).map(({ id }) => id)).not.toContain(old._id.toHexString());
    expect((await messageLogs.findUnsentApiMessages(new Date(Date.now() + 1000), 1000, new Date(Date.now() + 60_000))).map(({ id }) => id)).toContain(held._id.toHexString());
  });

  it('finds a scheduled single message once it is due, however young, and not before', async () => {
    const sendAt = new Date(Date.now() + 30_000);
    const scheduled = await messageLogs.createQueued({ ...recipientEntry('2348031230010'), source: 'api', broadcastId: null, sendAt });
    const id = scheduled._id.toHexString();
    // Accepted a moment ago: younger than any sweep age, so only its send_at can make it due.
    const createdBefore = new Date(Date.now() - 60_000);
    expect((await messageLogs.findUnsentApiMessages(createdBefore, 1000)).map((found) => found.id)).not.toContain(id);
    expect((await messageLogs.findUnsentApiMessages(createdBefore, 1000, new Date(sendAt.getTime() + 1))).map((found) => found.id)).toContain(id);
  });

  it("ends a dead worker's leases at once and leaves the others' alone, so that the next attempt takes the message without waiting", async () => {
    const ofDead = await messageLogs.createQueued({ ...recipientEntry('2348031230011'), source: 'api', broadcastId: null });
    const ofLive = await messageLogs.createQueued({ ...recipientEntry('2348031230012'), source: 'api', broadcastId: null });
    await messageLogs.claimForSending([entryClaim(ofDead._id.toHexString(), lease(60_000, 'worker-dead')), entryClaim(ofLive._id.toHexString(), lease(60_000, 'worker-live'))]);

    expect(await messageLogs.releaseLeasesOf(['worker-dead', 'worker-never-seen'])).toBe(1);
    expect((await storedEntry(ofDead._id))?.claim).toBeNull();
    expect((await storedEntry(ofLive._id))?.claim).toMatchObject({ holder: 'worker-live' });
    const [retaken, stillHeld] = await messageLogs.claimForSending([entryClaim(ofDead._id.toHexString()), entryClaim(ofLive._id.toHexString())]);
    expect(retaken).toMatchObject({ held: true, entry: { attempts: 2 } });
    expect(stillHeld).toMatchObject({ held: false });
    expect(await messageLogs.releaseLeasesOf([])).toBe(0);
  });

  it('records attempts: accepted ids once each (a repeated write adds none), the cost, and conditional status moves', async () => {
    const attemptLease = lease();
    const [claimed] = await messageLogs.claimForSending([recipientClaim('2348031230004', attemptLease)]);
    const id = claimed!.entry._id.toHexString();
    const leaseToken = attemptLease.token;
    // A part accepted while the attempt goes on: the id is written, the lease kept.
    await messageLogs.recordSendAttempts([{ id, clientId, leaseToken, providerMessageIds: ['wamid.a'], costInUsdCents: 0, outcome: null }]);
    expect(await storedEntry(claimed!.entry._id)).toMatchObject({ status: 'sending', provider_message_ids: ['wamid.a'], claim: { token: leaseToken } });
    // Only ids the entry does not list yet are recorded; the same write repeated (a retried batch) adds neither ids nor cost.
    const sent = { id, clientId, leaseToken, providerMessageIds: ['wamid.b'], costInUsdCents: 2, outcome: { status: 'sent' as const } };
    await messageLogs.recordSendAttempts([sent]);
    await messageLogs.recordSendAttempts([sent]);
    expect(await storedEntry(claimed!.entry._id)).toMatchObject({
      status: 'sent',
      provider_message_ids: ['wamid.a', 'wamid.b'],
      cost_in_usd_cents: 2,
      claim: null,
    });
    // A sent message is not failed by a late attempt record.
    await messageLogs.recordSendAttempts([{ id, clientId, leaseToken, providerMessageIds: [], costInUsdCents: 0, outcome: { status: 'failed', failure: { code: 'x', message: 'y' } } }]);
    expect((await messageLogList.findForClient(clientId, id))!.status).toBe('sent');
  });

  it("records a message's only call and its `sent` in one update, once, however often the batch is repeated", async () => {
    const attemptLease = lease();
    const [claimed] = await messageLogs.claimForSending([recipientClaim('2348031230008', attemptLease)]);
    const id = claimed!.entry._id.toHexString();
    const sent = { id, clientId, leaseToken: attemptLease.token, providerMessageIds: ['wamid.only'], costInUsdCents: 3, outcome: { status: 'sent' as const }, firstWrite: true };
    const bulkWrite = jest.spyOn(mongo.Collection.prototype, 'bulkWrite');
    try {
      await messageLogs.recordSendAttempts([sent]);
      expect(bulkWrite.mock.calls.map(([operations]) => operations.length)).toEqual([1]);
    } finally {
      bulkWrite.mockRestore();
    }
    await messageLogs.recordSendAttempts([sent]);
    expect(await storedEntry(claimed!.entry._id)).toMatchObject({ status: 'sent', provider_message_ids: ['wamid.only'], cost_in_usd_cents: 3, claim: null });
    expect((await storedEntry(claimed!.entry._id))!.status_times.sentAt).toBeInstanceOf(Date);
  });

  it('keeps the call of a first write whose lease another attempt took over: its id and cost still go on the entry', async () => {
    const lapsing = lease(1);
    const [first] = await messageLogs.claimForSending([recipientClaim('2348031230009', lapsing)]);
    const id = first!.entry._id.toHexString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The lease lapsed; a second attempt takes the message, sends it again and records it first.
    const takeover = lease();
    const [second] = await messageLogs.claimForSending([recipientClaim('2348031230009', takeover)]);
    expect(second!.held).toBe(true);
    await messageLogs.recordSendAttempts([{ id, clientId, leaseToken: takeover.token, providerMessageIds: ['wamid.second'], costInUsdCents: 2, outcome: { status: 'sent' } }]);
    // The first attempt's record lands late: its call happened, so the ledger keeps it.
    await messageLogs.recordSendAttempts([{ id, clientId, leaseToken: lapsing.token, providerMessageIds: ['wamid.first'], costInUsdCents: 3, outcome: { status: 'sent' }, firstWrite: true }]);
    expect(await storedEntry(first!.entry._id)).toMatchObject({ status: 'sent', provider_message_ids: ['wamid.second', 'wamid.first'], cost_in_usd_cents: 5 });
  });

  it('adds the price reported for a call once to the call and to its message, however often it is reported', async () => {
    const attemptLease = lease();
    const [claimed] = await messageLogs.claimForSending([recipientClaim('2348031230010', attemptLease)]);
    const id = claimed!.entry._id.toHexString();
    await messageLogs.recordSendAttempts([{ id, clientId, leaseToken: attemptLease.token, providerMessageIds: ['wamid.p1', 'wamid.p2'], costInUsdCents: 0, outcome: { status: 'sent' } }]);
    const [p1, p2] = [call(id, 'wamid.p1'), call(id, 'wamid.p2')];
    await whatsappLogs.recordProviderCalls([p1, p2]);
    const prices = [
      { id, clientId, providerMessageId: 'wamid.p1', costInUsdCents: 2 },
      { id, clientId, providerMessageId: 'wamid.p1', costInUsdCents: 2 },
      { id, clientId, providerMessageId: 'wamid.p2', costInUsdCents: 3 },
    ];
    await messageLogs.addCallPrices(prices);
    await messageLogs.addCallPrices(prices.slice(0, 1));
    await whatsappLogs.setCostsOnce([
      { whatsAppMessageId: 'wamid.p1', clientId, callId: p1.id, costInUsdCents: 2 },
      { whatsAppMessageId: 'wamid.p1', clientId, callId: p1.id, costInUsdCents: 9 },
    ]);
    expect((await messageLogList.findForClient(clientId, id))!.cost_in_usd_cents).toBe(5);
    expect((await whatsappLogs.findCallsByWhatsAppMessageIds(['wamid.p1']))[0].whatsAppCostInUSDCents).toBe(2);
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
    const attemptLease = lease();
    const [claimed] = await messageLogs.claimForSending([recipientClaim('2348031230005', attemptLease)]);
    const id = claimed!.entry._id.toHexString();
    const reported = call(id, 'wamid.r');
    await whatsappLogs.recordProviderCalls([reported]);
    const at = new Date();
    expect(await messageLogs.applyDeliveryStatuses([{ id, clientId, status: 'delivered', at }])).toBe(0);
    expect(await messageLogs.statusesOf([id])).toEqual(new Map([[id, 'sending']]));
    await messageLogs.recordSendAttempts([{ id, clientId, leaseToken: attemptLease.token, providerMessageIds: ['wamid.r'], costInUsdCents: 0, outcome: { status: 'sent' } }]);
    await whatsappLogs.advanceStatuses([
      { whatsAppMessageId: 'wamid.r', clientId, callId: reported.id, status: 'read' },
      { whatsAppMessageId: 'wamid.r', clientId, callId: reported.id, status: 'delivered' },
    ]);
    expect((await whatsappLogs.findCallsByWhatsAppMessageIds(['wamid.r']))[0].status).toBe('read');
    expect(
      await messageLogs.applyDeliveryStatuses([
        { id, clientId, status: 'delivered', at },
        { id, clientId, status: 'read', at },
        { id, clientId, status: 'delivered', at },
      ]),
    ).toBe(2);
    expect((await messageLogs.statusesOf([id])).get(id)).toBe('read');
    expect(await whatsappLogs.furthestDeliveryOfMessages([id, new Types.ObjectId().toHexString()])).toEqual(new Map([[id, { clientId, status: 'read', at: expect.any(Date) }]]));
  });
});
