import { Logger } from '@nestjs/common';
import type { WorkerHeartbeat } from '../health/worker-heartbeat';
import type { SendQueueShards } from './send-queue-shards';
import { SendQueueGate } from './send-queue-gate';

describe('SendQueueGate', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  function gate(): { tell: (answering: boolean) => void; calls: string[]; settled: () => Promise<void> } {
    const calls: string[] = [];
    let listener: (answering: boolean) => void = () => undefined;
    const heartbeat = { onMongoAnswering: (heard: (answering: boolean) => void) => (listener = heard) } as unknown as WorkerHeartbeat;
    const queue = (name: string) => ({
      // A pause takes a moment (Bull reconnects its blocking client): a resume told meanwhile must come after it.
      pause: (isLocal: boolean, doNotWaitActive: boolean) => new Promise<void>((resolve) => setTimeout(() => (calls.push(`pause ${name} ${isLocal} ${doNotWaitActive}`), resolve()), 20)),
      resume: (isLocal: boolean) => (calls.push(`resume ${name} ${isLocal}`), Promise.resolve()),
    });
    const shards = { queues: [queue('send'), queue('send-1')] } as unknown as SendQueueShards;
    new SendQueueGate(heartbeat, shards).onApplicationBootstrap();
    return { tell: (answering) => listener(answering), calls, settled: () => new Promise((resolve) => setTimeout(resolve, 60)) };
  }

  it('pauses every send queue locally, without waiting for jobs under way, when MongoDB stops answering, and resumes them after', async () => {
    const { tell, calls, settled } = gate();
    tell(false);
    tell(true);
    await settled();
    expect(calls).toEqual(['pause send true true', 'pause send-1 true true', 'resume send true', 'resume send-1 true']);
  });
});
