import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { SEND_BACKOFF_STRATEGY, sendBackoff } from './send-backoff';
import { SEND_QUEUE } from './sending.jobs';
import { SendQueue } from './send.queue';

const sendQueue = BullModule.registerQueue({ name: SEND_QUEUE, settings: { backoffStrategies: { [SEND_BACKOFF_STRATEGY]: sendBackoff } } });

/** The send queue's producer, for every module that enqueues messages (broadcasts, POST /v1/messages); the queue itself for the worker's consumer. */
@Module({
  imports: [sendQueue],
  providers: [SendQueue],
  exports: [SendQueue, sendQueue],
})
export class SendingDataModule {}
