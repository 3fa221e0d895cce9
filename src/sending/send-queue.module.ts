import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { AppConfig } from '../config';
import { SEND_BACKOFF_STRATEGY, sendBackoff } from './send-backoff';
import { SEND_QUEUE } from './sending.jobs';
import { SendQueue } from './send.queue';

/**
 * The send queue. A worker holds each job for WORKER_LOCK_DURATION_MS, renewed at half of it;
 * every WORKER_STALLED_INTERVAL_MS it takes back the jobs of workers that died. A message's
 * claim (see MessageSender) lasts as long as the lock, so a job taken back from a live but
 * stalled worker finds the claim and waits instead of sending the message a second time.
 */
const sendQueue = BullModule.registerQueueAsync({
  name: SEND_QUEUE,
  inject: [AppConfig],
  useFactory: (config: AppConfig) => ({
    settings: {
      backoffStrategies: { [SEND_BACKOFF_STRATEGY]: sendBackoff },
      lockDuration: config.worker.lockDurationMs,
      lockRenewTime: Math.floor(config.worker.lockDurationMs / 2),
      stalledInterval: config.worker.stalledIntervalMs,
    },
  }),
});

/** The send queue's producer, for every module that enqueues messages (broadcasts, POST /v1/messages); the queue itself for the worker's consumer. */
@Module({
  imports: [sendQueue],
  providers: [SendQueue],
  exports: [SendQueue, sendQueue],
})
export class SendingDataModule {}
