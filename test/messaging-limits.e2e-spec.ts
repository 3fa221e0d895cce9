import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { TenancyService } from '../src/auth/tenancy.service';
import { Clock } from '../src/core/clock';
import type { RedisClient } from '../src/core/redis-connection';
import { REDIS } from '../src/core/redis.module';
import { LIMIT_WINDOW_MS } from '../src/messaging-limit/messaging-limit-counter';
import { BroadcastBody, mobileNumbers } from './support/broadcasts';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { eventually } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';

const PORTFOLIO = 'acme-portfolio';
/** How long a waiting message waits before it looks again: short, so that a moved clock is seen at once. */
const RECHECK_MS = 150;

describeWithMongo("The business portfolio's messaging limit, counted and never exceeded (e2e)", () => {
  let t: TestApp;
  let tenant: TestTenant;
  let other: TestTenant;
  let first: Record<string, string>;
  let second: Record<string, string>;
  let startedAt: number;

  const db = () => t.app.get<Connection>(getConnectionToken());
  const broadcastOf = async (id: string): Promise<BroadcastBody> => (await t.http.get(`/broadcast/${id}`).set(tenant.auth).expect(200)).body.data;
  const portfolio = async () => (await t.http.get(`/portfolios/${PORTFOLIO}`).set(tenant.auth).expect(200)).body.data;
  const moveClockTo = (at: number) => jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(at));
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function newSession(clientId: string): Promise<Record<string, string>> {
    const session = await t.app.get(TenancyService).createSession({ clientId, name: 'Portfolio line', provider: 'sandbox', portfolioId: PORTFOLIO });
    return { 'X-Session-Id': session.session_id, 'X-Access-Token': session.access_token };
  }

  async function sendOne(session: Record<string, string>, to: string): Promise<string> {
    return (await t.http.post('/v1/messages').set(tenant.auth).set(session).send({ to, message: { text: 'Hello' } }).expect(202)).body.data.message_uid as string;
  }
  /** Whether the message reached the provider (the sandbox moves it on to delivered and read). */
  const wentOut = async (uid: string) => ['sent', 'delivered', 'read'].includes((await db().collection('message_logs').findOne({ message_uid: uid }))?.status as string);

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        SANDBOX_LATENCY_MS: '0',
        SANDBOX_STATUS_DELAY_MS: '20',
        BROADCAST_PROGRESS_FLUSH_MS: '50',
        MESSAGING_LIMIT_RECHECK_MS: String(RECHECK_MS),
      },
    });
    tenant = await createTenant(t.app, { name: 'Portfolio owner' });
    other = await createTenant(t.app, { name: 'Someone else' });
    first = await newSession(tenant.clientId);
    second = await newSession(tenant.clientId);
    startedAt = Date.now();
    moveClockTo(startedAt);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t.close();
  });

  it('sets the limit on the portfolio (400 for a bad one, 404 for a portfolio of none of the client’s sessions)', async () => {
    const bad = await t.http.put(`/portfolios/${PORTFOLIO}/messaging-limit`).set(tenant.auth).send({ messaging_limit: 0 }).expect(400);
    expect(bad.body.errors).toEqual(['messaging_limit must be at least 1, or null for no limit']);
    await t.http.put(`/portfolios/${PORTFOLIO}/messaging-limit`).set(other.auth).send({ messaging_limit: 50 }).expect(404);
    await t.http.get(`/portfolios/${PORTFOLIO}`).set(other.auth).expect(404);
    const set = await t.http.put(`/portfolios/${PORTFOLIO}/messaging-limit`).set(tenant.auth).send({ messaging_limit: 50 }).expect(200);
    expect(set.body.data).toEqual({ portfolio_id: PORTFOLIO, messaging_limit: 50, reached_in_window: 0, next_room_at: null });
    const sessions = (await t.http.get('/sessions').set(tenant.auth).expect(200)).body.data as Array<{ session_id: string; portfolio_id: string }>;
    const ids = [first, second].map((session) => session['X-Session-Id']);
    expect(sessions.filter(({ session_id }) => ids.includes(session_id)).map(({ portfolio_id }) => portfolio_id)).toEqual([PORTFOLIO, PORTFOLIO]);
  });

  it('sends 50 of a 120-recipient broadcast, keeps 70 pending and none sent early, shares the count with the other session, rebuilds it when Redis loses it, and sends the rest as the window moves', async () => {
    const recipients = mobileNumbers(120, '8071');
    const created = await t.http.post('/broadcast').set(tenant.auth).set(first).send({ send_type: 'individual', to: recipients.join(','), message: { text: 'Spring sale' } }).expect(201);
    const id = created.body.data._id as string;

    await eventually(async () => (await broadcastOf(id)).sent.length === 50, '50 recipients to be sent');
    // Several rechecks later, still 50: nothing goes early.
    await sleep(RECHECK_MS * 6);
    let broadcast = await broadcastOf(id);
    expect([broadcast.sent.length, broadcast.pending.length, broadcast.failed.length, broadcast.status]).toEqual([50, 70, 0, 'sending']);
    // In order: the first 50 of the list went.
    expect([...broadcast.sent].sort()).toEqual(recipients.slice(0, 50));
    // The broadcast says how many wait for the limit, and when the first is expected to go (a day after the first sends).
    const { counts } = await eventually(async () => {
      const shown = await broadcastOf(id);
      return shown.counts.waiting_for_limit === 70 ? shown : null;
    }, 'the 70 to show as waiting for the limit');
    expect(counts.pending).toBe(70);
    const nextAt = new Date(counts.next_waiting_at as string).getTime();
    expect(nextAt).toBeGreaterThanOrEqual(startedAt + LIMIT_WINDOW_MS);
    expect(nextAt).toBeLessThan(startedAt + LIMIT_WINDOW_MS + 60_000);
    expect(await portfolio()).toEqual({
      portfolio_id: PORTFOLIO,
      messaging_limit: 50,
      reached_in_window: 50,
      next_room_at: expect.any(String),
    });

    // The other session of the portfolio: a person already reached counts once and goes; a new one waits.
    const again = await sendOne(second, recipients[0]);
    const fresh = await sendOne(second, '2348079999001');
    await eventually(() => wentOut(again), 'the message to a person already reached to go');
    await sleep(RECHECK_MS * 4);
    expect(await wentOut(fresh)).toBe(false);

    // Redis loses the count: it is rebuilt from the ledger, and still nothing more goes.
    const redis = t.app.get<RedisClient>(REDIS);
    await redis.del(`msg-limit:{${tenant.clientId}:${PORTFOLIO}}`, `msg-limit:{${tenant.clientId}:${PORTFOLIO}}:built`);
    await sleep(RECHECK_MS * 4);
    expect((await portfolio()).reached_in_window).toBe(50);
    expect((await broadcastOf(id)).sent).toHaveLength(50);

    // A day later the 50 leave the window: 50 more go (the 70 waiting and the other session's one share them).
    moveClockTo(startedAt + LIMIT_WINDOW_MS + 60_000);
    const sentAfterFirstMove = async () => (await broadcastOf(id)).sent.length + ((await wentOut(fresh)) ? 1 : 0);
    await eventually(async () => (await sentAfterFirstMove()) === 100, '50 more to go once the window moved');
    await sleep(RECHECK_MS * 6);
    expect(await sentAfterFirstMove()).toBe(100);
    broadcast = await broadcastOf(id);
    expect(broadcast.pending.length).toBe(120 - broadcast.sent.length);

    // Another day: the rest.
    moveClockTo(startedAt + 2 * LIMIT_WINDOW_MS + 120_000);
    await eventually(async () => (await broadcastOf(id)).status === 'completed', 'the broadcast to complete', 20_000);
    broadcast = await broadcastOf(id);
    expect([broadcast.sent.length, broadcast.pending.length, broadcast.failed.length]).toEqual([120, 0, 0]);
    expect(broadcast.counts).toMatchObject({ waiting_for_limit: 0, next_waiting_at: null });
    // The other session's message goes on its own recheck (MESSAGING_LIMIT_RECHECK_MS), not with the broadcast's end.
    await eventually(() => wentOut(fresh), "the other session's message to go once there is room");
  }, 60_000);
});
