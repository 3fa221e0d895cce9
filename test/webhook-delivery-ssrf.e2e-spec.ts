import { getConnectionToken } from '@nestjs/mongoose';
import { Connection, Types } from 'mongoose';
import { CredentialsCipher } from '../src/auth/credentials-cipher';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { eventually } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';
import { WebhookReceiver } from './support/webhook-receiver';

const MAX_ATTEMPTS = 2;

/**
 * Endpoints that point at this machine, stored without the save-time check (written straight into
 * MongoDB, as an endpoint saved under WEBHOOK_ALLOW_PRIVATE_URLS=true or by a migration would be),
 * reached by an API and worker running with the variable unset.
 */
describeWithMongo('Event deliveries never reach private addresses, whatever the stored URL holds (e2e)', () => {
  let t: TestApp;
  let v4: WebhookReceiver;
  let v6: WebhookReceiver | null;
  let tenant: TestTenant;

  const db = () => t.app.get<Connection>(getConnectionToken());

  beforeAll(async () => {
    v4 = await WebhookReceiver.start();
    // IPv6 loopback is missing on some CI hosts; the [::1] endpoint is then checked against nothing listening.
    v6 = await WebhookReceiver.start('::1').catch(() => null);
    t = await createTestApp({ env: { WEBHOOK_BACKOFF_MS: '40', WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS), WEBHOOK_TIMEOUT_MS: '2000' } });
    tenant = await createTenant(t.app);
  });
  afterAll(async () => {
    await t.close();
    await v4.close();
    await v6?.close();
  });

  it('refuses 127.0.0.1, [::1], [::ffff:127.0.0.1], decimal and hex spellings and a name resolving to loopback: no request, a named reason, the endpoint disabled after its retries', async () => {
    const port = new URL(v4.baseUrl).port;
    const v6Port = v6 ? new URL(v6.baseUrl).port : port;
    const urls = [
      `http://127.0.0.1:${port}/literal`,
      `http://[::1]:${v6Port}/ipv6`,
      `http://[::ffff:127.0.0.1]:${port}/mapped`,
      `http://2130706433:${port}/decimal`,
      `http://0x7f.0.0.1:${port}/hex`,
      `http://localhost:${port}/name`,
    ];
    const cipher = t.app.get(CredentialsCipher);
    const inserted = await db()
      .collection('webhook_endpoints')
      .insertMany(
        urls.map((url) => ({
          client_id: new Types.ObjectId(tenant.clientId),
          url,
          description: null,
          events: [],
          enabled: true,
          disabled_reason: null,
          disabled_at: null,
          secret_encrypted: cipher.encrypt({ secret: 'whsec_written_around_the_api' }),
          last_success_at: null,
          last_failure_at: null,
          createdAt: new Date(),
          updatedAt: new Date(),
        })),
      );
    const ids = Object.values(inserted.insertedIds).map((id) => id.toHexString());

    await t.http.post('/v1/messages').set(tenant.auth).set(tenant.session).send({ to: '2348031110001', message: { text: 'hello' } }).expect(202);

    for (const id of ids) {
      const endpoint = await eventually(
        async () => {
          const found = (await t.http.get(`/webhook-endpoints/${id}`).set(tenant.auth).expect(200)).body.data as { enabled: boolean; disabled_reason: string | null };
          return found.enabled ? null : found;
        },
        `endpoint ${id} disabled`,
        20_000,
      );
      expect(endpoint.disabled_reason).toMatch(/EADDRNOTPUBLIC: not delivered: .*loopback, private or link-local/);
      // A try under way when the endpoint was disabled ends on its own: wait for every delivery to be over.
      const deliveries = await eventually(
        async () => {
          const listed = (await t.http.get(`/webhook-endpoints/${id}/deliveries?limit=100`).set(tenant.auth).expect(200)).body.data as Array<{
            status: string;
            response_code: number | null;
            attempts: Array<{ error: string | null; response_code: number | null }>;
          }>;
          return listed.length > 0 && listed.every((delivery) => delivery.status === 'failed') ? listed : null;
        },
        `every delivery to ${id} failed`,
        20_000,
      );
      for (const delivery of deliveries) {
        expect(delivery.status).toBe('failed');
        expect(delivery.response_code).toBeNull();
        for (const attempt of delivery.attempts) {
          expect(attempt.response_code).toBeNull();
          expect(attempt.error).toMatch(/^EADDRNOTPUBLIC: not delivered/);
        }
      }
      // The usual retries were made before giving up.
      expect(Math.max(...deliveries.map((delivery) => delivery.attempts.length))).toBe(MAX_ATTEMPTS);
    }
    expect(v4.received).toEqual([]);
    expect(v6?.received ?? []).toEqual([]);
  });
});
