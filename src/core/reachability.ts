import Redis from 'ioredis';
import mongoose from 'mongoose';
import { redisOptionsFromUrl } from './redis-options';

/** How long start-up waits for each of MongoDB and Redis (checked side by side) before giving up. */
export const REACHABILITY_TIMEOUT_MS = 5000;

/** What to tell the user when a service does not answer, per caller (a server, local mode, the CLI). */
export interface ReachabilityAdvice {
  mongo: string;
  redis: string;
}

export const SERVER_ADVICE: ReachabilityAdvice = {
  mongo: 'start MongoDB there, or set MONGODB_URI to a MongoDB that is running',
  redis: 'start Redis there, or set REDIS_URL to a Redis that is running',
};

/** The URL with any password replaced by `***` (user names stay: they help tell deployments apart). */
export function maskUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@/i, (_match, scheme: string, credentials: string) => {
    const separator = credentials.indexOf(':');
    return `${scheme}${separator === -1 ? credentials : `${credentials.slice(0, separator)}:***`}@`;
  });
}

/**
 * Connects to MongoDB and Redis once each, side by side, within REACHABILITY_TIMEOUT_MS. Returns
 * one line per service that did not answer, naming its URL (password masked) and what to do;
 * empty when both answered. Run before Nest starts, whose own retries take minutes to give up.
 */
export async function unreachableServices(urls: { mongoUri: string; redisUrl: string }, advice: ReachabilityAdvice): Promise<string[]> {
  const [mongo, redis] = await Promise.all([mongoProblem(urls.mongoUri), redisProblem(urls.redisUrl)]);
  return [
    ...(mongo ? [`MongoDB at ${maskUrl(urls.mongoUri)} is not reachable (${mongo}): ${advice.mongo}`] : []),
    ...(redis ? [`Redis at ${maskUrl(urls.redisUrl)} is not reachable (${redis}): ${advice.redis}`] : []),
  ];
}

async function mongoProblem(uri: string): Promise<string | null> {
  const connection = mongoose.createConnection(uri, { serverSelectionTimeoutMS: REACHABILITY_TIMEOUT_MS, maxPoolSize: 1 });
  try {
    await connection.asPromise();
    await connection.db?.admin().ping();
    return null;
  } catch (error) {
    return oneLine(serverError(error) ?? error);
  } finally {
    await connection.close(true).catch(() => undefined);
  }
}

async function redisProblem(url: string): Promise<string | null> {
  const redis = new Redis({
    ...redisOptionsFromUrl(url),
    lazyConnect: true,
    connectTimeout: REACHABILITY_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The socket's error says why (ECONNREFUSED, ENOTFOUND); connect() itself only rejects with "Connection is closed".
  let cause: unknown;
  redis.on('error', (error: unknown) => (cause ??= error));
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return oneLine(cause ?? error);
  } finally {
    redis.disconnect();
  }
}

/** Why the driver could not select a server (ECONNREFUSED, ENOTFOUND, authentication), when it recorded a reason. */
function serverError(error: unknown): unknown {
  const servers: unknown = (error as { reason?: { servers?: unknown } } | null)?.reason?.servers;
  if (!(servers instanceof Map)) return undefined;
  for (const description of servers.values()) {
    const cause: unknown = (description as { error?: unknown } | null)?.error;
    if (cause) return cause;
  }
  return undefined;
}

/** The first line of an error's message, without the driver's topology dump. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] || 'no answer').slice(0, 200);
}
