import { Module } from '@nestjs/common';
import { registerQueue } from '../core/queues';
import { SendQueueShards, sendQueueSettings } from './send-queue-shards';
import { SEND_QUEUE } from './sending.jobs';
import { SendQueue } from './send.queue';

const sendQueue = registerQueue(SEND_QUEUE, sendQueueSettings);

/** The send queue's producer, for every module that enqueues messages (broadcasts, POST /v1/messages); the queues themselves for the worker's consumer. */
@Module({
  imports: [sendQueue],
  providers: [SendQueue, SendQueueShards],
  exports: [SendQueue, SendQueueShards, sendQueue],
})
export class SendingDataModule {}
