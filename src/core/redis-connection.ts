import Redis, { Cluster, RedisOptions } from 'ioredis';
import type { RedisTopology } from '../config';

/** A connection to the deployment's Redis: one server (directly or through sentinels), or a cluster. */
export type RedisClient = Redis | Cluster;

/** Connection options for one server, where the topology says the server is (directly, or the master the sentinels name). */
export function serverOptions(topology: Exclude<RedisTopology, { mode: 'cluster' }>): RedisOptions {
  const { username, password, tls } = topology.credentials;
  const common: RedisOptions = { username, password, db: topology.db, tls: tls ? {} : undefined };
  if (topology.mode === 'single') return { ...common, host: topology.endpoint.host, port: topology.endpoint.port };
  return {
    ...common,
    sentinels: topology.sentinels,
    name: topology.masterName,
    sentinelPassword: topology.sentinelPassword,
    enableTLSForSentinelMode: tls,
  };
}

export interface RedisClientOptions {
  /** Prefixes every key the client names. */
  keyPrefix?: string;
  /** Commands issued in the same tick go out as one pipeline (per master, on a cluster). */
  autoPipelining?: boolean;
  /** Options of each server connection (for a cluster, of each node's). */
  server?: RedisOptions;
}

/** Opens a connection wherever the topology says Redis is. */
export function createRedisClient(topology: RedisTopology, options: RedisClientOptions = {}): RedisClient {
  const { keyPrefix, autoPipelining = false, server = {} } = options;
  if (topology.mode !== 'cluster') return new Redis({ ...serverOptions(topology), ...server, keyPrefix, enableAutoPipelining: autoPipelining });
  const { username, password, tls } = topology.credentials;
  return new Cluster(topology.nodes, {
    keyPrefix,
    enableAutoPipelining: autoPipelining,
    // A connection made only to check reachability waits for connect(), as one server's does.
    lazyConnect: server.lazyConnect,
    redisOptions: { username, password, tls: tls ? {} : undefined, ...server },
  });
}

/** True when the client talks to a Redis Cluster: multi-key commands must then stay within one hash slot. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/**
 * Runs SCAN over every master (a cluster's keys are spread over its masters; SCAN on a cluster
 * connection would see one of them) and answers the full key names matching the pattern.
 */
export async function scanAll(client: RedisClient, pattern: string): Promise<string[]> {
  const servers: Redis[] = isCluster(client) ? client.nodes('master') : [client];
  const keys: string[] = [];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, batch] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 100);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys;
}
