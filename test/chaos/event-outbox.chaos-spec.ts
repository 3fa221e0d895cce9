import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import { MessageLog } from '../../src/message-log/message-log.schema';
import { describeWithMongo } from '../support/mongo';
import type { ChaosCluster, ChaosTenant } from './support/chaos-cluster';
import { chaosNumbers, startChaosScenario, stopChaosScenario } from './support/chaos-scenario';
import { describeEvents, EventCounter } from './support/event-counter';
import { Observer, oid } from './support/observer';

/** From the crash to the broadcast's end: the dead worker's jobs come back within its heartbeat's expiry and the stalled check. */
const RECOVERY_BOUND_MS = 45_000;
const RECIPIENTS = 200;

/**
 * The event outbox under a crash: a worker dies between the ledger write that recorded its
 * messages' `message.sent` events and their publish (TEST_CRASH_BEFORE_EVENT_PUBLISH, a hook
 * inert unless set: the worker SIGKILLs itself right after that write is acknowledged). Another
 * worker finishes the broadcast, its outbox sweep publishes what the dead one recorded, and the
 * client's server receives one `message.sent` per message, each event id exactly once, signed.
 */
describeWithMongo('Chaos: a worker killed between the ledger write and the publish loses no event', () => {
  let cluster: ChaosCluster;
  let observer: Observer;
  let tenant: ChaosTenant;
  let events: EventCounter;

  beforeAll(async () => {
    // The API only; the workers of the scenario run with settings of their own.
    ({ cluster, observer, tenant, events } = await startChaosScenario(0));
  }, 300_000);

  afterAll(async () => {
    await stopChaosScenario({ cluster, events });
  }, 60_000);

  it('every message.sent arrives exactly once, those the dead worker recorded by the outbox sweep', async () => {
    const doomed = await cluster.startWorkerWith({ TEST_CRASH_BEFORE_EVENT_PUBLISH: 'true' });
    const session = await tenant.session(80);
    const recipients = chaosNumbers(RECIPIENTS, '905');
    const id = await tenant.broadcast(session, recipients, 'outbox');

    // The hook fires at the first write of outcomes: the worker is gone with their events unpublished.
    const crashDeadline = Date.now() + 60_000;
    while (doomed.running && Date.now() < crashDeadline) await sleep(50);
    expect(doomed.running).toBe(false);
    const faultAt = Date.now();
    const messageLogs = cluster.control.app.get<Model<MessageLog>>(getModelToken(MessageLog.name));
    const recordedByTheDead = await messageLogs.countDocuments({ broadcast_id: oid(id), pending_events: 'message.sent' });
    expect(recordedByTheDead).toBeGreaterThan(0);
    expect(events.receiver.received).toEqual([]);

    const survivor = await cluster.startWorker();
    const { broadcast } = await observer.watchUntilDone(tenant.clientId, id, recipients, RECOVERY_BOUND_MS);
    const finishedAt = Date.now();
    const finishedSeconds = (finishedAt - faultAt) / 1000;
    expect(broadcast.status).toBe('completed');
    expect(new Set(broadcast.sent)).toEqual(new Set(recipients));
    const expected = await events.expectedFor(id, broadcast.sent);
    expect(expected.size).toBe(RECIPIENTS);

    await events.waitFor(expected, finishedAt);
    // Late repeats would show here.
    await sleep(2000);
    const report = await events.waitFor(expected, finishedAt, 0);
    expect(report.missing).toEqual([]);
    // Here, with no delivery cut off, each event arrives once.
    expect(report.repeated).toBe(0);
    expect(report.badlySigned).toBe(0);
    const ids = events.receiver.received.map((delivery) => delivery.headers['x-event-id'] as string);
    expect(ids.filter((event) => !expected.has(event))).toEqual([]);
    for (const delivery of events.receiver.received) expect(JSON.parse(delivery.body)).toMatchObject({ id: delivery.headers['x-event-id'], type: 'message.sent' });
    // Nothing is left in any outbox.
    expect(await messageLogs.countDocuments({ broadcast_id: oid(id), pending_events: { $exists: true } })).toBe(0);
    const swept = survivor
      .output()
      .split('\n')
      .filter((line) => line.includes('left unpublished'))
      .reduce((sum, line) => sum + Number(/"events":(\d+)/.exec(line)?.[1] ?? 0), 0);
    expect(swept).toBeGreaterThanOrEqual(recordedByTheDead);
    const duplicates = await observer.duplicates(recipients);
    expect(duplicates.duplicatesOutsideWindow).toEqual([]);

    process.stdout.write(
      `\nChaos outbox figures: ${RECIPIENTS} recipients, worker killed between the ledger write and the publish with ${recordedByTheDead} events recorded; ` +
        `the broadcast ended ${finishedSeconds.toFixed(1)} s after the kill; ${describeEvents(report)}, ${swept} by the outbox sweep; ` +
        `${duplicates.duplicatesInsideWindow.length} sent twice inside the at-least-once window\n`,
    );
  }, 240_000);
});
