/** Where a Redis server (or a sentinel, or a cluster node) listens. */
export interface RedisEndpoint {
  host: string;
  port: number;
}

/** What every connection to the deployment's Redis needs besides where it is. */
export interface RedisCredentials {
  username?: string;
  password?: string;
  tls: boolean;
}

/**
 * The Redis a deployment uses, from REDIS_URL and the REDIS_SENTINEL* variables: one server,
 * a master found through sentinels (failover), or a cluster (several masters, keys spread by
 * hash slot).
 */
export type RedisTopology =
  | { mode: 'single'; endpoint: RedisEndpoint; db: number; credentials: RedisCredentials }
  | {
      mode: 'sentinel';
      sentinels: RedisEndpoint[];
      masterName: string;
      sentinelPassword?: string;
      db: number;
      credentials: RedisCredentials;
    }
  | { mode: 'cluster'; nodes: RedisEndpoint[]; credentials: RedisCredentials };

export interface RedisVariables {
  REDIS_URL?: string;
  REDIS_SENTINELS?: string;
  REDIS_SENTINEL_NAME: string;
  REDIS_SENTINEL_PASSWORD?: string;
}

const DEFAULT_PORT = 6379;
const DEFAULT_SENTINEL_PORT = 26379;
const URL_PATTERN = /^(rediss?)(\+cluster)?:\/\/(?:([^@/]*)@)?([^/?#]*)(?:\/(\d*))?\/?$/;

/** A problem with the Redis variables; the message names the variable and never echoes a password. */
export class RedisTopologyError extends Error {}

/** Reads the Redis variables (already checked for shape by the environment schema) into a topology. */
export function redisTopology(variables: RedisVariables): RedisTopology {
  const url = variables.REDIS_URL ? parseRedisUrl(variables.REDIS_URL) : null;
  if (variables.REDIS_SENTINELS) {
    if (url?.cluster) throw new RedisTopologyError('REDIS_URL names a cluster; a cluster has no sentinels, so unset REDIS_SENTINELS');
    return {
      mode: 'sentinel',
      sentinels: parseEndpoints(variables.REDIS_SENTINELS, DEFAULT_SENTINEL_PORT, 'REDIS_SENTINELS'),
      masterName: variables.REDIS_SENTINEL_NAME,
      sentinelPassword: variables.REDIS_SENTINEL_PASSWORD,
      db: url?.db ?? 0,
      credentials: url?.credentials ?? { tls: false },
    };
  }
  if (!url) throw new RedisTopologyError('REDIS_URL is required (for example redis://localhost:6379), unless REDIS_SENTINELS is set');
  if (url.cluster) {
    if (url.db !== 0) throw new RedisTopologyError('REDIS_URL names a cluster with a database number; a Redis Cluster has only database 0');
    return { mode: 'cluster', nodes: url.endpoints, credentials: url.credentials };
  }
  if (url.endpoints.length > 1) {
    throw new RedisTopologyError('REDIS_URL lists several hosts; for a Redis Cluster write redis+cluster://host1:port,host2:port');
  }
  return { mode: 'single', endpoint: url.endpoints[0], db: url.db, credentials: url.credentials };
}

interface ParsedRedisUrl {
  cluster: boolean;
  endpoints: RedisEndpoint[];
  db: number;
  credentials: RedisCredentials;
}

function parseRedisUrl(text: string): ParsedRedisUrl {
  const match = URL_PATTERN.exec(text);
  if (!match) {
    throw new RedisTopologyError(
      'REDIS_URL must look like redis://[user:password@]host:port[/db] or redis+cluster://[user:password@]host1:port,host2:port',
    );
  }
  const [, scheme, cluster, userInfo, hosts, db] = match;
  const credentials: RedisCredentials = { tls: scheme === 'rediss' };
  if (userInfo) {
    const colon = userInfo.indexOf(':');
    const username = decodeURIComponent(colon === -1 ? userInfo : userInfo.slice(0, colon));
    if (username) credentials.username = username;
    if (colon !== -1) credentials.password = decodeURIComponent(userInfo.slice(colon + 1));
  }
  return { cluster: cluster !== undefined, endpoints: parseEndpoints(hosts, DEFAULT_PORT, 'REDIS_URL'), db: db ? Number(db) : 0, credentials };
}

/** `host:port,host,[::1]:7000` -> endpoints; the port defaults. */
export function parseEndpoints(text: string, defaultPort: number, variable: string): RedisEndpoint[] {
  const endpoints = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(entry);
      const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
      if (!match || port < 1 || port > 65535) throw new RedisTopologyError(`${variable} has an address that is not host or host:port: "${entry}"`);
      return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
    });
  if (endpoints.length === 0) throw new RedisTopologyError(`${variable} names no host`);
  return endpoints;
}

/** Where the topology points, for logs: never a password. */
export function describeRedisTopology(topology: RedisTopology): string {
  const list = (endpoints: RedisEndpoint[]): string => endpoints.map(({ host, port }) => `${host}:${port}`).join(',');
  switch (topology.mode) {
    case 'single':
      return `Redis at ${list([topology.endpoint])}`;
    case 'sentinel':
      return `Redis master "${topology.masterName}" via sentinels ${list(topology.sentinels)}`;
    case 'cluster':
      return `Redis Cluster at ${list(topology.nodes)}`;
  }
}
