import type { INestApplicationContext, Provider } from '@nestjs/common';
import { getConnectionToken, ModelDefinition, MongooseModule } from '@nestjs/mongoose';
import { Test } from '@nestjs/testing';
import type { Connection } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../../src/config';
import { isolatedMongoUri } from './mongo';

/** Repositories wired to the run's MongoDB, in a database of their own; no app, no Redis. */
export interface RepositoryTestBed {
  get: INestApplicationContext['get'];
  connection: Connection;
  /** Drops the database and closes the connection. */
  close(): Promise<void>;
}

/**
 * The repository tier's harness: the given schemas and repositories in a Nest testing module,
 * with every schema's indexes built before the first test (unique indexes are part of what the
 * repositories rely on).
 */
export async function createRepositoryTestBed(
  models: ModelDefinition[],
  repositories: Provider[],
  /** A database prepared beforehand (an existing deployment's); a fresh one by default. */
  uri: string = isolatedMongoUri(),
): Promise<RepositoryTestBed> {
  // The configuration some repositories read (the read views' read preference); Redis is not used.
  const config = AppConfig.fromEnvironment({ NODE_ENV: 'test', MONGODB_URI: uri, REDIS_URL: 'redis://127.0.0.1:6379', CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
  const moduleRef = await Test.createTestingModule({
    imports: [MongooseModule.forRoot(uri, { autoIndex: true, serverSelectionTimeoutMS: 10000 }), MongooseModule.forFeature(models)],
    providers: [{ provide: AppConfig, useValue: config }, ...repositories],
  }).compile();
  await moduleRef.init();
  const connection = moduleRef.get<Connection>(getConnectionToken());
  await Promise.all(Object.values(connection.models).map((model) => model.init()));
  return {
    get: moduleRef.get.bind(moduleRef),
    connection,
    async close() {
      await connection.dropDatabase().catch(() => undefined);
      await moduleRef.close();
    },
  };
}
