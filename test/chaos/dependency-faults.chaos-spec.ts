import { setTimeout as sleep } from 'node:timers/promises';
import { describeWithMongo } from '../support/mongo';
import type { ChaosCluster, ChaosTenant } from './support/chaos-cluster';
import { chaosNumbers, startChaosScenario, stopChaosScenario } from './support/chaos-scenario';
import { describeEvents, EventCounter, EventsReport } from './support/event-counter';
import type { Observer } from './support/observer';
import { ProgressWatch } from './support/progress-watch';

/** How long a stall lasts: as long as a primary's step-down or a long pause, and longer than the lock (5 s here) and the driver's connect timeout (10 s). */
const STALL_MS = 20_000;
/** From the fault's end to the broadcast's end. */
const FINISH_BOUND_MS = 45_000;
/** The longest stretch without a recipient moving, once the fault is over (issue #26: recovery within 30 s). */
const PROGRESS_BOUND_S = 30;
/** How long the added latency lasts. */
const LATENCY_FOR_MS = 10_000;

interface FaultReport {
  recipients: number;
  /** From the fault's start to the broadcast's end. */
  faultToFinishSeconds: number;
  /** The longest stretch without progress after the fault ended. */
  longestStillSeconds: number;
  /** Messages a second attempt claimed (a job run again: Bull took it back, or it retried). */
  claimedAgain: number;
  /** Send jobs Bull's stalled-job check took back from their worker and ran again. */
  takenBack: number;
  duplicatesInsideWindow: number;
  duplicatesOutsideWindow: number;
  /** The broadcast's `message.sent` events at the client's receiver. */
  events?: EventsReport;
  /** What a client saw during the fault, when the scenario asked. */
  seen?: string;
}

/**
 * The chaos suite's dependency faults: MongoDB and Redis stalling for 20 s (connections open,
 * nothing answered), their connections reset mid-write, and 200 ms added each way to every chunk,
 * each through the fault proxy between the processes and the server. For each, every recipient is
 * in exactly one of the broadcast's arrays at every poll, none is left pending, none whose first send
 * the ledger holds is sent again, progress resumes within 30 s of the fault's end, the broadcast
 * ends within 45 s of it, and every recipient sent has its `message.sent` event at the client's
 * server within EVENTS_BOUND_MS of the broadcast's end.
 */
