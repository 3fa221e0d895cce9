import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditLogRepository } from '../audit-log/audit-log.repository';
import { AppConfig } from '../config';
import { ExclusiveInterval } from '../core/exclusive-interval';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { WhatsappLogRepository } from '../whatsapp-log/whatsapp-log.repository';

/** Entries deleted per batch: small enough that each delete is brief and sending's writes go between them. */
export const RETENTION_BATCH_SIZE = 1000;
/** Breathing room between two batches of one run. */
const PAUSE_BETWEEN_BATCHES_MS = 50;
/** Held for one interval by the worker that runs retention, so that N workers run it once, not N times. */
const LOCK_KEY = 'retention:lock';

const DAY_MS = 86_400_000;

/** One collection's retention: how long it keeps entries, and how it deletes a batch of older ones. */
export interface RetentionPolicy {
  collection: 'message_logs' | 'whatsapp_logs' | 'audit_log';
  days: number;
  deleteOlderThan(cutoff: Date, batchSize: number): Promise<number>;
}

/** Entries created before this are past a retention of `days`. */
export function retentionCutoff(days: number, now: Date): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/**
 * Deletes message logs, WhatsApp logs and audit-log entries older than MESSAGE_LOG_RETENTION_DAYS /
 * WHATSAPP_LOG_RETENTION_DAYS (unset: kept forever) / AUDIT_LOG_RETENTION_DAYS (default 365), every RETENTION_INTERVAL_MS, in one worker at a
 * time. Deletes go in batches of ids, never one large delete, so sending is never held up. Broadcasts,
 * with their recipient arrays, are kept.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  readonly policies: RetentionPolicy[];
  private readonly schedule: ExclusiveInterval;
  private stopping = false;

  constructor(
    private readonly config: AppConfig,
    messageLogs: MessageLogRepository,
    whatsappLogs: WhatsappLogRepository,
    @Inject(REDIS) redis: RedisClient,
    auditLog: AuditLogRepository,
  ) {
    const { messageLogDays, whatsappLogDays, auditLogDays } = config.retention;
    this.policies = [
      ...(messageLogDays === null
        ? []
        : [{ collection: 'message_logs' as const, days: messageLogDays, deleteOlderThan: messageLogs.deleteOlderThan.bind(messageLogs) }]),
      ...(whatsappLogDays === null
        ? []
        : [{ collection: 'whatsapp_logs' as const, days: whatsappLogDays, deleteOlderThan: whatsappLogs.deleteOlderThan.bind(whatsappLogs) }]),
      { collection: 'audit_log', days: auditLogDays, deleteOlderThan: auditLog.deleteOlderThan.bind(auditLog) },
    ];
    this.schedule = new ExclusiveInterval(redis, { name: 'Retention', lockKey: LOCK_KEY, intervalMs: config.retention.intervalMs }, async () => {
      await this.runOnce();
    });
  }

  onApplicationBootstrap(): void {
    if (this.policies.length > 0) this.schedule.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    // A run stops after its current batch.
    await this.schedule.stop();
  }

  /** A scheduled run: skipped while one is under way here, or when another worker ran this interval. */
  tick(): Promise<boolean> {
    return this.schedule.tick();
  }

  /** Deletes, batch by batch, every entry older than its collection's retention; answers how many went from each. */
  async runOnce(now: Date = new Date()): Promise<Partial<Record<RetentionPolicy['collection'], number>>> {
    const deleted: Partial<Record<RetentionPolicy['collection'], number>> = {};
    for (const policy of this.policies) {
      const cutoff = retentionCutoff(policy.days, now);
      let total = 0;
      for (;;) {
        const batch = await policy.deleteOlderThan(cutoff, RETENTION_BATCH_SIZE);
        total += batch;
        if (batch === 0 || this.stopping) break;
        await sleep(PAUSE_BETWEEN_BATCHES_MS);
      }
      deleted[policy.collection] = total;
      if (total > 0) {
        this.logger.log({ collection: policy.collection, deleted: total, cutoff }, `Retention deleted ${total} ${policy.collection} older than ${policy.days} days`);
      }
    }
    return deleted;
  }
}
