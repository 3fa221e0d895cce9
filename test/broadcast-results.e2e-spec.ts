import { getConnectionToken } from '@nestjs/mongoose';
import { Connection, Types } from 'mongoose';
import type { InboundMessage } from '@app/whatsapp';
import { DeliveryStatusService } from '../src/delivery-status/delivery-status.service';
import { InboundService } from '../src/inbound/inbound.service';
import type { BroadcastReport } from '../src/results/broadcast-report';
import { RECIPIENT_EXPORT_COLUMNS } from '../src/results/recipient-export.service';
import { mobileNumbers } from './support/broadcasts';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { eventually } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';
import { WebhookReceiver } from './support/webhook-receiver';

const HOUR_MS = 3_600_000;

/** A message.replied event as the client's endpoint receives it (the fields these tests read). */
interface ReplyEvent {
  id: string;
  type: string;
  data: {
    attribution: string;
    broadcast_id: string | null;
    message: { to: string; broadcast_id: string | null };
    reply: { from: string; inbound: { reply: unknown } };
  };
}

/** The export's lines as cells (no cell of these tests holds a comma or a quote). */
const rowsOf = (csv: string): Array<Record<string, string>> => {
  const [header, ...lines] = csv.trim().split('\n');
  const columns = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, index) => [columns[index], cell])));
};

