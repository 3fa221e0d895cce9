import { Injectable } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { Job } from 'bull';
import { AppConfig } from '../config';
import { SendLedger } from './send-ledger';
import { SendQueue } from './send.queue';
import { SendQueueShards } from './send-queue-shards';
import { SendProcessor } from './send.processor';
import { HandlesSendJob, SendAttempt, SendJobData, SendJobHandler, SendJobResult } from './sending.jobs';

interface GreetingJobData extends SendJobData {
  kind: 'greeting';
  name: string;
}

@Injectable()
@HandlesSendJob('greeting')
class GreetingHandler implements SendJobHandler<GreetingJobData> {
  readonly handled: Array<[GreetingJobData, SendAttempt]> = [];

  async handle(data: GreetingJobData, attempt: SendAttempt): Promise<SendJobResult> {
    this.handled.push([data, attempt]);
    return { status: 'sent' };
  }
}

@Injectable()
@HandlesSendJob('greeting')
class SecondGreetingHandler extends GreetingHandler {}

function job(data: SendJobData, attemptsMade = 0, attempts = 3): Job<SendJobData> & { discard: jest.Mock } {
  return { data, attemptsMade, opts: { attempts }, discard: jest.fn() } as unknown as Job<SendJobData> & { discard: jest.Mock };
}

async function processorWith(
  ...handlers: Array<typeof GreetingHandler>
): Promise<{ processor: SendProcessor; queue: { process: jest.Mock }; greetings: GreetingHandler }> {
  const queue = { process: jest.fn().mockResolvedValue(undefined), on: jest.fn(), close: jest.fn() };
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule],
    providers: [SendProcessor, ...handlers, { provide: SendQueueShards, useValue: { queues: [queue] } }, { provide: AppConfig, useValue: { worker: { concurrency: 4 } } }, { provide: SendLedger, useValue: { drain: jest.fn() } }, { provide: SendQueue, useValue: { requeueLater: jest.fn() } }],
  }).compile();
  await moduleRef.init();
  return { processor: moduleRef.get(SendProcessor), queue, greetings: moduleRef.get(GreetingHandler) };
}

describe('SendProcessor', () => {
  it('finds the handler of each job kind at start-up and hands it its jobs, saying when no retry follows', async () => {
    const { processor, queue, greetings } = await processorWith(GreetingHandler);
    expect(processor.kinds).toEqual(['greeting']);
    expect(queue.process).toHaveBeenCalledWith('send-message', 4, expect.any(Function));
    const data = { kind: 'greeting', name: 'Ada' };
    expect(await processor.handle(job(data, 2, 3))).toEqual({ status: 'sent' });
    expect(await processor.handle(job(data, 0, 3))).toEqual({ status: 'sent' });
    expect(greetings.handled).toEqual([
      [data, { lastAttempt: true }],
      [data, { lastAttempt: false }],
    ]);
  });

  it('processes every send queue (SEND_QUEUE_SHARDS), each with the configured concurrency, and closes them all', async () => {
    const queues = [0, 1, 2].map(() => ({ process: jest.fn().mockResolvedValue(undefined), on: jest.fn(), close: jest.fn().mockResolvedValue(undefined) }));
    const moduleRef = await Test.createTestingModule({
      imports: [DiscoveryModule],
      providers: [SendProcessor, GreetingHandler, { provide: SendQueueShards, useValue: { queues } }, { provide: AppConfig, useValue: { worker: { concurrency: 4 } } }, { provide: SendLedger, useValue: { drain: jest.fn() } }, { provide: SendQueue, useValue: { requeueLater: jest.fn() } }],
    }).compile();
    await moduleRef.init();
    for (const queue of queues) expect(queue.process).toHaveBeenCalledWith('send-message', 4, expect.any(Function));
    await moduleRef.close();
    for (const queue of queues) expect(queue.close).toHaveBeenCalled();
  });

  it('refuses to start with two handlers for one kind', async () => {
    await expect(processorWith(GreetingHandler, SecondGreetingHandler)).rejects.toThrow('Two handlers for send jobs of kind "greeting"');
  });

  it('fails a job of an unknown kind without retry, naming the kind', async () => {
    const { processor } = await processorWith(GreetingHandler);
    const unknown = job({ kind: 'fax' });
    await expect(processor.handle(unknown)).rejects.toThrow('No handler for send jobs of kind "fax"');
    expect(unknown.discard).toHaveBeenCalled();
  });
});