describeWithMongo('Chaos: MongoDB and Redis stalling, dropping connections and slowing down', () => {
  let cluster: ChaosCluster;
  let observer: Observer;
  let tenant: ChaosTenant;
  let events: EventCounter;
  const reports: Array<[string, FaultReport]> = [];

  beforeAll(async () => {
    ({ cluster, observer, tenant, events } = await startChaosScenario(2));
  }, 300_000);

  afterAll(async () => {
    await stopChaosScenario({ cluster, events });
    if (reports.length > 0) {
      const lines = reports.map(
        ([name, report]) =>
          `  ${name}: ${report.recipients} recipients, ended ${report.faultToFinishSeconds.toFixed(1)} s after the fault began, ` +
          `longest stretch without progress after it ${report.longestStillSeconds.toFixed(1)} s, ${report.takenBack} jobs taken back by Bull, ${report.claimedAgain} claimed again, ` +
          `${report.duplicatesInsideWindow} sent twice inside the at-least-once window, ${report.duplicatesOutsideWindow} outside it` +
          (report.events ? `; ${describeEvents(report.events)}` : '') +
          (report.seen ? `; ${report.seen}` : ''),
      );
      process.stdout.write(`\nChaos suite figures (dependency faults):\n${lines.join('\n')}\n`);
    }
  }, 60_000);

  /** A broadcast of `count` recipients, 30 % sent, watched from there. */
  async function broadcastUnderWay(count: number, prefix: string): Promise<{ id: string; recipients: string[]; watch: ProgressWatch }> {
    await cluster.heal(2);
    const recipients = chaosNumbers(count, prefix);
    const id = await tenant.broadcast(await tenant.session(80), recipients);
    await observer.waitForSent(tenant.clientId, id, Math.round(count * 0.3));
    const watch = new ProgressWatch(cluster, observer, tenant.clientId, id, recipients, STALL_MS + FINISH_BOUND_MS + 30_000);
    return { id, recipients, watch };
  }

  /** A GET of the API, its status and how long it took, during a fault. */
  async function timedGet(path: string): Promise<{ status: number; ms: number; body: string }> {
    const started = Date.now();
    const response = await fetch(`${cluster.apiUrl}${path}`, { headers: { Authorization: `Bearer ${tenant.apiKey}` }, signal: AbortSignal.timeout(30_000) });
    return { status: response.status, body: await response.text(), ms: Date.now() - started };
  }

  /** Waits for the broadcast's end and checks what every scenario must hold; `faultAt` and `faultEndedAt` bound the fault. */
  async function expectRecovered(
    name: string,
    { id, recipients, watch }: { id: string; recipients: string[]; watch: ProgressWatch },
    faultAt: number,
    faultEndedAt: number,
    seen?: string,
  ): Promise<void> {
    const broadcast = await watch.done();
    const finishedAt = Date.now();
    expect(broadcast.status).toBe('completed');
    expect(broadcast.pending).toEqual([]);
    expect(new Set(broadcast.sent)).toEqual(new Set(recipients));
    const duplicates = await observer.duplicates(recipients);
    const report: FaultReport = {
      recipients: recipients.length,
      faultToFinishSeconds: (finishedAt - faultAt) / 1000,
      longestStillSeconds: watch.longestStillSince(faultEndedAt),
      claimedAgain: await watch.claimedAgain(),
      takenBack: await watch.jobsTakenBack(),
      duplicatesInsideWindow: duplicates.duplicatesInsideWindow.length,
      duplicatesOutsideWindow: duplicates.duplicatesOutsideWindow.length,
      seen,
    };
    reports.push([name, report]);
    expect(duplicates.duplicatesOutsideWindow).toEqual([]);
    expect(observer.sendsTo(recipients)).toBe(recipients.length + duplicates.duplicatesInsideWindow.length);
    expect(finishedAt - faultEndedAt).toBeLessThan(FINISH_BOUND_MS);
    expect(report.longestStillSeconds).toBeLessThan(PROGRESS_BOUND_S);
    // Every message sent has its event at the client's server, at least once, signed.
    report.events = await events.waitFor(await events.expectedFor(id, broadcast.sent), finishedAt);
    expect(report.events.expected).toBe(recipients.length);
    expect(report.events.missing).toEqual([]);
    expect(report.events.badlySigned).toBe(0);
  }

  it('MongoDB stalled for 20 s mid-broadcast', async () => {
    const underWay = await broadcastUnderWay(400, '903');
    const faultAt = Date.now();
    cluster.mongoProxy.stall();
    let seen: string;
    try {
      await sleep(1000);
      // From outside: a request answers 503 naming MongoDB at the request deadline, /health within its own.
      const [read, health] = await Promise.all([timedGet(`/broadcast/${underWay.id}`), timedGet('/health')]);
      expect(read.status).toBe(503);
      expect(read.body).toContain('MongoDB did not answer');
      expect(read.ms).toBeLessThan(7000);
      expect(health.status).toBe(503);
      expect(health.ms).toBeLessThan(4000);
      seen = `GET /broadcast/:id ${read.status} in ${(read.ms / 1000).toFixed(1)} s, /health ${health.status} in ${(health.ms / 1000).toFixed(1)} s`;
      // Every worker stops taking send jobs once its heartbeat's ping goes unanswered.
      for (const worker of cluster.runningWorkers()) {
        await expectEventually(() => worker.output().includes('MongoDB does not answer'), `${worker.name} to pause its send queues`);
      }
      await sleep(Math.max(0, faultAt + STALL_MS - Date.now()));
    } finally {
      cluster.mongoProxy.pass();
    }
    const faultEndedAt = Date.now();
    await expectRecovered('MongoDB stalled 20 s at 30%', underWay, faultAt, faultEndedAt, seen);
    for (const worker of cluster.runningWorkers()) expect(worker.output()).toContain('MongoDB answers again');
  }, 300_000);

  it('Redis stalled for 20 s mid-broadcast', async () => {
    const underWay = await broadcastUnderWay(400, '906');
    const faultAt = Date.now();
    cluster.redisProxy.stall();
    let seen: string;
    try {
      await sleep(1000);
      // The rate-limit counters give up on Redis after 500 ms; anything else waiting on it meets the request deadline.
      const [read, health] = await Promise.all([timedGet(`/broadcast/${underWay.id}`), timedGet('/health')]);
      expect(read.ms).toBeLessThan(7000);
      expect([200, 503]).toContain(read.status);
      expect(health.status).toBe(503);
      expect(health.ms).toBeLessThan(4000);
      seen = `GET /broadcast/:id ${read.status} in ${(read.ms / 1000).toFixed(1)} s, /health ${health.status} in ${(health.ms / 1000).toFixed(1)} s`;
      await sleep(Math.max(0, faultAt + STALL_MS - Date.now()));
    } finally {
      cluster.redisProxy.pass();
    }
    await expectRecovered('Redis stalled 20 s at 30%', underWay, faultAt, Date.now(), seen);
  }, 300_000);

  it("MongoDB's connections reset mid-write, three times a second apart", async () => {
    const underWay = await broadcastUnderWay(400, '913');
    const faultAt = Date.now();
    for (let round = 0; round < 3; round++) {
      cluster.mongoProxy.drop();
      await sleep(1000);
    }
    await expectRecovered('MongoDB connections dropped ×3 at 30%', underWay, faultAt, Date.now());
  }, 300_000);

  it("Redis's connections reset mid-write, three times a second apart", async () => {
    const underWay = await broadcastUnderWay(400, '916');
    const faultAt = Date.now();
    for (let round = 0; round < 3; round++) {
      cluster.redisProxy.drop();
      await sleep(1000);
    }
    await expectRecovered('Redis connections dropped ×3 at 30%', underWay, faultAt, Date.now());
  }, 300_000);

  it('200 ms added to every chunk to and from MongoDB for 10 s', async () => {
    const underWay = await broadcastUnderWay(400, '802');
    const faultAt = Date.now();
    cluster.mongoProxy.latency(200);
    await sleep(LATENCY_FOR_MS);
    cluster.mongoProxy.latency(0);
    const faultEndedAt = Date.now();
    // The watch polls directly, without the latency: what moved while it lasted.
    await sleep(300);
    const seen = `${underWay.watch.movedBetween(faultAt, faultEndedAt)} recipients moved during the latency`;
    await expectRecovered('MongoDB +200 ms for 10 s at 30%', underWay, faultAt, faultEndedAt, seen);
    // Slower, but never still: progress went on under the latency.
    expect(underWay.watch.longestStillSince(faultAt)).toBeLessThan(PROGRESS_BOUND_S);
  }, 300_000);

  it('200 ms added to every chunk to and from Redis for 10 s', async () => {
    const underWay = await broadcastUnderWay(400, '808');
    const faultAt = Date.now();
    cluster.redisProxy.latency(200);
    await sleep(LATENCY_FOR_MS);
    cluster.redisProxy.latency(0);
    const faultEndedAt = Date.now();
    // The watch polls directly, without the latency: what moved while it lasted.
    await sleep(300);
    const seen = `${underWay.watch.movedBetween(faultAt, faultEndedAt)} recipients moved during the latency`;
    await expectRecovered('Redis +200 ms for 10 s at 30%', underWay, faultAt, faultEndedAt, seen);
    expect(underWay.watch.longestStillSince(faultAt)).toBeLessThan(PROGRESS_BOUND_S);
  }, 300_000);

  async function expectEventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}\n${cluster.tails()}`);
      await sleep(100);
    }
  }
});