describeWithMongo('Broadcast results: the report, replies attributed, the per-recipient export (e2e, sandbox)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let mallory: TestTenant;
  let receiver: WebhookReceiver;
  let broadcastId: string;
  let scheduledId: string;
  const [delivered, deliveredToo, readToo, readOnly, sentOnly] = mobileNumbers(5, '8034');
  const undeliverable = '2348034009999';
  const formulaLike = '=HYPERLINK(1)';
  const wamidOf = new Map<string, string>();
  const sentAtOf = new Map<string, Date>();

  const db = () => t.app.get<Connection>(getConnectionToken());
  const report = async (tenant: TestTenant, id: string): Promise<BroadcastReport> =>
    (await t.http.get(`/broadcast/${id}/report`).set(tenant.auth).expect(200)).body.data as BroadcastReport;

  const inbound = (from: string, overrides: Partial<InboundMessage>): InboundMessage => ({
    providerMessageId: `wamid.in.${from}.${Math.random().toString(36).slice(2)}`,
    from,
    timestamp: new Date(),
    profileName: null,
    type: 'text',
    text: 'Thanks!',
    media: null,
    location: null,
    contacts: null,
    reply: null,
    reaction: null,
    replyTo: null,
    ...overrides,
  });

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    // No simulated status reports: this suite sends each report itself, through the webhooks' path.
    t = await createTestApp({ env: { SANDBOX_STATUS_DELAY_MS: '0', WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_BACKOFF_MS: '40' } });
    alice = await createTenant(t.app, { name: 'Alice' });
    mallory = await createTenant(t.app, { name: 'Mallory' });
    await t.http.post('/webhook-endpoints').set(alice.auth).send({ url: `${receiver.baseUrl}/alice`, events: ['message.replied'] }).expect(201);

    const created = await t.http
      .post('/broadcast')
      .set(alice.auth)
      .set(alice.session)
      .send({ send_type: 'individual', to: [delivered, deliveredToo, readToo, readOnly, sentOnly, undeliverable, formulaLike], skip_invalid: true, message: { text: 'Sale today' } })
      .expect(201);
    broadcastId = created.body.data._id as string;
    await eventually(async () => {
      const body = (await t.http.get(`/broadcast/${broadcastId}`).set(alice.auth).expect(200)).body.data as { status: string };
      return body.status === 'completed_with_errors';
    }, 'the broadcast to finish', 30_000);
    for (const entry of await db().collection('message_logs').find({ broadcast_id: new Types.ObjectId(broadcastId) }).toArray()) {
      if (!entry.provider_message_ids?.[0]) continue;
      wamidOf.set(entry.recipient as string, entry.provider_message_ids[0] as string);
      sentAtOf.set(entry.recipient as string, entry.status_times.sentAt as Date);
    }

    const statuses = t.app.get(DeliveryStatusService);
    const later = (recipient: string, seconds: number) => new Date(sentAtOf.get(recipient)!.getTime() + seconds * 1000);
    await statuses.apply({ providerMessageId: wamidOf.get(delivered)!, status: 'delivered', timestamp: later(delivered, 2), costInUsdCents: 2 });
    await statuses.apply({ providerMessageId: wamidOf.get(deliveredToo)!, status: 'delivered', timestamp: later(deliveredToo, 4), costInUsdCents: 2 });
    await statuses.apply({ providerMessageId: wamidOf.get(readToo)!, status: 'delivered', timestamp: later(readToo, 6) });
    await statuses.apply({ providerMessageId: wamidOf.get(readToo)!, status: 'read', timestamp: later(readToo, 30) });
    // A read receipt without a delivery report: delivered too.
    await statuses.apply({ providerMessageId: wamidOf.get(readOnly)!, status: 'read', timestamp: later(readOnly, 8) });

    const replies = t.app.get(InboundService);
    // Quoted (context.id): exact. Unquoted within the window: the latest broadcast message. A button tap: quoted, payload kept.
    await replies.receive(alice.sessionId, [inbound(delivered, { replyTo: wamidOf.get(delivered)!, text: 'Yes please' })]);
    await replies.receive(alice.sessionId, [inbound(deliveredToo, { text: 'How much?' })]);
    await replies.receive(alice.sessionId, [
      inbound(readOnly, { type: 'button', text: 'Stop promotions', reply: { kind: 'quick_reply', id: 'STOP_PROMO', title: 'Stop promotions' }, replyTo: wamidOf.get(readOnly)! }),
    ]);
    // After the 24-hour window: not a reply to the broadcast.
    await replies.receive(alice.sessionId, [inbound(readToo, { timestamp: new Date(sentAtOf.get(readToo)!.getTime() + 25 * HOUR_MS) })]);
    // Delivery reports are applied in batches: wait for the last one.
    await eventually(async () => (await report(alice, broadcastId)).read === 2, 'the read reports to reach the ledger', 30_000);

    const scheduled = await t.http
      .post('/broadcast')
      .set(alice.auth)
      .set(alice.session)
      .send({ send_type: 'individual', to: mobileNumbers(3, '8035'), send_at: new Date(Date.now() + 24 * HOUR_MS).toISOString(), message: { text: 'Tomorrow' } })
      .expect(201);
    scheduledId = scheduled.body.data._id as string;
  });

  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  describe('GET /broadcast/:id/report', () => {
    it('gives every figure of the funnel from the broadcast and its ledger', async () => {
      const body = await report(alice, broadcastId);
      expect(body).toMatchObject({
        broadcast_id: broadcastId,
        status: 'completed_with_errors',
        recipients: 7,
        pending: 0,
        sent: 5,
        delivered: 4,
        read: 2,
        replied: 3,
        failed: 2,
        opted_out: 0,
        waiting_for_limit: 0,
        cost: { billed_usd_cents: 4, estimated_usd_cents: 4, planned: null },
      });
      expect(body.failures).toEqual([
        { code: '131026', title: 'Message undeliverable', message: expect.any(String), count: 1 },
        { code: 'invalid_number', title: 'Invalid phone number', message: expect.any(String), count: 1 },
      ]);
      const sentTimes = [...sentAtOf.values()].map((at) => at.getTime());
      expect(new Date(body.first_sent_at!).getTime()).toBe(Math.min(...sentTimes));
      expect(new Date(body.last_sent_at!).getTime()).toBe(Math.max(...sentTimes));
    });

    it('times the deliveries from the first send: 50% of 5 sent is the 3rd delivery; 90% (5) were never delivered', async () => {
      const body = await report(alice, broadcastId);
      const first = Math.min(...[...sentAtOf.values()].map((at) => at.getTime()));
      const deliveries = [
        sentAtOf.get(delivered)!.getTime() + 2000,
        sentAtOf.get(deliveredToo)!.getTime() + 4000,
        sentAtOf.get(readToo)!.getTime() + 6000,
        sentAtOf.get(readOnly)!.getTime() + 8000,
      ].sort((a, b) => a - b);
      expect(body.time_to_delivered.p50_seconds).toBeCloseTo((deliveries[2] - first) / 1000, 1);
      expect(body.time_to_delivered.p90_seconds).toBeNull();
    });

    it('has a per-minute series whose sums are the ledger figures', async () => {
      const { series } = await report(alice, broadcastId);
      const sum = (field: 'sent' | 'delivered' | 'read' | 'failed') => series.reduce((total, point) => total + point[field], 0);
      expect({ sent: sum('sent'), delivered: sum('delivered'), read: sum('read'), failed: sum('failed') }).toEqual({ sent: 5, delivered: 4, read: 2, failed: 1 });
      for (const point of series) expect(new Date(point.minute).getUTCSeconds()).toBe(0);
      expect(series.map(({ minute }) => minute)).toEqual([...series.map(({ minute }) => minute)].sort());
    });

    it('answers 404 for another tenant, exactly as for a broadcast that does not exist, and 400 for a bad id', async () => {
      const theirs = await t.http.get(`/broadcast/${broadcastId}/report`).set(mallory.auth).expect(404);
      const missing = await t.http.get('/broadcast/64ac509d05a7cc2b8c2bd9ab/report').set(mallory.auth).expect(404);
      expect(theirs.body.message.replace(broadcastId, 'ID')).toBe(missing.body.message.replace('64ac509d05a7cc2b8c2bd9ab', 'ID'));
      await t.http.get('/broadcast/not-an-id/report').set(alice.auth).expect(400);
    });
  });

  describe('replies', () => {
    it('ties each reply to the outbound message it answers, once, and leaves a reply after the window alone', async () => {
      const outbound = await db().collection('message_logs').find({ direction: 'outbound', recipient: { $in: [delivered, deliveredToo, readToo, readOnly] } }).toArray();
      const repliedAt = Object.fromEntries(outbound.map((entry) => [entry.recipient as string, entry.replied_at ?? null]));
      expect(repliedAt[delivered]).toBeInstanceOf(Date);
      expect(repliedAt[deliveredToo]).toBeInstanceOf(Date);
      expect(repliedAt[readOnly]).toBeInstanceOf(Date);
      expect(repliedAt[readToo]).toBeNull();

      const replies = await db().collection('message_logs').find({ direction: 'inbound' }).toArray();
      const byFrom = Object.fromEntries(replies.map((entry) => [entry.recipient as string, entry]));
      expect(byFrom[delivered].in_reply_to).toMatchObject({ attribution: 'quoted' });
      expect(byFrom[delivered].in_reply_to.broadcast_id.toHexString()).toBe(broadcastId);
      expect(byFrom[deliveredToo].in_reply_to).toMatchObject({ attribution: 'window' });
      expect(byFrom[readOnly].in_reply_to).toMatchObject({ attribution: 'quoted' });
      expect(byFrom[readOnly].inbound.reply).toEqual({ kind: 'quick_reply', id: 'STOP_PROMO', title: 'Stop promotions' });
      expect(byFrom[readToo].in_reply_to ?? null).toBeNull();
    });

    it('tells the client with one message.replied event per reply, the button payload included', async () => {
      const events = await eventually(async () => {
        const bodies = receiver.received.filter(({ path }) => path === '/alice').map(({ body }) => JSON.parse(body) as ReplyEvent);
        return new Set(bodies.map(({ id }) => id)).size >= 3 ? bodies : null;
      }, 'three message.replied events');
      const unique = [...new Map(events.map((event) => [event.id, event])).values()];
      expect(unique.map(({ type }) => type)).toEqual(['message.replied', 'message.replied', 'message.replied']);
      const byFrom = Object.fromEntries(unique.map((event) => [event.data.reply.from, event.data]));
      expect(Object.keys(byFrom).sort()).toEqual([delivered, deliveredToo, readOnly].sort());
      expect(byFrom[delivered]).toMatchObject({ attribution: 'quoted', broadcast_id: broadcastId, message: { to: delivered, broadcast_id: broadcastId } });
      expect(byFrom[deliveredToo]).toMatchObject({ attribution: 'window', broadcast_id: broadcastId });
      expect(byFrom[readOnly].reply.inbound.reply).toEqual({ kind: 'quick_reply', id: 'STOP_PROMO', title: 'Stop promotions' });
    });
  });

  describe('GET /broadcast/:id/recipients.csv', () => {
    it('streams one row per recipient in each status, with times, reasons and costs; formula-like cells escaped', async () => {
      const response = await t.http.get(`/broadcast/${broadcastId}/recipients.csv`).set(alice.auth).buffer(true).expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/csv/);
      expect(response.text.split('\n')[0]).toBe(RECIPIENT_EXPORT_COLUMNS.join(','));
      const rows = rowsOf(response.text);
      expect(rows).toHaveLength(7);
      const byNumber = Object.fromEntries(rows.map((row) => [row.number, row]));
      expect(byNumber[delivered]).toMatchObject({ status: 'delivered', cost_usd_cents: '2', failure_code: '' });
      expect(byNumber[delivered].replied_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(byNumber[readToo]).toMatchObject({ status: 'read', replied_at: '' });
      expect(byNumber[readToo].read_at).toMatch(/^\d{4}-/);
      expect(byNumber[readOnly].delivered_at).toBe(byNumber[readOnly].read_at);
      expect(byNumber[sentOnly]).toMatchObject({ status: 'sent', delivered_at: '', read_at: '' });
      expect(byNumber[sentOnly].sent_at).toBe(sentAtOf.get(sentOnly)!.toISOString());
      expect(byNumber[undeliverable]).toMatchObject({ status: 'failed', failure_code: '131026', sent_at: '' });
      expect(byNumber[`'${formulaLike}`]).toMatchObject({ status: 'failed', failure_code: 'invalid_number' });
      expect(byNumber[formulaLike]).toBeUndefined();
    });

    it('lists recipients not yet sent as pending', async () => {
      const response = await t.http.get(`/broadcast/${scheduledId}/recipients.csv`).set(alice.auth).buffer(true).expect(200);
      expect(rowsOf(response.text)).toEqual(mobileNumbers(3, '8035').map((number) => expect.objectContaining({ number, status: 'pending', sent_at: '' })));
    });

    it('answers 404 (JSON, no CSV) for another tenant', async () => {
      const response = await t.http.get(`/broadcast/${broadcastId}/recipients.csv`).set(mallory.auth).expect(404);
      expect(response.headers['content-type']).toMatch(/json/);
      expect(response.body).toMatchObject({ status: false });
    });
  });
});
