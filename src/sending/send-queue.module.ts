import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { SEND_QUEUE } from './sending.jobs';
import { SendQueue } from './send.queue';

/** The send queue's producer, for every module that enqueues messages (broadcasts, POST /v1/messages). */
@Module({
  imports: [BullModule.registerQueue({ name: SEND_QUEUE })],
  providers: [SendQueue],
  exports: [SendQueue],
})
export class SendQueueModule {}
