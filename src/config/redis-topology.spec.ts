import { AppConfig } from './app-config';
import { ConfigurationError, validateEnvironment } from './environment';
import { describeRedisTopology, redisTopology } from './redis-topology';

const BASE = { REDIS_SENTINEL_NAME: 'mymaster' };

describe('redisTopology', () => {
  it('reads one server with credentials, database and TLS', () => {
    expect(redisTopology({ ...BASE, REDIS_URL: 'rediss://app:s%40cret@cache.internal:6380/2' })).toEqual({
      mode: 'single',
      endpoint: { host: 'cache.internal', port: 6380 },
      db: 2,
      credentials: { username: 'app', password: 's@cret', tls: true },
    });
    expect(redisTopology({ ...BASE, REDIS_URL: 'redis://localhost' })).toEqual({
      mode: 'single',
      endpoint: { host: 'localhost', port: 6379 },
      db: 0,
      credentials: { tls: false },
    });
  });

  it('reads a cluster from redis+cluster:// with several seed nodes, a password only, and IPv6', () => {
    expect(redisTopology({ ...BASE, REDIS_URL: 'redis+cluster://:pw@10.0.0.1:7000,10.0.0.2,[::1]:7002' })).toEqual({
      mode: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 6379 },
        { host: '::1', port: 7002 },
      ],
      credentials: { password: 'pw', tls: false },
    });
    expect(redisTopology({ ...BASE, REDIS_URL: 'rediss+cluster://node-1:7000/' })).toMatchObject({ mode: 'cluster', credentials: { tls: true } });
  });

  it('reads sentinels, taking only credentials and database from REDIS_URL', () => {
    const topology = redisTopology({
      REDIS_SENTINELS: 'sentinel-1:26379, sentinel-2',
      REDIS_SENTINEL_NAME: 'orders',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
      REDIS_URL: 'redis://:master-pw@ignored/3',
    });
    expect(topology).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 'sentinel-1', port: 26379 },
        { host: 'sentinel-2', port: 26379 },
      ],
      masterName: 'orders',
      sentinelPassword: 'sentinel-pw',
      db: 3,
      credentials: { password: 'master-pw', tls: false },
    });
    expect(describeRedisTopology(topology)).toBe('Redis master "orders" via sentinels sentinel-1:26379,sentinel-2:26379');
  });

  it('refuses combinations that cannot work, naming the variable', () => {
    expect(() => redisTopology({ ...BASE, REDIS_URL: 'redis://a:1,b:2' })).toThrow(/REDIS_URL lists several hosts; for a Redis Cluster write redis\+cluster:\/\//);
    expect(() => redisTopology({ ...BASE, REDIS_URL: 'redis+cluster://a:7000/1' })).toThrow(/only database 0/);
    expect(() => redisTopology({ ...BASE, REDIS_URL: 'redis+cluster://a:7000', REDIS_SENTINELS: 's:26379' })).toThrow(/unset REDIS_SENTINELS/);
    expect(() => redisTopology({ ...BASE, REDIS_URL: 'redis://host:99999' })).toThrow(/REDIS_URL has an address that is not host or host:port: "host:99999"/);
    expect(() => redisTopology({ ...BASE })).toThrow(/REDIS_URL is required/);
  });

  it('never puts a password in a description or an error', () => {
    expect(describeRedisTopology(redisTopology({ ...BASE, REDIS_URL: 'redis://:hunter2@cache:6379' }))).toBe('Redis at cache:6379');
    expect(() => redisTopology({ ...BASE, REDIS_URL: 'redis://:hunter2@a:1,b:2' })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('hunter2') }));
  });
});

describe('Redis and MongoDB scale-out variables', () => {
  const VALID = { MONGODB_URI: 'mongodb://localhost:27017/wa', CREDENTIALS_ENCRYPTION_KEY: 'a'.repeat(64) };

  it('keeps one Redis, one send queue and a majority write concern read from the primary by default', () => {
    const config = AppConfig.fromEnvironment({ ...VALID, REDIS_URL: 'redis://localhost:6379' });
    expect(config.redis).toMatchObject({ topology: { mode: 'single' }, sendQueueShards: 1 });
    expect(config.mongo).toMatchObject({ writeConcern: 'majority', retryWrites: true, readViewPreference: 'primary' });
  });

  it('needs no REDIS_URL when sentinels are given, and reads the shard count and MongoDB options', () => {
    const config = AppConfig.fromEnvironment({
      ...VALID,
      REDIS_SENTINELS: 'sentinel:26379',
      SEND_QUEUE_SHARDS: '12',
      MONGODB_WRITE_CONCERN: '1',
      MONGODB_RETRY_WRITES: 'false',
      MONGODB_READ_PREFERENCE: 'secondaryPreferred',
    });
    expect(config.redis).toMatchObject({ topology: { mode: 'sentinel', masterName: 'mymaster' }, sendQueueShards: 12 });
    expect(config.mongo).toMatchObject({ writeConcern: 1, retryWrites: false, readViewPreference: 'secondaryPreferred' });
  });

  it('names each bad variable', () => {
    let error: unknown;
    try {
      validateEnvironment({
        ...VALID,
        REDIS_URL: 'memcached://cache',
        REDIS_SENTINELS: 'a b',
        SEND_QUEUE_SHARDS: '0',
        MONGODB_WRITE_CONCERN: 'all',
        MONGODB_READ_PREFERENCE: 'fastest',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const named = (error as ConfigurationError).problems.map((problem) => problem.split(/[\s:]/)[0]).sort();
    expect(named).toEqual(['MONGODB_READ_PREFERENCE', 'MONGODB_WRITE_CONCERN', 'REDIS_SENTINELS', 'REDIS_URL', 'SEND_QUEUE_SHARDS']);
  });

  it('reports a REDIS_URL that names a cluster and a database as a configuration error', () => {
    expect(() => AppConfig.fromEnvironment({ ...VALID, REDIS_URL: 'redis+cluster://a:7000/2' })).toThrow(ConfigurationError);
  });
});
