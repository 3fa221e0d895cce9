import { randomBytes } from 'node:crypto';
import { sendQueueName, sendQueueShardOf } from './send-queue-shards';

describe('send queue shards', () => {
  it('keeps the historical queue name for the first shard', () => {
    expect([0, 1, 7].map(sendQueueName)).toEqual(['send', 'send-1', 'send-7']);
  });

  it('puts every session in shard 0 when there is one shard', () => {
    expect(sendQueueShardOf('64b7f0c2a1e4c3d2b1a09f8e', 1)).toBe(0);
  });

  it('gives a session the same shard every time, and spreads many sessions over all shards', () => {
    const sessions = Array.from({ length: 800 }, () => randomBytes(12).toString('hex'));
    for (const session of sessions.slice(0, 20)) expect(sendQueueShardOf(session, 8)).toBe(sendQueueShardOf(session, 8));
    const perShard = new Array<number>(8).fill(0);
    for (const session of sessions) perShard[sendQueueShardOf(session, 8)]++;
    // 100 expected per shard; a uniform hash stays well within 50-150.
    for (const count of perShard) expect(count).toBeGreaterThan(50);
    for (const count of perShard) expect(count).toBeLessThan(150);
  });
});
