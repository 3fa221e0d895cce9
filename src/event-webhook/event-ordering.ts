import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config';
import type { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';
import { RELEASE_IF_HELD } from '../core/redis-lock';

/** How long the furthest delivered rank of a message is remembered per endpoint. */
const RANK_TTL_SECONDS = 8 * 24 * 60 * 60;
const TURN_POLL_MS = 25;

/** Another delivery of the same message to the same endpoint held the turn for too long: try again later. */
export class OrderingTurnTimeoutError extends Error {}

/**
 * Keeps a message's status events in order at each endpoint: one delivery at a time per
 * (endpoint, message), holding a Redis lock across the HTTP call, and never an event ranked
 * at or below one the endpoint already acknowledged (a `sent` that failed and comes round
 * again after `delivered` succeeded is superseded, not sent backwards). Shared by every worker.
 */
@Injectable()
export class EventOrdering {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly config: AppConfig,
  ) {}

  /**
   * Runs `send` in this key's turn unless this or a later event was delivered (a redelivery
   * asked for by the client may repeat this one); `send` answers whether the endpoint acknowledged it.
   */
  async inTurn(endpointId: string, orderKey: string, rank: number, send: () => Promise<boolean>, redelivery = false): Promise<'superseded' | 'sent'> {
    const base = `whk:order:${endpointId}:${orderKey}`;
    const lockKey = `${base}:turn`;
    const rankKey = `${base}:rank`;
    const token = randomBytes(8).toString('hex');
    const holdMs = this.config.webhooks.timeoutMs + 5000;
    const giveUpAt = Date.now() + holdMs;
    while ((await this.redis.set(lockKey, token, 'PX', holdMs, 'NX')) !== 'OK') {
      if (Date.now() > giveUpAt) throw new OrderingTurnTimeoutError(`Another delivery of ${orderKey} to this endpoint is still under way`);
      await sleep(TURN_POLL_MS);
    }
    try {
      const delivered = Number(await this.redis.get(rankKey));
      if (delivered > rank || (delivered === rank && !redelivery)) return 'superseded';
      if ((await send()) && rank > delivered) await this.redis.set(rankKey, String(rank), 'EX', RANK_TTL_SECONDS);
      return 'sent';
    } finally {
      await this.redis.eval(RELEASE_IF_HELD, 1, lockKey, token);
    }
  }
}
