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
    // Bounds of the driver's own waits, chosen against a MongoDB that stalls (connections open, no answer):
    // an operation gives up finding a server after 5 s, and a new connection (or a monitor's check) after
    // 10 s, after which the driver marks the server unknown and clears its pool. No socketTimeoutMS: it
    // would cut any operation that is legitimately slow (an import's batch, an export's cursor, an index
    // build at start-up) and, on a stalled server, only replaces a hang by an error the caller cannot act
    // on sooner than the request deadline (REQUEST_DEADLINE_MS) already answers. No maxTimeMS either: the
    // server enforces it, and a stalled server enforces nothing. docs/reliability.md has the whole list.
    serverSelectionTimeoutMS: 5000,
    connectTimeoutMS: 10000,
    retryWrites: config.mongo.retryWrites,
    retryReads: true,
    writeConcern: { w: config.mongo.writeConcern },
  };
}
