import Redis from 'ioredis';
import { createHash, randomBytes } from 'node:crypto';
import { fingerprintOf, IdempotencyStore } from './idempotency.store';

describe('IdempotencyStore (real Redis)', () => {
  let redis: Redis;
  let store: IdempotencyStore;

  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { keyPrefix: `spec${randomBytes(4).toString('hex')}:` });
    store = new IdempotencyStore(redis);
  });
  afterAll(() => redis.quit());

  it('claims a new key, then replays its answer for the same body and refuses another body', async () => {
    const body = fingerprintOf({ to: '2348179803743', message: { text: 'hi' } });
    expect(await store.claim('client-1', 'key-1', body)).toEqual({ kind: 'claimed' });
    expect(await store.claim('client-1', 'key-1', body)).toEqual({ kind: 'in-progress' });
    await store.complete('client-1', 'key-1', body, { message_uid: 'abcdef0123456789' });

    expect(await store.claim('client-1', 'key-1', body)).toEqual({ kind: 'replay', answer: { message_uid: 'abcdef0123456789' } });
    expect(await store.claim('client-1', 'key-1', fingerprintOf({ to: '2348179803743', message: { text: 'bye' } }))).toEqual({
      kind: 'mismatch',
    });
    const ttl = await redis.pttl(`idempotency:client-1:${createHash('sha256').update('key-1').digest('hex')}`);
    expect(ttl).toBeGreaterThan(23 * 60 * 60 * 1000);
  });

  it('keeps keys of different clients apart, and frees a released key', async () => {
    const body = fingerprintOf({ a: 1 });
    expect(await store.claim('client-1', 'shared', body)).toEqual({ kind: 'claimed' });
    expect(await store.claim('client-2', 'shared', fingerprintOf({ b: 2 }))).toEqual({ kind: 'claimed' });
    await store.release('client-1', 'shared');
    expect(await store.claim('client-1', 'shared', fingerprintOf({ c: 3 }))).toEqual({ kind: 'claimed' });
  });

  it('fingerprints JSON independently of key order, and tells different values apart', () => {
    expect(fingerprintOf({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(fingerprintOf({ b: { d: 'x', c: [1, 2] }, a: 1 }));
    expect(fingerprintOf({ a: [1, 2] })).not.toBe(fingerprintOf({ a: [2, 1] }));
    expect(fingerprintOf({ a: 1, b: undefined })).toBe(fingerprintOf({ a: 1 }));
  });
});
