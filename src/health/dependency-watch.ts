import { Inject, Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { withDeadline } from '../core/deadline';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';

/** How long the watch waits for each dependency's ping before naming it as not answering. */
export const DEPENDENCY_PROBE_MS = 1000;

/**
 * Which of MongoDB and Redis does not answer a round trip right now: asked when a request runs
 * out of time, so that its 503 can say why. Requests that time out together share one probe (a
 * stalled MongoDB would otherwise get a ping per held request, each waiting on the same pool).
 */
@Injectable()
export class DependencyWatch {
  private probe?: Promise<string[]>;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  /** The names of the dependencies that did not answer a ping within DEPENDENCY_PROBE_MS ("MongoDB", "Redis"). */
  notAnswering(): Promise<string[]> {
    this.probe ??= this.ping().finally(() => (this.probe = undefined));
    return this.probe;
  }

  private async ping(): Promise<string[]> {
    const answered = (work: () => Promise<unknown>, name: string): Promise<string | null> =>
      withDeadline(Promise.resolve().then(work), DEPENDENCY_PROBE_MS, name).then(
        () => null,
        () => name,
      );
    const names = await Promise.all([
      answered(() => {
        const db = this.connection.db;
        if (!db) throw new Error('MongoDB not connected');
        return db.command({ ping: 1 });
      }, 'MongoDB'),
      answered(() => this.redis.ping(), 'Redis'),
    ]);
    return names.filter((name): name is string => name !== null);
  }
}
