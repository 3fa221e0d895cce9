import { Test } from '@nestjs/testing';
import { AuditLogRepository } from '../audit-log/audit-log.repository';
import { AppConfig } from '../config';
import { REDIS } from '../core/redis.module';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { WhatsappLogRepository } from '../whatsapp-log/whatsapp-log.repository';
import { RETENTION_BATCH_SIZE, retentionCutoff, RetentionService } from './retention.service';

const ENV = {
  MONGODB_URI: 'mongodb://localhost:27017/wa',
  REDIS_URL: 'redis://localhost:6379',
  CREDENTIALS_ENCRYPTION_KEY: 'a'.repeat(64),
};

describe('retentionCutoff', () => {
  it('is the given number of whole days before now', () => {
    expect(retentionCutoff(30, new Date('2030-03-31T12:00:00.000Z'))).toEqual(new Date('2030-03-01T12:00:00.000Z'));
  });
});

describe('RetentionService', () => {
  const messageLogs: jest.Mocked<Pick<MessageLogRepository, 'deleteOlderThan'>> = { deleteOlderThan: jest.fn() };
  const whatsappLogs: jest.Mocked<Pick<WhatsappLogRepository, 'deleteOlderThan'>> = { deleteOlderThan: jest.fn() };
  const auditLog: jest.Mocked<Pick<AuditLogRepository, 'deleteOlderThan'>> = { deleteOlderThan: jest.fn() };
  const lock = { set: jest.fn<Promise<'OK' | null>, unknown[]>() };

  async function service(env: Record<string, string>): Promise<RetentionService> {
    const moduleRef = await Test.createTestingModule({
      providers: [
        RetentionService,
        { provide: AppConfig, useValue: AppConfig.fromEnvironment({ ...ENV, ...env }) },
        { provide: MessageLogRepository, useValue: messageLogs },
        { provide: WhatsappLogRepository, useValue: whatsappLogs },
        { provide: REDIS, useValue: lock },
        { provide: AuditLogRepository, useValue: auditLog },
      ],
    }).compile();
    return moduleRef.get(RetentionService);
  }

  beforeEach(() => {
    jest.resetAllMocks();
    auditLog.deleteOlderThan.mockResolvedValue(0);
  });

  it('keeps logs forever by default, and the audit log for 365 days', async () => {
    const retention = await service({});
    expect(retention.policies.map(({ collection, days }) => ({ collection, days }))).toEqual([{ collection: 'audit_log', days: 365 }]);
    const now = new Date('2030-12-31T00:00:00.000Z');
    await expect(retention.runOnce(now)).resolves.toEqual({ audit_log: 0 });
    expect(messageLogs.deleteOlderThan).not.toHaveBeenCalled();
    expect(auditLog.deleteOlderThan).toHaveBeenCalledWith(new Date('2029-12-31T00:00:00.000Z'), RETENTION_BATCH_SIZE);
  });

  it('deletes batch after batch until none older is left, for each configured collection', async () => {
    const retention = await service({ MESSAGE_LOG_RETENTION_DAYS: '30', WHATSAPP_LOG_RETENTION_DAYS: '7' });
    messageLogs.deleteOlderThan.mockResolvedValueOnce(RETENTION_BATCH_SIZE).mockResolvedValueOnce(5).mockResolvedValueOnce(0);
    whatsappLogs.deleteOlderThan.mockResolvedValueOnce(0);
    const now = new Date('2030-03-31T00:00:00.000Z');

    await expect(retention.runOnce(now)).resolves.toEqual({ message_logs: RETENTION_BATCH_SIZE + 5, whatsapp_logs: 0, audit_log: 0 });
    expect(messageLogs.deleteOlderThan).toHaveBeenCalledTimes(3);
    expect(messageLogs.deleteOlderThan).toHaveBeenCalledWith(new Date('2030-03-01T00:00:00.000Z'), RETENTION_BATCH_SIZE);
    expect(whatsappLogs.deleteOlderThan).toHaveBeenCalledWith(new Date('2030-03-24T00:00:00.000Z'), RETENTION_BATCH_SIZE);
  });

  it('runs on schedule only in the worker that takes the lock', async () => {
    const retention = await service({ MESSAGE_LOG_RETENTION_DAYS: '30' });
    messageLogs.deleteOlderThan.mockResolvedValue(0);
    lock.set.mockResolvedValueOnce(null);
    await retention.tick();
    expect(messageLogs.deleteOlderThan).not.toHaveBeenCalled();

    lock.set.mockResolvedValueOnce('OK');
    await retention.tick();
    expect(messageLogs.deleteOlderThan).toHaveBeenCalledTimes(1);
    expect(lock.set).toHaveBeenLastCalledWith('retention:lock', expect.any(String), 'PX', 3600000, 'NX');
  });
});
