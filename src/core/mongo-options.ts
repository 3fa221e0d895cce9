import type { MongooseModuleOptions } from '@nestjs/mongoose';
import type { AppConfig } from '../config';

/**
 * Connection options from configuration. Every write waits for MONGODB_WRITE_CONCERN (`majority` by
 * default, so on a replica set an acknowledged ledger write survives a failover) and is retried once
 * after a failover when MONGODB_RETRY_WRITES holds. Reads go to the primary; only the read views
 * ask for MONGODB_READ_PREFERENCE (`.read(config.mongo.readViewPreference)`), so that the ledger's writers read their writes.
 */
export function mongoConnectionOptions(config: AppConfig): MongooseModuleOptions {
  return {
    // Indexes are declared on the schemas and built at start-up (idempotent).
    autoIndex: true,
    serverSelectionTimeoutMS: 10000,
    retryWrites: config.mongo.retryWrites,
    retryReads: true,
    writeConcern: { w: config.mongo.writeConcern },
  };
}
