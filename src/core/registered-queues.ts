import { Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import Bull, { Queue } from 'bull';

/**
 * Every Bull queue this process registered (BullModule.registerQueue anywhere in its modules), one per
 * name: what the metrics sample and the queue dashboard shows. Found by type, so a feature that adds a
 * queue needs no list updated here.
 */
@Injectable()
export class RegisteredQueues {
  private found?: Queue[];

  constructor(private readonly discovery: DiscoveryService) {}

  all(): Queue[] {
    this.found ??= this.discover();
    return this.found;
  }

  private discover(): Queue[] {
    const byName = new Map<string, Queue>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (instance instanceof Bull && !byName.has(instance.name)) byName.set(instance.name, instance);
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}
