import { ChaosCluster, ChaosTenant } from './chaos-cluster';
import { EventCounter } from './event-counter';
import { Observer } from './observer';

/** What every chaos suite runs on: the cluster, its observer, one tenant, and the receiver counting that tenant's events. */
export interface ChaosScenario {
  cluster: ChaosCluster;
  observer: Observer;
  tenant: ChaosTenant;
  events: EventCounter;
}

/** Starts a suite's scenario with `workers` worker processes (0: the API alone, for a suite that starts its own). */
export async function startChaosScenario(workers: number): Promise<ChaosScenario> {
  const cluster = await ChaosCluster.start();
  try {
    await cluster.heal(workers);
    const tenant = await cluster.tenant();
    return { cluster, observer: new Observer(cluster), tenant, events: await EventCounter.start(cluster, tenant.clientId) };
  } catch (error) {
    await cluster.close();
    throw error;
  }
}

/** Stops what startChaosScenario started; safe when it did not get that far (its parts still undefined). */
export async function stopChaosScenario({ cluster, events }: Partial<Pick<ChaosScenario, 'cluster' | 'events'>>): Promise<void> {
  await cluster?.close();
  await events?.close();
}

/** Valid Nigerian mobile numbers after `234<prefix>`: a block of its own per scenario, so that sends never mix. */
export function chaosNumbers(count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, index) => `234${prefix}${String(1_000_000 + index).padStart(7, '0')}`);
}
