import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';

/** How long an Idempotency-Key's first answer is replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A request holding a key this long without finishing is presumed dead, and the key usable again. */
const IN_FLIGHT_TTL_MS = 60 * 1000;
const KEY_PREFIX = 'idempotency:';

interface StoredEntry<T> {
  fingerprint: string;
  /** Absent while the first request is still being processed. */
  answer?: T;
}

/** What claiming a key found. */
export type IdempotencyClaim<T> =
  | { kind: 'claimed' }
  | { kind: 'replay'; answer: T }
  | { kind: 'mismatch' }
  | { kind: 'in-progress' };

/**
 * Idempotency keys in Redis, shared by every API process: the first request with a key
 * claims it, its answer is kept for 24 hours and replayed to repeats with the same body.
 * Only successful answers are kept: a request that failed may be retried with its key.
 */
@Injectable()
export class IdempotencyStore {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  async claim<T>(scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim<T>> {
    const redisKey = this.redisKey(scope, key);
    const entry: StoredEntry<T> = { fingerprint };
    if ((await this.redis.set(redisKey, JSON.stringify(entry), 'PX', IN_FLIGHT_TTL_MS, 'NX')) === 'OK') return { kind: 'claimed' };
    const existing = await this.redis.get(redisKey);
    // The holder gave the key up between our two calls: try once more.
    if (existing === null) return this.claim(scope, key, fingerprint);
    const stored = JSON.parse(existing) as StoredEntry<T>;
    if (stored.fingerprint !== fingerprint) return { kind: 'mismatch' };
    return stored.answer === undefined ? { kind: 'in-progress' } : { kind: 'replay', answer: stored.answer };
  }

  async complete<T>(scope: string, key: string, fingerprint: string, answer: T): Promise<void> {
    const entry: StoredEntry<T> = { fingerprint, answer };
    await this.redis.set(this.redisKey(scope, key), JSON.stringify(entry), 'PX', IDEMPOTENCY_TTL_MS);
  }

  /** Gives a claimed key up (the request failed), so that a corrected retry may use it. */
  async release(scope: string, key: string): Promise<void> {
    await this.redis.del(this.redisKey(scope, key));
  }

  private redisKey(scope: string, key: string): string {
    // Hashed: client-chosen keys may be long or hold characters that read badly in Redis tooling.
    return `${KEY_PREFIX}${scope}:${createHash('sha256').update(key).digest('hex')}`;
  }
}

/** The same JSON value, whatever the order of its object keys, hashed. */
export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, entry]) => `${JSON.stringify(name)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
