import { BullModule } from '@nestjs/bull';
import type { DynamicModule } from '@nestjs/common';
import type { AdvancedSettings } from 'bull';
import { AppConfig } from '../config';
import { BullConnections } from './bull-connections';

/** A queue's advanced settings, fixed or from configuration. */
export type QueueSettings = AdvancedSettings | ((config: AppConfig) => AdvancedSettings);

export function settingsOf(settings: QueueSettings | undefined, config: AppConfig): AdvancedSettings | undefined {
  return typeof settings === 'function' ? settings(config) : settings;
}

/** Registers a Bull queue with the deployment's connection settings and its key prefix (hash-tagged on a cluster). */
export function registerQueue(name: string, settings?: QueueSettings): DynamicModule {
  return BullModule.registerQueueAsync({
    name,
    inject: [BullConnections, AppConfig],
    useFactory: (connections: BullConnections, config: AppConfig) => ({ ...connections.queueOptions(name), settings: settingsOf(settings, config) }),
  });
}
