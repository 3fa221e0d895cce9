import type { MongoMemoryServer } from 'mongodb-memory-server-core';
import type { MongoMemoryServerOpts } from 'mongodb-memory-server-core/lib/MongoMemoryServer';

/**
 * Starts mongodb-memory-server (which downloads a `mongod` on first use). It reports failed
 * downloads with console stack traces; they are kept quiet and the error is one line.
 */
export async function startMongoMemoryServer(options: MongoMemoryServerOpts = {}): Promise<MongoMemoryServer> {
  const { MongoMemoryServer } = await import('mongodb-memory-server-core');
  const { warn, error } = console;
  console.warn = console.error = () => undefined;
  try {
    return await MongoMemoryServer.create(options);
  } catch (cause) {
    const text = (cause instanceof Error ? cause.message : String(cause)).split('\n').filter(Boolean).join(' ');
    throw new Error(text.slice(0, 300));
  } finally {
    Object.assign(console, { warn, error });
  }
}
