import { setTimeout as sleep } from 'node:timers/promises';
import type { SendRequest, SendResult } from '@app/whatsapp';
import { DeliveryStatusService } from '../src/delivery-status/delivery-status.service';
import { ProviderRegistry } from '../src/sending/provider-registry';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

const SETTLE_TIMEOUT_MS = 10_000;
const POLL_MS = 50;
/** The sender's last writes (its catch-up) follow the `sent` mark by a few round trips. */
const QUIET_MS = 500;

interface LedgerEntry {
  message_uid: string;
  status: string;
  error: { code: string; message: string } | null;
}

/**
 * Delivery reports that land while the sender is still working on the message (a webhook
 * can beat the sender's own writes) must still reach the message log.
 */
describeWithMongo('Delivery reports racing the sender (e2e)', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    // No sandbox delivered/read reports: the only report is the one each test sends.
    t = await createTestApp({ worker: true, env: { SANDBOX_STATUS_DELAY_MS: '0' } });
    tenant = await createTenant(t.app);
  });
  afterAll(() => t.close());

  async function entryOf(messageUid: string): Promise<LedgerEntry | undefined> {
    const response = await t.http.get('/message-log').query({ type: 'all', limit: 100 }).set(tenant.auth).expect(200);
    return (response.body.data as LedgerEntry[]).find((candidate) => candidate.message_uid === messageUid);
  }

  /** The entry once the sender is done with it. */
  async function settledEntry(messageUid: string): Promise<LedgerEntry | undefined> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const entry = await entryOf(messageUid);
      if (entry && !['queued', 'sending'].includes(entry.status)) {
        await sleep(QUIET_MS);
        return entryOf(messageUid);
      }
      if (Date.now() > deadline) throw new Error(`Message ${messageUid} not settled: ${JSON.stringify(entry)}`);
      await sleep(POLL_MS);
    }
  }

  it('fails the message when the provider reports it failed before the sender recorded the call', async () => {
    const sandbox = t.app.get(ProviderRegistry).sandbox;
    const statuses = t.app.get(DeliveryStatusService);
    const send = sandbox.send.bind(sandbox);
    const spy = jest.spyOn(sandbox, 'send').mockImplementation(async (request: SendRequest): Promise<SendResult> => {
      const result = await send(request);
      // The webhook arrives before the sender has written the WhatsApp log of this call.
      await statuses.apply({
        providerMessageId: result.providerMessageId,
        status: 'failed',
        timestamp: new Date(),
        error: { code: '131047', message: 'Re-engagement message' },
      });
      return result;
    });
    try {
      const queued = await t.http
        .post('/v1/messages')
        .set(tenant.auth)
        .set(tenant.session)
        .send({ to: '2348031230001', message: { text: 'Reported failed at once' } })
        .expect(202);
      const entry = await settledEntry(queued.body.data.message_uid as string);
      expect(entry?.status).toBe('failed');
      expect(entry?.error).toEqual({ code: '131047', message: 'Re-engagement message' });
    } finally {
      spy.mockRestore();
    }
  });
});
