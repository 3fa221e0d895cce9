import { BullModule } from '@nestjs/bull';
import type { DynamicModule } from '@nestjs/common';
import type { AdvancedSettings } from 'bull';
import { AppConfig } from '../config';
import { BullConnections } from './bull-connections';
import { guardBullWorkerNaming } from './bull-worker-name';

guardBullWorkerNaming();

/** A queue's advanced settings, fixed or from configuration. */
export type QueueSettings = AdvancedSettings | ((config: AppConfig) => AdvancedSettings);

export function settingsOf(settings: QueueSettings | undefined, config: AppConfig): AdvancedSettings | undefined {
  return typeof settings === 'function' ? settings(config) : settings;
}

/**
 * How many times a job is taken back from a worker that died (or stalled) under it before Bull fails it
 * ("job stalled more than allowable limit"). Bull's default, 1, fails a job at the second death in a row,
 * and with short locks workers dying again and again (a crash loop, a rolling restart) meet it: an event
 * delivery failed that way, with none of its tries made, is lost. Every job here is safe to run again (a
 * send's lease, a delivery's status, a fan-out's position are in MongoDB); a job that itself kills its
 * worker still stops after this many.
 */
export const MAX_STALLED_RUNS = 5;

/**
 * How long a worker holds a job (WORKER_LOCK_DURATION_MS, renewed at half of it) and how often it takes
 * back the jobs of workers that died (WORKER_STALLED_INTERVAL_MS): the same for every queue, so that a
 * dead worker's fan-out, event deliveries and inbound messages come back as soon as its sends do (Bull's
 * own defaults, 30 s each, would hold them up to a minute), and the reaper can free them all at once.
 */
export function workerLockSettings(config: AppConfig): AdvancedSettings {
  return {
    lockDuration: config.worker.lockDurationMs,
    lockRenewTime: Math.floor(config.worker.lockDurationMs / 2),
    stalledInterval: config.worker.stalledIntervalMs,
    maxStalledCount: MAX_STALLED_RUNS,
  };
}

/** Registers a Bull queue with the deployment's connection settings, its key prefix (hash-tagged on a cluster) and the worker's lock settings. */
export function registerQueue(name: string, settings?: QueueSettings): DynamicModule {
  return BullModule.registerQueueAsync({
    name,
    inject: [BullConnections, AppConfig],
    useFactory: (connections: BullConnections, config: AppConfig) => ({
      ...connections.queueOptions(name),
      settings: { ...workerLockSettings(config), ...settingsOf(settings, config) },
    }),
  });
}
