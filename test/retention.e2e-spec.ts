import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { mongo, Types } from 'mongoose';
import Redis from 'ioredis';
import { AuditLogRepository } from '../src/audit-log/audit-log.repository';
import { Broadcast } from '../src/broadcast/broadcast.schema';
import { REDIS } from '../src/core/redis.module';
import { MessageLogRepository } from '../src/message-log/message-log.repository';
import { MessageLog } from '../src/message-log/message-log.schema';
import { RetentionService } from '../src/retention/retention.service';
import { WhatsappLogRepository } from '../src/whatsapp-log/whatsapp-log.repository';
import { WhatsappLog } from '../src/whatsapp-log/whatsapp-log.schema';
import { createTenant, TestTenant } from './support/factories';
import { insertMessageLogs } from './support/message-logs';
import { describeWithMongo } from './support/mongo';
import { pollUntil } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';

const DAY_MS = 86_400_000;
const daysAgo = (days: number): Date => new Date(Date.now() - days * DAY_MS);

async function insertWhatsappLogs(t: TestApp, tenant: TestTenant, createdAts: Date[]): Promise<void> {
  const model = t.app.get<Model<WhatsappLog>>(getModelToken(WhatsappLog.name));
  await model.insertMany(
    createdAts.map((createdAt) => ({
      projectId: new Types.ObjectId(tenant.clientId),
      sessionId: new Types.ObjectId(tenant.sessionId),
      toNumber: '2348179803743',
      status: 'sent',
      createdAt,
      updatedAt: createdAt,
    })),
  );
}

/** The age in whole days of every entry left, youngest first. */
async function agesInDays(model: { collection: mongo.Collection }): Promise<number[]> {
  const documents = await model.collection.find({}, { projection: { createdAt: 1 } }).toArray();
  return documents.map((document) => Math.round((Date.now() - (document.createdAt as Date).getTime()) / DAY_MS)).sort((x, y) => x - y);
}

describeWithMongo('Retention of message and WhatsApp logs (e2e)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let messageLogs: Model<MessageLog>;
  let whatsappLogs: Model<WhatsappLog>;
  let retention: RetentionService;

  beforeAll(async () => {
    // API only, so that no scheduled run interferes; the service is built on the app's real repositories and Redis.
    t = await createTestApp({ worker: false, env: { MESSAGE_LOG_RETENTION_DAYS: '30', WHATSAPP_LOG_RETENTION_DAYS: '7' } });
    tenant = await createTenant(t.app);
    messageLogs = t.app.get(getModelToken(MessageLog.name));
    whatsappLogs = t.app.get(getModelToken(WhatsappLog.name));
    retention = new RetentionService(
      t.config,
      t.app.get(MessageLogRepository, { strict: false }),
      t.app.get(WhatsappLogRepository, { strict: false }),
      t.app.get<Redis>(REDIS),
      t.app.get(AuditLogRepository, { strict: false }),
    );
  });
  afterAll(() => t.close());

  beforeEach(async () => {
    await messageLogs.deleteMany({}).exec();
    await whatsappLogs.deleteMany({}).exec();
  });

  it('removes only what is older than each window, and keeps broadcasts with their recipient arrays', async () => {
    const broadcast = await t.app
      .get<Model<Broadcast>>(getModelToken(Broadcast.name))
      .create({
        client_id: new Types.ObjectId(tenant.clientId),
        session_id: new Types.ObjectId(tenant.sessionId),
        send_type: 'individual',
        to: '2348179803743,2349048988056',
        message: { text: 'Old news', attachments: [], location: null, contactId: null },
        status: 'completed_with_errors',
        sent: ['2348179803743'],
        failed: ['2349048988056'],
      });
    const base = { clientId: tenant.clientId, sessionId: tenant.sessionId };
    await insertMessageLogs(t.app, [
      { ...base, createdAt: daysAgo(400), source: 'broadcast', broadcastId: broadcast._id.toHexString() },
      { ...base, createdAt: daysAgo(31) },
      { ...base, createdAt: daysAgo(29) },
      { ...base, createdAt: daysAgo(1) },
    ]);
    await insertWhatsappLogs(t, tenant, [daysAgo(40), daysAgo(8), daysAgo(6), new Date()]);

    await expect(retention.runOnce()).resolves.toEqual({ message_logs: 2, whatsapp_logs: 2, audit_log: 0 });
    expect(await agesInDays(messageLogs)).toEqual([1, 29]);
    expect(await agesInDays(whatsappLogs)).toEqual([0, 6]);

    const kept = await t.http.get(`/broadcast/${broadcast._id.toHexString()}`).set(tenant.auth).expect(200);
    expect(kept.body.data).toMatchObject({ sent: ['2348179803743'], pending: [], failed: ['2349048988056'] });

    // Nothing older is left: a second run deletes nothing.
    await expect(retention.runOnce()).resolves.toEqual({ message_logs: 0, whatsapp_logs: 0, audit_log: 0 });
  });

  it('deletes in batches of the given size, oldest window first, never more', async () => {
    const base = { clientId: tenant.clientId, sessionId: tenant.sessionId };
    await insertMessageLogs(t.app, [45, 44, 43, 42, 41, 2].map((days) => ({ ...base, createdAt: daysAgo(days) })));
    const repository = t.app.get(MessageLogRepository, { strict: false });
    const cutoff = daysAgo(30);
    const batches = [];
    for (let batch = await repository.deleteOlderThan(cutoff, 2); batch > 0; batch = await repository.deleteOlderThan(cutoff, 2)) {
      batches.push(batch);
    }
    expect(batches).toEqual([2, 2, 1]);
    expect(await agesInDays(messageLogs)).toEqual([2]);
  });
});

describeWithMongo('Retention run by the worker on its interval (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { WHATSAPP_LOG_RETENTION_DAYS: '7', RETENTION_INTERVAL_MS: '300' } });
  });
  afterAll(() => t.close());

  it('deletes old WhatsApp logs by itself, and keeps message logs when their retention is unset', async () => {
    const tenant = await createTenant(t.app);
    await insertWhatsappLogs(t, tenant, [daysAgo(30), daysAgo(1)]);
    await insertMessageLogs(t.app, [{ clientId: tenant.clientId, sessionId: tenant.sessionId, createdAt: daysAgo(3650) }]);
    const whatsappLogs = t.app.get<Model<WhatsappLog>>(getModelToken(WhatsappLog.name));
    expect(await pollUntil(() => whatsappLogs.countDocuments().exec(), (count) => count === 1, 10_000)).toBe(1);
    expect(await agesInDays(whatsappLogs)).toEqual([1]);
    expect(await t.app.get<Model<MessageLog>>(getModelToken(MessageLog.name)).countDocuments().exec()).toBe(1);
  });
});
