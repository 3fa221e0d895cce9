import { getModelToken } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import { BroadcastRepository } from '../../../src/broadcast/broadcast.repository';
import { BroadcastRecord } from '../../../src/broadcast/broadcast.schema';
import { MessageLog, MessageLogRecord } from '../../../src/message-log/message-log.schema';
import { WhatsappLog, WhatsappLogRecord } from '../../../src/whatsapp-log/whatsapp-log.schema';
import type { ChaosCluster } from './chaos-cluster';
import type { EventsReport } from './event-counter';

/** What a scenario measured, printed with its name. */
export interface ScenarioReport {
  recipients: number;
  /** Seconds from the fault to the broadcast's end. */
  recoverySeconds: number;
  polls: number;
  /** Recipients whose message the provider accepted twice although the first acceptance was in the ledger. */
  duplicatesOutsideWindow: string[];
  /** Recipients sent twice because a worker died after the provider accepted and before our write: the at-least-once window. */
  duplicatesInsideWindow: string[];
  /** The broadcast's `message.sent` events at the client's receiver. */
  events?: EventsReport;
}

/** Reads broadcasts and the ledger through the cluster's in-process application, and the fake's record of what was sent. */
export class Observer {
  private readonly broadcasts: BroadcastRepository;
  private readonly messageLogs: Model<MessageLog>;
  private readonly whatsappLogs: Model<WhatsappLog>;

  constructor(private readonly cluster: ChaosCluster) {
    this.broadcasts = cluster.control.app.get(BroadcastRepository);
    this.messageLogs = cluster.control.app.get(getModelToken(MessageLog.name));
    this.whatsappLogs = cluster.control.app.get(getModelToken(WhatsappLog.name));
  }

  broadcast(clientId: string, id: string): Promise<BroadcastRecord | null> {
    return this.broadcasts.findOwned(clientId, id);
  }

  /**
   * Polls the broadcast every 200 ms until it is no longer `sending` (or `timeoutMs` passes),
   * checking at every poll that each recipient is in exactly one of sent, pending and failed.
   */
  async watchUntilDone(clientId: string, id: string, recipients: string[], timeoutMs: number): Promise<{ broadcast: BroadcastRecord; polls: number }> {
    const expected = [...recipients].sort();
    const deadline = Date.now() + timeoutMs;
    for (let polls = 1; ; polls++) {
      const broadcast = await this.broadcast(clientId, id);
      if (!broadcast) throw new Error(`Broadcast ${id} vanished`);
      const all = [...broadcast.sent, ...broadcast.pending, ...broadcast.failed].sort();
      if (all.length !== expected.length || all.some((recipient, index) => recipient !== expected[index])) {
        throw new Error(
          `Poll ${polls}: recipients not in exactly one array (sent ${broadcast.sent.length}, pending ${broadcast.pending.length}, failed ${broadcast.failed.length}, expected ${expected.length} in all)`,
        );
      }
      if (broadcast.status !== 'sending') return { broadcast, polls };
      if (Date.now() > deadline) {
        throw new Error(`Broadcast still sending after ${timeoutMs / 1000} s with ${broadcast.pending.length} pending\n${this.cluster.tails()}`);
      }
      await sleep(200);
    }
  }

  /** Waits until `count` of the broadcast's recipients are sent. */
  async waitForSent(clientId: string, id: string, count: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const broadcast = await this.broadcast(clientId, id);
      if ((broadcast?.sent.length ?? 0) >= count) return;
      if (Date.now() > deadline) throw new Error(`Fewer than ${count} sent after ${timeoutMs / 1000} s\n${this.cluster.tails()}`);
      await sleep(50);
    }
  }

  /**
   * Every recipient sent more than once, told apart by whether the ledger holds the first
   * acceptance: if it does, the second send is a defect; if it does not, the worker died between
   * the provider's answer and our write (the documented at-least-once window).
   */
  async duplicates(recipients: string[]): Promise<Pick<ScenarioReport, 'duplicatesOutsideWindow' | 'duplicatesInsideWindow'>> {
    const wanted = new Set(recipients);
    const sends = new Map<string, string[]>();
    for (const { to, id } of this.cluster.fake.accepted) {
      if (wanted.has(to)) sends.set(to, [...(sends.get(to) ?? []), id]);
    }
    const repeated = [...sends].filter(([, ids]) => ids.length > 1);
    const ids = repeated.flatMap(([, sent]) => sent);
    const [logs, calls] = await Promise.all([
      this.messageLogs.find({ provider_message_ids: { $in: ids } }, { provider_message_ids: 1 }).lean<Array<Pick<MessageLogRecord, 'provider_message_ids'>>>(),
      this.whatsappLogs.find({ whatsAppMessageId: { $in: ids } }, { whatsAppMessageId: 1 }).lean<Array<Pick<WhatsappLogRecord, 'whatsAppMessageId'>>>(),
    ]);
    const recorded = new Set([...logs.flatMap((log) => log.provider_message_ids), ...calls.map((call) => call.whatsAppMessageId)]);
    const outside = repeated.filter(([, sent]) => sent.every((id) => recorded.has(id))).map(([to]) => to);
    const inside = repeated.filter(([to]) => !outside.includes(to)).map(([to]) => to);
    return { duplicatesOutsideWindow: outside, duplicatesInsideWindow: inside };
  }

  /** The ledger's entries for these single messages. */
  messages(messageUids: string[]): Promise<MessageLogRecord[]> {
    return this.messageLogs.find({ message_uid: { $in: messageUids } }).lean<MessageLogRecord[]>();
  }

  /** How many of the recipients' messages the fake accepted. */
  sendsTo(recipients: string[]): number {
    const wanted = new Set(recipients);
    return this.cluster.fake.accepted.filter(({ to }) => wanted.has(to)).length;
  }
}

export const oid = (id: string): Types.ObjectId => new Types.ObjectId(id);
