import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import { CredentialsCipher } from '../../src/auth';
import { eventId } from '../../src/event-webhook/client-events';
import { verifyEventSignature } from '../../src/event-webhook/event-signature';
import { WebhookEndpointRepository } from '../../src/event-webhook/webhook-endpoint.repository';
import { MessageLog, MessageLogRecord } from '../../src/message-log/message-log.schema';
import { describeWithMongo } from '../support/mongo';
import { WebhookReceiver } from '../support/webhook-receiver';
import { ChaosCluster, ChaosTenant } from './support/chaos-cluster';
import { Observer, oid } from './support/observer';

/** From the crash to the broadcast's end: the dead worker's jobs come back within its heartbeat's expiry and the stalled check. */
const RECOVERY_BOUND_MS = 45_000;
/** From the broadcast's end to the last event at the receiver: the outbox sweep (SWEEP_INTERVAL_MS 1 s, events 5 s old) and the delivery. */
const EVENTS_BOUND_MS = 30_000;
const RECIPIENTS = 200;
const SECRET = 'whsec_chaos_outbox';

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
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    cluster = await ChaosCluster.start();
    // The API only; the workers of the scenario run with settings of their own.
    await cluster.heal(0);
    observer = new Observer(cluster);
    tenant = await cluster.tenant();
    // Stored directly: the address check at save would refuse the receiver's loopback address (the workers are told to allow it).
    const cipher = cluster.control.app.get(CredentialsCipher);
    await cluster.control.app
      .get(WebhookEndpointRepository)
      .create(tenant.clientId, { url: `${receiver.baseUrl}/events`, description: 'chaos', events: ['message.sent'], enabled: true, secretEncrypted: cipher.encrypt({ secret: SECRET }) });
  }, 300_000);

  afterAll(async () => {
    await cluster?.close();
    await receiver?.close();
  }, 60_000);

  it('every message.sent arrives exactly once, those the dead worker recorded by the outbox sweep', async () => {
    const allowLoopback = { WEBHOOK_ALLOW_PRIVATE_URLS: 'true' };
    const doomed = await cluster.startWorkerWith({ ...allowLoopback, TEST_CRASH_BEFORE_EVENT_PUBLISH: 'true' });
    const session = await tenant.session(80);
    const recipients = Array.from({ length: RECIPIENTS }, (_, index) => `234905${String(1_000_000 + index).padStart(7, '0')}`);
    const response = await fetch(`${cluster.apiUrl}/broadcast`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tenant.apiKey}`, 'Content-Type': 'application/json', ...session },
      body: JSON.stringify({ send_type: 'individual', to: recipients.join(','), message: { text: 'outbox' } }),
    });
    expect(response.status).toBe(201);
    const id = ((await response.json()) as { data: { _id: string } }).data._id;

    // The hook fires at the first write of outcomes: the worker is gone with their events unpublished.
    const crashDeadline = Date.now() + 60_000;
    while (doomed.running && Date.now() < crashDeadline) await sleep(50);
    expect(doomed.running).toBe(false);
    const faultAt = Date.now();
    const messageLogs = cluster.control.app.get<Model<MessageLog>>(getModelToken(MessageLog.name));
    const recordedByTheDead = await messageLogs.countDocuments({ broadcast_id: oid(id), pending_events: 'message.sent' });
    expect(recordedByTheDead).toBeGreaterThan(0);
    expect(receiver.received).toEqual([]);

    const survivor = await cluster.startWorkerWith(allowLoopback);
    const { broadcast } = await observer.watchUntilDone(tenant.clientId, id, recipients, RECOVERY_BOUND_MS);
    const finishedSeconds = (Date.now() - faultAt) / 1000;
    expect(broadcast.status).toBe('completed');
    const entries = await messageLogs.find({ broadcast_id: oid(id) }).select('+pending_events').lean<MessageLogRecord[]>();
    expect(entries).toHaveLength(RECIPIENTS);
    const expected = new Set(entries.map((entry) => eventId(entry._id.toHexString(), 'message.sent')));

    const eventsDeadline = Date.now() + EVENTS_BOUND_MS;
    const arrived = () => new Set(receiver.received.map((delivery) => delivery.headers['x-event-id'] as string));
    while ([...expected].some((event) => !arrived().has(event)) && Date.now() < eventsDeadline) await sleep(200);
    const lastEventSeconds = (Date.now() - faultAt) / 1000;
    // Late repeats would show here.
    await sleep(2000);

    const ids = receiver.received.map((delivery) => delivery.headers['x-event-id'] as string);
    expect([...expected].filter((event) => !ids.includes(event))).toEqual([]);
    expect(ids.filter((event, index) => ids.indexOf(event) !== index)).toEqual([]);
    expect(ids.filter((event) => !expected.has(event))).toEqual([]);
    for (const delivery of receiver.received) {
      expect(verifyEventSignature(SECRET, delivery.headers['x-signature'] as string, delivery.body)).toBe(true);
      expect(JSON.parse(delivery.body)).toMatchObject({ id: delivery.headers['x-event-id'], type: 'message.sent' });
    }
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
        `the broadcast ended ${finishedSeconds.toFixed(1)} s after the kill; ${ids.length} of ${expected.size} message.sent events delivered, none twice, ${swept} by the outbox sweep; ` +
        `the last ${lastEventSeconds.toFixed(1)} s after the kill; ${duplicates.duplicatesInsideWindow.length} sent twice inside the at-least-once window\n`,
    );
  }, 240_000);
});
