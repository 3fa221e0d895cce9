import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Connection } from 'mongoose';
import { withDeadline } from '../core/deadline';

/**
 * MongoDB answers a real round trip (a `ping` command) within the deadline. A connection's state
 * alone says nothing of a server that stalls (a step-down, a long pause, a partition): its
 * sockets stay open and it answers nothing.
 */
@Injectable()
export class MongoHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @InjectConnection() private readonly connection: Connection,
  ) {}

  async pingCheck(key = 'mongodb', timeoutMs = 2000): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      const db = this.connection.db;
      if (!db) throw new Error('not connected');
      await withDeadline(db.command({ ping: 1 }), timeoutMs, 'MongoDB');
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }
}
