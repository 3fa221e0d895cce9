import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { FETCH_MEDIA_JOB, FetchMediaJobData, fetchMediaJobId, INBOUND_QUEUE } from './inbound.jobs';

/** Network and 5xx failures of the Graph API are retried this often, backing off from 2 s (about a minute in all). */
const FETCH_MEDIA_ATTEMPTS = 6;
const FETCH_MEDIA_BACKOFF_MS = 2000;

/** The producer of the inbound queue. */
@Injectable()
export class InboundQueue {
  constructor(@InjectQueue(INBOUND_QUEUE) private readonly queue: Queue<FetchMediaJobData>) {}

  async fetchMedia(messageLogId: string): Promise<void> {
    await this.queue.add(FETCH_MEDIA_JOB, { messageLogId }, {
      jobId: fetchMediaJobId(messageLogId),
      attempts: FETCH_MEDIA_ATTEMPTS,
      backoff: { type: 'exponential', delay: FETCH_MEDIA_BACKOFF_MS },
      removeOnComplete: true,
      removeOnFail: 1000,
    });
  }
}
