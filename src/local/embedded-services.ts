import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startMongoMemoryServer } from './mongo-memory-server';
import { RedisServerProcess } from './redis-server-process';

/** Where local mode keeps MongoDB's files, Redis' append-only file and the generated key. */
export const LOCAL_DATA_DIR = resolve(process.env.LOCAL_DATA_DIR ?? '.data');
const SERVICES_FILE = join(LOCAL_DATA_DIR, 'local-services.json');
const KEY_FILE = join(LOCAL_DATA_DIR, 'credentials.key');

interface LocalServices {
  MONGODB_URI: string;
  REDIS_URL: string;
}

/** Stops what startEmbeddedServices started. */
export type StopEmbedded = () => Promise<void>;

/**
 * Embedded defaults for a first run: fills MONGODB_URI (mongodb-memory-server on a data
 * folder that survives restarts), REDIS_URL (a redis-server from PATH) and
 * CREDENTIALS_ENCRYPTION_KEY (generated once, kept in .data) when they are not set.
 *
 * The servers run in their own process groups, so that a terminal's Ctrl-C reaches only this
 * process, which stops them once the app has drained. Should it exit any other way (the shutdown
 * deadline), Redis is signalled and the state file removed on the way out. `onLost` hears of an
 * embedded Redis that ended without being stopped (`nest start --watch` kills the whole process tree
 * on every reload, children first), since nothing can drain without it.
 */
export async function startEmbeddedServices(env: NodeJS.ProcessEnv = process.env, onLost?: (reason: string) => void): Promise<StopEmbedded> {
  mkdirSync(LOCAL_DATA_DIR, { recursive: true });
  const stops: StopEmbedded[] = [];
  let stopping = false;
  env.CREDENTIALS_ENCRYPTION_KEY ||= localEncryptionKey();

  // Sentinels name their own master: nothing to embed then.
  if (!env.REDIS_URL && !env.REDIS_SENTINELS) {
    const redis = await RedisServerProcess.start({ dataDir: join(LOCAL_DATA_DIR, 'redis'), ownProcessGroup: true });
    env.REDIS_URL = redis.url;
    process.once('exit', () => redis.stopNow());
    void redis.exited.then(() => stopping || onLost?.(`Embedded Redis (${redis.url}) has stopped`));
    stops.push(() => redis.stop());
    process.stdout.write(`Embedded Redis: ${redis.url} (data in ${join(LOCAL_DATA_DIR, 'redis')})\n`);
  }
  if (!env.MONGODB_URI) {
    const dbPath = join(LOCAL_DATA_DIR, 'mongodb');
    mkdirSync(dbPath, { recursive: true });
    try {
      // mongodb-memory-server's own watchdog stops this mongod when the process dies, however it dies.
      const mongo = await startMongoMemoryServer({ instance: { dbPath, storageEngine: 'wiredTiger' }, spawn: { detached: true } });
      env.MONGODB_URI = mongo.getUri('whatsapp');
      stops.push(async () => {
        await mongo.stop({ doCleanup: false });
      });
      process.stdout.write(`Embedded MongoDB: ${env.MONGODB_URI} (data in ${dbPath})\n`);
    } catch (error) {
      await Promise.all(stops.map((stop) => stop()));
      throw new Error(
        `MONGODB_URI is not set and the embedded MongoDB (mongodb-memory-server) could not start: ${error instanceof Error ? error.message : String(error)}. ` +
          'Set MONGODB_URI to a MongoDB server (for example mongodb://localhost:27017/whatsapp).',
      );
    }
  }
  const services: LocalServices = { MONGODB_URI: env.MONGODB_URI, REDIS_URL: env.REDIS_URL ?? '' };
  writeFileSync(SERVICES_FILE, JSON.stringify(services, null, 2));
  process.once('exit', () => rmSync(SERVICES_FILE, { force: true }));
  return async () => {
    stopping = true;
    rmSync(SERVICES_FILE, { force: true });
    await Promise.all(stops.map((stop) => stop()));
  };
}

/**
 * For the CLI beside a running local mode: use its services where the environment names none.
 * False when no local mode left its state file (none is running, or it ended).
 */
export function useRunningLocalServices(env: NodeJS.ProcessEnv = process.env): boolean {
  if (existsSync(KEY_FILE)) env.CREDENTIALS_ENCRYPTION_KEY ||= readFileSync(KEY_FILE, 'utf8').trim();
  if (!existsSync(SERVICES_FILE)) return false;
  const services = JSON.parse(readFileSync(SERVICES_FILE, 'utf8')) as LocalServices;
  env.MONGODB_URI ||= services.MONGODB_URI;
  env.REDIS_URL ||= services.REDIS_URL;
  return true;
}

function localEncryptionKey(): string {
  if (existsSync(KEY_FILE)) return readFileSync(KEY_FILE, 'utf8').trim();
  const key = randomBytes(32).toString('base64');
  writeFileSync(KEY_FILE, key, { mode: 0o600 });
  return key;
}
