import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config';
import { ExclusiveInterval } from '../core/exclusive-interval';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';
import { TemplateCatalogue } from './template-catalogue';
import { TemplateLifecycle } from './template-lifecycle';

/** How often the sandbox's due reviews are decided (reads decide the ones they meet at once). */
const REVIEW_INTERVAL_MS = 1000;

/**
 * The worker's template upkeep, each in one worker at a time: every WhatsApp Business Account's
 * catalogue read again every TEMPLATE_SYNC_INTERVAL_MS (so that a missed webhook is caught up),
 * and the sandbox's reviews decided when their time comes.
 */
@Injectable()
export class TemplateUpkeep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly sync: ExclusiveInterval;
  private readonly reviews: ExclusiveInterval;

  constructor(catalogue: TemplateCatalogue, lifecycle: TemplateLifecycle, config: AppConfig, @Inject(REDIS) redis: RedisClient) {
    this.sync = new ExclusiveInterval(redis, { name: 'Template sync', lockKey: 'templates:sync:lock', intervalMs: config.templates.syncIntervalMs }, () => catalogue.syncAll());
    this.reviews = new ExclusiveInterval(redis, { name: 'Sandbox template reviews', lockKey: 'templates:reviews:lock', intervalMs: REVIEW_INTERVAL_MS }, () => lifecycle.settleDueReviews());
  }

  onApplicationBootstrap(): void {
    this.sync.start();
    this.reviews.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.sync.stop(), this.reviews.stop()]);
  }
}
