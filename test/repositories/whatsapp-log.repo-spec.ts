import { Types } from 'mongoose';
import { NewWhatsappLog, WhatsappLogRepository } from '../../src/whatsapp-log/whatsapp-log.repository';
import { WhatsappLog, WhatsappLogSchema } from '../../src/whatsapp-log/whatsapp-log.schema';
import { describeWithMongo } from '../support/mongo';
import { createRepositoryTestBed, RepositoryTestBed } from '../support/repositories';

describeWithMongo('WhatsappLogRepository (MongoDB)', () => {
  let bed: RepositoryTestBed;
  let logs: WhatsappLogRepository;
  const sessionId = new Types.ObjectId().toHexString();

  beforeAll(async () => {
    bed = await createRepositoryTestBed([{ name: WhatsappLog.name, schema: WhatsappLogSchema }], [WhatsappLogRepository]);
    logs = bed.get(WhatsappLogRepository);
  });
  afterAll(() => bed.close());

  const call = (clientId: string, whatsAppMessageId: string | null, changes: Partial<NewWhatsappLog> = {}): NewWhatsappLog => ({
    id: new Types.ObjectId().toHexString(),
    clientId,
    sessionId,
    messageLogId: new Types.ObjectId().toHexString(),
    broadcastId: null,
    toNumber: '2348031230001',
    fromNumber: '2348000000000',
    messageText: 'hi',
    status: whatsAppMessageId ? 'sent' : 'failed',
    whatsAppMessageId,
    statusMessage: whatsAppMessageId ? null : 'refused',
    errorCode: whatsAppMessageId ? null : '131026',
    costInUsdCents: 0,
    ...changes,
  });

  it("pages the client's logs by equality conditions, sorted and projected as asked, with the total", async () => {
    const clientId = new Types.ObjectId().toHexString();
    const at = Date.now();
    await logs.recordProviderCalls([call(clientId, 'wamid.p1', { toNumber: '2348031230010' })], new Date(at - 2000));
    await logs.recordProviderCalls([call(clientId, 'wamid.p2', { toNumber: '2348031230010' })], new Date(at - 1000));
    await logs.recordProviderCalls([call(clientId, null, { toNumber: '2348031230011' })], new Date(at));
    await logs.recordProviderCalls([call(new Types.ObjectId().toHexString(), 'wamid.p3', { toNumber: '2348031230010' })]);

    const page = await logs.findPageForClient(clientId, {
      select: ['whatsAppMessageId', 'toNumber'],
      conditions: [{ field: 'toNumber', kind: 'string', value: '2348031230010' }],
      sort: [{ field: 'createdAt', direction: 1 }],
      skip: 0,
      limit: 10,
    });
    expect(page.total).toBe(2);
    expect(page.items.map(({ _id, ...rest }) => rest)).toEqual([
      { whatsAppMessageId: 'wamid.p1', toNumber: '2348031230010' },
      { whatsAppMessageId: 'wamid.p2', toNumber: '2348031230010' },
    ]);
    expect(await logs.countForClient(clientId, [{ field: 'status', kind: 'string', value: 'failed' }])).toBe(1);
    expect(await logs.countForClient(clientId, [])).toBe(3);
  });

  it('never lets a condition widen the client scope, or a value act as an operator', async () => {
    const clientId = new Types.ObjectId().toHexString();
    const other = new Types.ObjectId().toHexString();
    await logs.recordProviderCalls([call(other, 'wamid.o1')]);
    expect(await logs.countForClient(clientId, [{ field: 'projectId', kind: 'objectId', value: other }])).toBe(0);
    expect(await logs.countForClient(other, [{ field: 'toNumber', kind: 'string', value: '{"$ne":null}' }])).toBe(0);
    const [mine] = (await logs.findPageForClient(other, { select: null, conditions: [], sort: [], skip: 0, limit: 1 })).items;
    expect(await logs.findOneForClient(clientId, String(mine._id), null)).toBeNull();
    expect(await logs.findOneForClient(other, String(mine._id), ['status'])).toEqual({ _id: mine._id, status: 'sent' });
    expect(await logs.findOneForClient(other, 'nope', null)).toBeNull();
  });

  it('moves a call forward only, and prices it once', async () => {
    const clientId = new Types.ObjectId().toHexString();
    const accepted = call(clientId, 'wamid.f1');
    await logs.recordProviderCalls([accepted]);
    const callId = accepted.id;
    await logs.advanceStatuses([{ whatsAppMessageId: 'wamid.f1', clientId, callId, status: 'read' }]);
    await logs.advanceStatuses([{ whatsAppMessageId: 'wamid.f1', clientId, callId, status: 'delivered' }]);
    await logs.advanceStatuses([{ whatsAppMessageId: 'wamid.f1', clientId, callId, status: 'failed', statusMessage: 'late', errorCode: '1' }]);
    // Another client's report of the same provider id moves and prices nothing.
    const otherClient = new Types.ObjectId().toHexString();
    await logs.advanceStatuses([{ whatsAppMessageId: 'wamid.f1', clientId: otherClient, callId, status: 'failed' }]);
    await logs.setCostsOnce([{ whatsAppMessageId: 'wamid.f1', clientId: otherClient, callId, costInUsdCents: 9 }]);
    await logs.setCostsOnce([{ whatsAppMessageId: 'wamid.f1', clientId, callId, costInUsdCents: 0.77 }]);
    await logs.setCostsOnce([{ whatsAppMessageId: 'wamid.f1', clientId, callId, costInUsdCents: 6.04 }]);
    expect(await logs.findByWhatsAppMessageId('wamid.f1')).toMatchObject({ status: 'read', whatsAppCostInUSDCents: 0.77, messageLogId: new Types.ObjectId(accepted.messageLogId!) });
  });

  it("answers each message's furthest delivery: read over delivered over failed, with the failure's code and message apart", async () => {
    const clientId = new Types.ObjectId().toHexString();
    const failedMessage = new Types.ObjectId().toHexString();
    const deliveredMessage = new Types.ObjectId().toHexString();
    const [d1, d2, d3] = [
      call(clientId, 'wamid.d1', { messageLogId: failedMessage }),
      call(clientId, 'wamid.d2', { messageLogId: deliveredMessage }),
      call(clientId, 'wamid.d3', { messageLogId: deliveredMessage }),
    ];
    await logs.recordProviderCalls([d1, d2, d3]);
    await logs.advanceStatuses([
      { whatsAppMessageId: 'wamid.d1', clientId, callId: d1.id, status: 'failed', statusMessage: '131026: Message undeliverable', errorCode: '131026' },
      { whatsAppMessageId: 'wamid.d2', clientId, callId: d2.id, status: 'failed', statusMessage: 'x', errorCode: '1' },
      { whatsAppMessageId: 'wamid.d3', clientId, callId: d3.id, status: 'delivered' },
    ]);
    const furthest = await logs.furthestDeliveryOfMessages([failedMessage, deliveredMessage, new Types.ObjectId().toHexString()]);
    expect(furthest.size).toBe(2);
    expect(furthest.get(failedMessage)).toEqual({ clientId, status: 'failed', at: expect.any(Date), failure: { code: '131026', message: 'Message undeliverable' } });
    expect(furthest.get(deliveredMessage)).toMatchObject({ status: 'delivered' });
  });

  it('deletes calls created before a cutoff, a batch at a time', async () => {
    const clientId = new Types.ObjectId().toHexString();
    const old = new Date('2001-01-01T00:00:00Z');
    await logs.recordProviderCalls([call(clientId, 'wamid.r1'), call(clientId, 'wamid.r2')], old);
    await logs.recordProviderCalls([call(clientId, 'wamid.r3')]);
    expect(await logs.deleteOlderThan(new Date('2001-01-02T00:00:00Z'), 1)).toBe(1);
    expect(await logs.deleteOlderThan(new Date('2001-01-02T00:00:00Z'), 5)).toBe(1);
    expect(await logs.countForClient(clientId, [])).toBe(1);
  });
});
