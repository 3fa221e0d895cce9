import { randomBytes } from 'node:crypto';

import { MONGO_SKIP_REASON_VARIABLE } from './mongo-env';

/** Whether this run has a MongoDB (MONGODB_URI or mongodb-memory-server, see global-setup). */
export const hasMongo = (): boolean => Boolean(process.env.MONGODB_URI) && !process.env[MONGO_SKIP_REASON_VARIABLE];

/** `describe` for suites that need MongoDB; skipped (with the reason printed once per run) without one. */
export const describeWithMongo: jest.Describe = hasMongo() ? describe : describe.skip;

/** The run's MongoDB with a fresh database name, so that suites never see each other's data. */
export function isolatedMongoUri(): string {
  if (!process.env.MONGODB_URI) throw new Error('isolatedMongoUri() needs MONGODB_URI: call it in a hook or test of a describeWithMongo suite, not in its body');
  const uri = new URL(process.env.MONGODB_URI);
  uri.pathname = `/wa_test_${randomBytes(5).toString('hex')}`;
  return uri.toString();
}
