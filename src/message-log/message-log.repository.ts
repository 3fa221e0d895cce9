import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isValidObjectId, Model, mongo, Types } from 'mongoose';
import { createHash, randomBytes } from 'node:crypto';
import { deleteOldestBatch } from '../core/delete-older-than';
import { isMissingIndexError, isOnlyDuplicateKeys } from '../core/mongo-errors';
import { nativeCollection } from '../core/native-collection';
import type { MessageContent } from '../message-content/message-content.schema';
import {
  DELIVERED_STATUSES,
  MessageStatus,
  READ_STATUSES,
  ReportedStatus,
  reportableFrom,
  statusesBefore,
  UNSENT_STATUSES,
  UNSTARTED_STATUSES,
} from '../message-status/message-status';
import type { OutboxEventType } from './ledger-events';
import { MessageLog, MessageLogRecord, MessageSource, RETIRED_MESSAGE_UID_INDEX_NAME, SendLease } from './message-log.schema';

export interface NewMessageLog {
  clientId: string;
  sessionId: string;
  source: MessageSource;
  broadcastId: string | null;
  recipient: string;
  contact: { contactId: string | null; name: string | null };
  message: MessageContent;
  /** 16 hex characters; generated when not given. */
  messageUid?: string;
  /** A scheduled message (POST /v1/messages with send_at): not sent before then. */
  sendAt?: Date | null;
}

export interface MessageFailure {
  code: string;
  message: string;
  /** True when the last attempt failed for a reason that may pass (network, throughput, server error): worth retrying later. */
  transient?: boolean;
}

/** The hold one send attempt asks for: its own token, and when the hold lapses if the attempt never ends it. */
export interface LeaseRequest {
  token: string;
  expiresAt: Date;
  /** The process of the attempt (its heartbeat's id): its leases end when its heartbeat stops. */
  holder: string;
}

/**
 * What a send attempt claims: a broadcast recipient's entry (created on first use), or an
 * existing entry (POST /v1/messages), with the lease the attempt asks for.
 */
export type SendClaim = SendTarget & { lease: LeaseRequest };

/** The message a send job is for: a broadcast recipient's (its entry made on first use), or an existing entry's. */
export type SendTarget = { kind: 'broadcast-recipient'; entry: NewMessageLog & { broadcastId: string } } | { kind: 'entry'; id: string };

/** A broadcast whose unsent recipients are failed at once (its template was disabled): the entries made for them carry its message. */
export interface UnsentBroadcastMessages {
  clientId: string;
  sessionId: string;
  broadcastId: string;
  message: MessageContent;
}

const NO_CONTACT = { contactId: null, name: null };

/** How one send attempt ended, as the ledger keeps it. */
/** `retry` with `waiting`: the message waits (the messaging limit) and says until when. */
export type AttemptOutcome = { status: 'sent' } | { status: 'failed'; failure: MessageFailure } | { status: 'retry'; waiting?: { reason: string; until: Date } };

/** A delivery report rolled up into a logical message. */
export interface DeliveryRollup {
  id: string;
  /** The entry's client (the ledger's shard key starts with it): the reported call's projectId. */
  clientId: string;
  status: ReportedStatus;
  at: Date;
  failure?: MessageFailure;
}

export interface ClaimedEntry {
  entry: MessageLogRecord;
  /** The entry was made by this claim (nothing was sent for it before). */
  created: boolean;
  /** The attempt holds the entry's lease: it alone may call the provider for it until the lease ends. */
  held: boolean;
}

export interface SendAttemptRecord {
  id: string;
  /** The entry's client, so that the writes go to the shards holding that client's entries. */
  clientId: string;
  /** The lease of the attempt, released when the attempt ends in a retry. */
  leaseToken: string;
  /** Provider ids accepted and not yet on the entry, in send order. */
  providerMessageIds: string[];
  costInUsdCents: number;
  /** How the attempt ended; null while it goes on (a part was accepted, more follow). */
  outcome: AttemptOutcome | null;
  /**
   * Nothing of the message was written before: its first attempt, which made its only call. Its
   * provider id, cost and `sent` then go in one update while the attempt still holds the lease (no
   * report can have moved it either: a report finds a call only once its WhatsApp log, written
   * after this, exists).
   */
  firstWrite?: boolean;
  /** The outcome's event (`message.sent` or `message.failed`), recorded on the entry by the update that ends it (the outbox). */
  event?: OutboxEventType;
}

/** Events recorded on an entry, to take off once published. */
export interface PublishedEvents {
  id: string;
  clientId: string;
  types: string[];
}

/** Where an unsent message stands, for the sweep: its status, outcome, and whether an attempt holds it now. */
export type SendState = Pick<MessageLogRecord, 'recipient' | 'status' | 'status_times' | 'error' | 'claim'>;

/** A new message_uid: 16 hex characters (what POST /v1/messages answers and seed 004 lists). */
export function newMessageUid(): string {
  return randomBytes(8).toString('hex');
}

/**
 * The message_uid of one broadcast recipient's entry: derived, so that the unique
 * (client_id, message_uid) index alone guarantees one entry per recipient (on any MongoDB
 * server, with no partial index), and a re-run job finds the entry it made before.
 */
export function broadcastRecipientMessageUid(broadcastId: string, recipient: string): string {
  return createHash('sha256').update(`${broadcastId}:${recipient}`).digest('hex').slice(0, 16);
}

const oid = (id: string): Types.ObjectId => new Types.ObjectId(id);

const OBJECT_ID_HEX = /^[0-9a-f]{24}$/i;
/** An entry no attempt holds: never leased, released, or its lease ended (the attempt's worker died). */
const unleasedAt = (at: Date): mongo.Filter<MessageLogRecord> => ({ $or: [{ claim: null }, { 'claim.expires_at': { $lte: at } }] });

/** An attempt's only call and its `sent`, nothing of the message written before: one update (recordSendAttempts). */
const isWholeSend = ({ firstWrite, outcome, providerMessageIds }: SendAttemptRecord): boolean =>
  firstWrite === true && outcome?.status === 'sent' && providerMessageIds.length > 0;

/** The update part that records an event on the entry it changes (nothing when none is recorded). */
const recording = (event: OutboxEventType | undefined): { $addToSet?: { pending_events: OutboxEventType } } => (event ? { $addToSet: { pending_events: event } } : {});
/** The same, inside an update's own $addToSet. */
const outboxed = (event: OutboxEventType | undefined): { pending_events?: OutboxEventType } => (event ? { pending_events: event } : {});

const leaseOf = ({ token, expiresAt, holder }: LeaseRequest): SendLease => ({ token, expires_at: expiresAt, holder });

/** A lease held by an attempt that is still under way at `at`. */
export const isLeaseLive = (entry: Pick<MessageLogRecord, 'claim'>, at: Date = new Date()): boolean =>
  Boolean(entry.claim && entry.claim.expires_at.getTime() > at.getTime());

/** The ledger's uniqueness (and shard key): one entry per client and message_uid, under whatever name an operator gave it. */
const isUniquePerClientUid = (index: { key: Record<string, unknown>; unique?: boolean }): boolean =>
  index.unique === true && JSON.stringify(index.key) === JSON.stringify({ client_id: 1, message_uid: 1 });

/** uids per query when reading many broadcast recipients' entries. */
const UID_CHUNK_SIZE = 1000;

/** What a broadcast's counts take from the ledger (see deliveryCountsOfBroadcasts). */
export interface BroadcastLedgerCounts {
  delivered: number;
  read: number;
  /** Unsent messages waiting for the messaging limit. */
  waiting: number;
  /** When the first of them is expected to go; null when none waits. */
  nextWaitingAt: Date | null;
}

/** An unsent single message, with the session whose send queue takes its job. */
export interface UnsentApiMessage {
  id: string;
  sessionId: string;
}

@Injectable()
export class MessageLogRepository implements OnModuleInit {
  private readonly logger = new Logger(MessageLogRepository.name);
  private readonly ledger: mongo.Collection<MessageLogRecord>;

  constructor(@InjectModel(MessageLog.name) private readonly messageLogs: Model<MessageLog>) {
    this.ledger = nativeCollection<MessageLog, MessageLogRecord>(messageLogs);
  }

  onModuleInit(): Promise<void> {
    return this.dropRetiredIndexes();
  }

  /**
   * Drops the unique index on message_uid alone that earlier versions built (a sharded ledger
   * refuses it), and only once a unique index on (client_id, message_uid) is there, so that
   * entries stay unique throughout. Idempotent; another process dropping it first is fine. A
   * failure leaves the old index, which is only stricter, and says so.
   */
  async dropRetiredIndexes(): Promise<void> {
    try {
      // Builds the schema's indexes (autoIndex); whether the per-client one exists is checked below.
      await this.messageLogs.init().catch((error: unknown) => this.logger.warn({ err: error }, "The ledger's indexes were not all built"));
      const indexes = await this.ledger.indexes();
      if (!indexes.some((index) => index.name === RETIRED_MESSAGE_UID_INDEX_NAME)) return;
      if (!indexes.some(isUniquePerClientUid)) {
        this.logger.warn(`No unique index on (client_id, message_uid) yet: the ledger's ${RETIRED_MESSAGE_UID_INDEX_NAME} is kept`);
        return;
      }
      await this.ledger.dropIndex(RETIRED_MESSAGE_UID_INDEX_NAME);
      this.logger.log(`Dropped the ledger's index ${RETIRED_MESSAGE_UID_INDEX_NAME}: message_uid is unique per client now`);
    } catch (error) {
      if (!isMissingIndexError(error)) this.logger.warn({ err: error }, `Could not drop the ledger's ${RETIRED_MESSAGE_UID_INDEX_NAME}; it is kept`);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Writes: the sending pipeline (queue, processor) and delivery status updates.
  // Every status change is conditional on the current status, so that repeated or
  // out-of-order updates are harmless.
  // ---------------------------------------------------------------------------------------

  /**
   * Claims entries for one send attempt each, in one bulk write (and a second when a broadcast
   * recipient's entry existed already: a re-run). An attempt gets its entry's
   * lease when no other attempt holds it (never leased, released, or lapsed): a broadcast
   * recipient's entry is created leased and in `sending` (or found, when a job runs again), an
   * existing entry moves from `queued` to `sending`. Entries this call created are answered as
   * built, without a read; the others are read in one query, and the answer says whether this
   * attempt holds the lease. Null for an entry that does not exist.
   */
  async claimForSending(claims: SendClaim[], at: Date = new Date()): Promise<Array<ClaimedEntry | null>> {
    const operations: Array<mongo.AnyBulkWriteOperation<MessageLogRecord>> = [];
    const created = new Map<number, { operation: number; record: MessageLogRecord }>();
    claims.forEach((claim, index) => {
      const lease = leaseOf(claim.lease);
      // Takes the lease of an unsent entry nobody holds, and counts the attempt.
      const take = { $set: { claim: lease, updatedAt: at }, $inc: { attempts: 1 } };
      if (claim.kind === 'broadcast-recipient') {
        const messageUid = broadcastRecipientMessageUid(claim.entry.broadcastId, claim.entry.recipient);
        const record = { ...this.newRecord({ ...claim.entry, messageUid }, at, 'sending'), claim: lease };
        created.set(index, { operation: operations.length, record });
        // An existing entry (a re-run) is matched and left as it is; it is leased below. The filter is
        // the documented shard key (client, message_uid), which an upsert on a sharded ledger must name.
        const { message_uid: _uidInFilter, client_id: clientId, ...onInsert } = record;
        operations.push({ updateOne: { filter: { client_id: clientId, message_uid: messageUid }, update: { $setOnInsert: onInsert }, upsert: true } });
      } else if (isValidObjectId(claim.id)) {
        const _id = oid(claim.id);
        operations.push({ updateOne: { filter: { _id, status: { $in: statusesBefore('sending') } }, update: { $set: { status: 'sending', 'status_times.sendingAt': at, updatedAt: at } } } });
        operations.push({ updateOne: { filter: { _id, status: { $in: UNSENT_STATUSES }, ...unleasedAt(at) }, update: take } });
      }
    });
    const inserted = operations.length > 0 ? new Set(Object.keys(await this.bulkWriteAcceptingDuplicates(operations)).map(Number)) : new Set<number>();
    const answers: Array<ClaimedEntry | null> = claims.map((_claim, index) => {
      const mine = created.get(index);
      return mine && inserted.has(mine.operation) ? { entry: mine.record, created: true, held: true } : null;
    });
    // Broadcast recipients whose entry existed (re-runs, rare): a second bulk write leases the free ones.
    const reruns = claims.flatMap((claim, index) => (claim.kind === 'broadcast-recipient' && answers[index] === null ? [claim] : []));
    if (reruns.length > 0) {
      await this.ledger.bulkWrite(
        reruns.map((claim) => ({
          updateOne: {
            filter: {
              client_id: oid(claim.entry.clientId),
              message_uid: broadcastRecipientMessageUid(claim.entry.broadcastId, claim.entry.recipient),
              status: { $in: UNSENT_STATUSES },
              ...unleasedAt(at),
            },
            update: { $set: { claim: leaseOf(claim.lease), updatedAt: at }, $inc: { attempts: 1 } },
          },
        })),
        { ordered: false },
      );
    }
    const unread = claims.filter((_claim, index) => answers[index] === null);
    if (unread.length === 0) return answers;
    const ids = unread.flatMap((claim) => (claim.kind === 'entry' && isValidObjectId(claim.id) ? [oid(claim.id)] : []));
    // Each client's uids in a clause of their own, so that the read names the full (client_id, message_uid) key.
    const uidsByClient = new Map<string, string[]>();
    for (const claim of unread) {
      if (claim.kind !== 'broadcast-recipient') continue;
      const uids = uidsByClient.get(claim.entry.clientId) ?? [];
      uids.push(broadcastRecipientMessageUid(claim.entry.broadcastId, claim.entry.recipient));
      uidsByClient.set(claim.entry.clientId, uids);
    }
    const byUid = [...uidsByClient].map(([clientId, uids]) => ({ client_id: oid(clientId), message_uid: { $in: uids } }));
    const found = await this.ledger
      .find<MessageLogRecord>({ $or: [{ _id: { $in: ids } }, ...byUid] })
      .toArray();
    return claims.map((claim, index) => {
      if (answers[index]) return answers[index];
      const entry =
        claim.kind === 'entry'
          ? found.find((candidate) => candidate._id.toHexString() === claim.id)
          : found.find(
              (candidate) =>
                candidate.client_id.toHexString() === claim.entry.clientId &&
                candidate.message_uid === broadcastRecipientMessageUid(claim.entry.broadcastId, claim.entry.recipient),
            );
      return entry ? { entry, created: false, held: entry.claim?.token === claim.lease.token } : null;
    });
  }

  /**
   * Extends a lease the attempt still holds (an attempt that waits long for its rate limit);
   * false when it lapsed and another attempt took it.
   */
  async extendLease(clientId: string, id: string, token: string, expiresAt: Date): Promise<boolean> {
    const result = await this.ledger.updateOne({ _id: oid(id), client_id: oid(clientId), 'claim.token': token }, { $set: { 'claim.expires_at': expiresAt } });
    return result.matchedCount === 1;
  }

  /**
   * Ends every lease these processes hold (their heartbeat stopped: they died), so that their
   * messages' next attempts need not wait for the leases to lapse. Answers how many ended.
   */
  async releaseLeasesOf(holders: string[], at: Date = new Date()): Promise<number> {
    if (holders.length === 0) return 0;
    const result = await this.ledger.updateMany({ 'claim.holder': { $in: holders } }, { $set: { claim: null, updatedAt: at } });
    return result.modifiedCount;
  }

  /**
   * Writes what many send attempts did, in one bulk write: the provider ids they were accepted
   * under and their cost, and how the attempt ended (`sent`, or `failed` with the reason; a
   * retry leaves the entry `sending` and releases its lease; an attempt that goes on keeps it).
   * Status changes are conditional, like every other. The first writes of messages sent with one
   * call (see SendAttemptRecord.firstWrite) go first, each one update; those that find their
   * lease gone (it lapsed and another attempt took the message) are written as the others are.
   */
  async recordSendAttempts(records: SendAttemptRecord[], at: Date = new Date()): Promise<void> {
    const whole = records.filter(isWholeSend);
    let others = records.filter((record) => !isWholeSend(record));
    if (whole.length > 0) {
      const result = await this.ledger.bulkWrite(
        whole.map(({ id, clientId, leaseToken, providerMessageIds, costInUsdCents, event }) => ({
          updateOne: {
            // Only while the attempt holds the entry: then nothing else moved it. Applies once: a repeated write finds the id there.
            filter: { _id: oid(id), client_id: oid(clientId), 'claim.token': leaseToken, provider_message_ids: { $ne: providerMessageIds[0] } },
            update: {
              $addToSet: { provider_message_ids: { $each: providerMessageIds }, ...outboxed(event) },
              $inc: { cost_in_usd_cents: costInUsdCents },
              $set: { status: 'sent', 'status_times.sentAt': at, claim: null, updatedAt: at },
            },
          },
        })),
        { ordered: false },
      );
      // Some did not apply (a lease taken over, or this batch written before): the writes below are exact either way.
      if (result.matchedCount < whole.length) others = [...others, ...whole];
    }
    const operations: Array<mongo.AnyBulkWriteOperation<MessageLogRecord>> = [];
    for (const { id, clientId, leaseToken, providerMessageIds, costInUsdCents, outcome, event } of others) {
      const owned = { _id: oid(id), client_id: oid(clientId) };
      if (providerMessageIds.length > 0) {
        operations.push({
          // Applies once: a repeated write (a retried batch) finds the first id there and adds no cost again.
          updateOne: {
            filter: { ...owned, provider_message_ids: { $ne: providerMessageIds[0] } },
            update: { $addToSet: { provider_message_ids: { $each: providerMessageIds } }, $inc: { cost_in_usd_cents: costInUsdCents }, $set: { updatedAt: at } },
          },
        });
      }
      if (outcome?.status === 'sent') {
        operations.push({
          updateOne: {
            filter: { ...owned, status: { $in: statusesBefore('sent') } },
            update: { $set: { status: 'sent', 'status_times.sentAt': at, claim: null, updatedAt: at }, $unset: { waiting: '' }, ...recording(event) },
          },
        });
      } else if (outcome?.status === 'failed') {
        operations.push({
          updateOne: {
            // The sender's failure ends only a message it never got sent (a delivery failure comes as a report).
            filter: { ...owned, status: { $in: UNSENT_STATUSES } },
            update: {
              $set: { status: 'failed', 'status_times.failedAt': at, error: outcome.failure, claim: null, updatedAt: at },
              $unset: { waiting: '' },
              ...recording(event),
            },
          },
        });
      } else if (outcome?.status === 'retry') {
        // The next attempt (perhaps on another worker) need not wait for the lease to lapse.
        // A message held back by the messaging limit says until when (the broadcast's counts show it waiting).
        const waiting = outcome.waiting ? { waiting: outcome.waiting } : {};
        operations.push({ updateOne: { filter: { ...owned, 'claim.token': leaseToken }, update: { $set: { claim: null, updatedAt: at, ...waiting } } } });
      }
    }
    // Ordered: a message's status never moves unless its provider ids were written first.
    if (operations.length > 0) await this.ledger.bulkWrite(operations, { ordered: true });
  }

  /** A new logical message (POST /v1/messages): `queued`, or `scheduled` until its send_at. */
  async createQueued(entry: NewMessageLog): Promise<MessageLogRecord> {
    const created = await this.messageLogs.create(this.newDocument(entry));
    return created.toObject<MessageLogRecord>();
  }

  /**
   * Adds the prices delivery reports gave for calls of these entries, in one bulk write; each
   * call's price once (the entry remembers which calls were priced), however often it is reported.
   */
  async addCallPrices(prices: Array<{ id: string; clientId: string; providerMessageId: string; costInUsdCents: number }>, at: Date = new Date()): Promise<void> {
    if (prices.length === 0) return;
    await this.ledger.bulkWrite(
      prices.map(({ id, clientId, providerMessageId, costInUsdCents }) => ({
        updateOne: {
          filter: { _id: oid(id), client_id: oid(clientId), priced_provider_message_ids: { $ne: providerMessageId } },
          update: { $inc: { cost_in_usd_cents: costInUsdCents }, $push: { priced_provider_message_ids: providerMessageId }, $set: { updatedAt: at } },
        },
      })),
      { ordered: true },
    );
  }

  /** The client's POST /v1/messages message, by its message_uid or _id; another client's (or a broadcast's) reads as missing. */
  async findApiMessage(clientId: string, id: string): Promise<MessageLogRecord | null> {
    const byObjectId = OBJECT_ID_HEX.test(id) ? [{ _id: oid(id) }] : [];
    return this.ledger.findOne({ client_id: oid(clientId), source: 'api', $or: [{ message_uid: id }, ...byObjectId] });
  }

  /**
   * `scheduled` or `queued` → `cancelled`, only while no attempt holds it (the sender's claim
   * moves it to `sending` first, so exactly one of the two wins); false when it had started.
   */
  async cancelUnstarted(entry: Pick<MessageLogRecord, '_id' | 'client_id'>, failure: MessageFailure, at: Date = new Date()): Promise<boolean> {
    const result = await this.ledger.updateOne(
      { _id: entry._id, client_id: entry.client_id, status: { $in: statusesBefore('cancelled') }, ...unleasedAt(at) },
      { $set: { status: 'cancelled', 'status_times.cancelledAt': at, error: failure, claim: null, updatedAt: at } },
    );
    return result.modifiedCount === 1;
  }

  /**
   * Fails a broadcast's recipients whose message has not been sent, in the ledger: a recipient
   * without an entry gets one, already `failed`, and an unsent entry that no attempt holds moves to
   * `failed` (also one whose first parts were accepted: the rest of it will not go). A send job that
   * runs one of them later finds it ended and sends nothing; an entry an attempt holds is left to
   * that attempt. Answers the recipients whose entry is failed with `failure`'s code: only they
   * may move to the broadcast's `failed` array (the ledger keeps their reason).
   */
  async failUnsentOfBroadcast(broadcast: UnsentBroadcastMessages, recipients: string[], failure: MessageFailure, at: Date = new Date()): Promise<string[]> {
    const failed: string[] = [];
    for (let start = 0; start < recipients.length; start += UID_CHUNK_SIZE) {
      const chunk = recipients.slice(start, start + UID_CHUNK_SIZE);
      const client_id = oid(broadcast.clientId);
      const uids = chunk.map((recipient) => broadcastRecipientMessageUid(broadcast.broadcastId, recipient));
      // Entries for the recipients that have none; an existing one (a send job made it first) is left as it is.
      await this.bulkWriteAcceptingDuplicates(
        chunk.map((recipient, index) => {
          const { client_id: _clientInFilter, message_uid: _uidInFilter, ...onInsert } = this.failedRecord({ ...broadcast, source: 'broadcast', recipient, contact: NO_CONTACT }, failure, at);
          return { updateOne: { filter: { client_id, message_uid: uids[index] }, update: { $setOnInsert: onInsert }, upsert: true } };
        }),
      );
      await this.ledger.updateMany(
        { client_id, message_uid: { $in: uids }, status: { $in: UNSENT_STATUSES }, ...unleasedAt(at) },
        { $set: { status: 'failed', 'status_times.failedAt': at, error: failure, claim: null, updatedAt: at } },
      );
      const ended = await this.ledger
        .find<{ recipient: string }>({ client_id, message_uid: { $in: uids }, status: 'failed', 'error.code': failure.code }, { projection: { _id: 0, recipient: 1 } })
        .toArray();
      failed.push(...ended.map(({ recipient }) => recipient));
    }
    return failed;
  }

  /** Removes an entry that never started (scheduled, queued or cancelled) from the ledger; false when it had started. */
  async deleteUnstarted(entry: Pick<MessageLogRecord, '_id' | 'client_id'>, at: Date = new Date()): Promise<boolean> {
    const result = await this.ledger.deleteOne({ _id: entry._id, client_id: entry.client_id, status: { $in: [...UNSTARTED_STATUSES, 'cancelled'] }, ...unleasedAt(at) });
    return result.deletedCount === 1;
  }

  /** Ends an unfinished (not yet delivered) entry as `failed` with the provider's reason. */
  async markFailed(clientId: string, id: string, failure: MessageFailure, at: Date = new Date()): Promise<boolean> {
    const result = await this.messageLogs
      .updateOne(
        { _id: oid(id), client_id: oid(clientId), status: { $in: statusesBefore('failed') } },
        { $set: { status: 'failed', 'status_times.failedAt': at, error: failure } },
      )
      .exec();
    return result.modifiedCount === 1;
  }

  /**
   * A delivery report (webhook, sandbox) for one of the entry's wire messages. It only
   * moves entries whose every wire message was sent: while the sender is still sending the
   * other parts, the entry's own outcome is the sender's to write.
   */
  async applyDeliveryStatus(clientId: string, id: string, status: ReportedStatus, at: Date, failure?: MessageFailure): Promise<boolean> {
    return (await this.applyDeliveryStatuses([{ id, clientId, status, at, failure }])) === 1;
  }

  /**
   * The same for many reports in one bulk write, in order; answers how many entries moved. An entry
   * of a client in `recordingEvents` that moves records its event (`message.<status>`) in the same update.
   */
  async applyDeliveryStatuses(reports: DeliveryRollup[], recordingEvents: ReadonlySet<string> = new Set()): Promise<number> {
    if (reports.length === 0) return 0;
    const result = await this.ledger.bulkWrite(
      reports.map(({ id, clientId, status, at, failure }) => {
        const set: Record<string, unknown> = { status, [`status_times.${status}At`]: at, updatedAt: new Date() };
        if (status === 'failed') set.error = failure ?? { code: 'delivery_failed', message: 'The provider reported the message as failed' };
        const event = recordingEvents.has(clientId) ? (`message.${status}` as OutboxEventType) : undefined;
        return { updateOne: { filter: { _id: oid(id), client_id: oid(clientId), status: { $in: reportableFrom(status) } }, update: { $set: set, ...recording(event) } } };
      }),
      { ordered: true },
    );
    return result.modifiedCount;
  }

  /** These entries (that exist), whole: what event webhooks tell about them (their outbox included). */
  async findManyById(ids: string[]): Promise<MessageLogRecord[]> {
    return this.ledger.find({ _id: { $in: ids.filter((id) => isValidObjectId(id)).map(oid) } }).toArray();
  }

  // ---------------------------------------------------------------------------------------
  // The outbox: client events recorded on the entries by the writes above (pending_events).
  // ---------------------------------------------------------------------------------------

  /**
   * Takes published events off their entries, in one bulk write: an entry whose outbox holds
   * exactly these loses the field (and leaves the sweep's index); one that recorded another
   * event meanwhile keeps that one, for its own publisher.
   */
  async clearPendingEvents(published: PublishedEvents[]): Promise<void> {
    const operations = published
      .filter(({ types }) => types.length > 0)
      .flatMap(({ id, clientId, types }): Array<mongo.AnyBulkWriteOperation<MessageLogRecord>> => {
        const owned = { _id: oid(id), client_id: oid(clientId) };
        return [
          { updateOne: { filter: { ...owned, pending_events: { $size: types.length, $all: types } }, update: { $unset: { pending_events: '' } } } },
          { updateOne: { filter: { ...owned, pending_events: { $in: types } }, update: { $pullAll: { pending_events: types } } } },
        ];
      });
    if (operations.length > 0) await this.ledger.bulkWrite(operations, { ordered: true });
  }

  /** Entries whose events are still unpublished, last changed before `updatedBefore` (what a crash left behind), oldest first. */
  async findWithPendingEvents(updatedBefore: Date, limit: number): Promise<MessageLogRecord[]> {
    return this.ledger
      .find({ pending_events: { $exists: true }, updatedAt: { $lt: updatedBefore } })
      .sort({ updatedAt: 1 })
      .limit(limit)
      .toArray();
  }

  /** Where each of these broadcast recipients' entries stands (recipients without an entry are absent); the client is the broadcast's. */
  async sendStatesOfBroadcastRecipients(clientId: string, broadcastId: string, recipients: string[]): Promise<Map<string, SendState>> {
    const states = new Map<string, SendState>();
    for (let start = 0; start < recipients.length; start += UID_CHUNK_SIZE) {
      const uids = recipients.slice(start, start + UID_CHUNK_SIZE).map((recipient) => broadcastRecipientMessageUid(broadcastId, recipient));
      const found = await this.ledger
        .find<SendState>({ client_id: oid(clientId), message_uid: { $in: uids } }, { projection: { _id: 0, recipient: 1, status: 1, status_times: 1, error: 1, claim: 1 } })
        .toArray();
      for (const state of found) states.set(state.recipient, state);
    }
    return states;
  }

  /**
   * Single messages (POST /v1/messages) still unsent with no attempt holding them, accepted before
   * `createdBefore` or scheduled and due: their job may have vanished with Redis's data (for the sweep).
   */
  async findUnsentApiMessages(createdBefore: Date, limit: number, at: Date = new Date()): Promise<UnsentApiMessage[]> {
    const found = await this.ledger
      .find(
        {
          status: { $in: UNSENT_STATUSES },
          source: 'api',
          // A scheduled message is not due before its send_at (its delayed job waits in Redis until then);
          // once due, its job is in Redis or lost, whatever the message's age.
          send_at: { $not: { $gt: at } },
          $and: [{ $or: [{ createdAt: { $lt: createdBefore } }, { send_at: { $lte: at } }] }, unleasedAt(at)],
        },
        { projection: { _id: 1, session_id: 1 } },
      )
      .sort({ createdAt: 1 })
      .limit(limit)
      .toArray();
    return found.map(({ _id, session_id }) => ({ id: _id.toHexString(), sessionId: session_id.toHexString() }));
  }

  /** The current status of each of these entries (that exists). */
  async statusesOf(ids: string[]): Promise<Map<string, MessageStatus>> {
    const found = await this.ledger.find({ _id: { $in: ids.map(oid) } }, { projection: { status: 1 } }).toArray();
    return new Map(found.map((entry) => [entry._id.toHexString(), entry.status]));
  }

  // ---------------------------------------------------------------------------------------
  // Reads used by the sending pipeline.
  // ---------------------------------------------------------------------------------------

  /** Recipients of a broadcast whose message failed, with the reason (GET /broadcast/:id). */
  async failuresOfBroadcast(clientId: string, broadcastId: string): Promise<Array<{ recipient: string; error: MessageFailure | null }>> {
    return this.messageLogs
      .find({ client_id: oid(clientId), broadcast_id: oid(broadcastId), status: 'failed' }, { _id: 0, recipient: 1, error: 1 })
      .lean<Array<{ recipient: string; error: MessageFailure | null }>>()
      .exec();
  }

  /**
   * Each recipient these sessions got a message accepted for since `since`, with the last time
   * (rebuilding a messaging-limit count that Redis lost).
   */
  async recipientsSentSince(clientId: string, sessionIds: string[], since: Date): Promise<Array<{ recipient: string; at: Date }>> {
    const rows = await this.messageLogs
      .aggregate<{ _id: string; at: Date }>([
        { $match: { client_id: oid(clientId), session_id: { $in: sessionIds.map(oid) }, 'status_times.sentAt': { $gte: since } } },
        { $group: { _id: '$recipient', at: { $max: '$status_times.sentAt' } } },
      ])
      .exec();
    return rows.map(({ _id, at }) => ({ recipient: _id, at }));
  }

  // ---------------------------------------------------------------------------------------
  // Campaigns: retrying a broadcast's failures, and its delivery counts.
  // ---------------------------------------------------------------------------------------

  /**
   * A retry: these broadcast recipients' entries that failed before anything was sent go back
   * to `queued`, so that their jobs send again (a job finding an entry already final sends
   * nothing). Wire messages an earlier attempt got accepted are still skipped. Answers how many moved.
   */
  async requeueFailedOfBroadcast(clientId: string, broadcastId: string, recipients: string[], at: Date = new Date()): Promise<number> {
    if (recipients.length === 0) return 0;
    const result = await this.ledger.updateMany(
      { client_id: oid(clientId), broadcast_id: oid(broadcastId), recipient: { $in: recipients }, status: 'failed', 'status_times.sentAt': null },
      { $set: { status: 'queued', error: null, 'status_times.failedAt': null, claim: null, updatedAt: at } },
    );
    return result.modifiedCount;
  }

  /**
   * Per broadcast, its messages the provider reported delivered (delivered or read) and read, and
   * its unsent messages that wait for the messaging limit with the earliest time one is expected to go.
   */
  async deliveryCountsOfBroadcasts(clientId: string, broadcastIds: string[]): Promise<Map<string, BroadcastLedgerCounts>> {
    const counts = new Map(broadcastIds.map((id): [string, BroadcastLedgerCounts] => [id, { delivered: 0, read: 0, waiting: 0, nextWaitingAt: null }]));
    if (broadcastIds.length === 0) return counts;
    const groups = await this.ledger
      .aggregate<{ _id: { broadcast: Types.ObjectId; status: MessageStatus }; count: number; nextWaitingAt: Date | null }>([
        {
          $match: {
            client_id: oid(clientId),
            broadcast_id: { $in: broadcastIds.map(oid) },
            $or: [{ status: { $in: DELIVERED_STATUSES } }, { status: { $in: UNSENT_STATUSES }, 'waiting.until': { $exists: true } }],
          },
        },
        { $group: { _id: { broadcast: '$broadcast_id', status: '$status' }, count: { $sum: 1 }, nextWaitingAt: { $min: '$waiting.until' } } },
      ])
      .toArray();
    for (const { _id, count, nextWaitingAt } of groups) {
      const entry = counts.get(_id.broadcast.toHexString());
      if (!entry) continue;
      if (UNSENT_STATUSES.includes(_id.status)) {
        entry.waiting += count;
        if (nextWaitingAt && (!entry.nextWaitingAt || nextWaitingAt < entry.nextWaitingAt)) entry.nextWaitingAt = nextWaitingAt;
        continue;
      }
      entry.delivered += count;
      if (READ_STATUSES.includes(_id.status)) entry.read += count;
    }
    return counts;
  }

  // ---------------------------------------------------------------------------------------
  // Retention: the worker deletes old entries in small batches.
  // ---------------------------------------------------------------------------------------

  /** Up to `batchSize` entries created before `cutoff`; answers how many went (0: none older are left). */
  deleteOlderThan(cutoff: Date, batchSize: number): Promise<number> {
    return deleteOldestBatch(this.messageLogs, cutoff, batchSize);
  }

  /** Upserts that collide on (client_id, message_uid) (another worker made the entry meanwhile) are read instead. */
  private async bulkWriteAcceptingDuplicates(operations: Array<mongo.AnyBulkWriteOperation<MessageLogRecord>>): Promise<Record<number, unknown>> {
    try {
      return (await this.ledger.bulkWrite(operations, { ordered: false })).upsertedIds;
    } catch (error) {
      if (!isOnlyDuplicateKeys(error)) throw error;
      return error.result.upsertedIds;
    }
  }

  /** A whole entry as the native driver stores it (no mongoose document on the sending path). */
  private newRecord(entry: NewMessageLog, at: Date, status: 'queued' | 'sending'): MessageLogRecord {
    const document = this.newDocument(entry, at);
    return {
      ...document,
      _id: new Types.ObjectId(),
      status,
      status_times: { ...document.status_times, sendingAt: status === 'sending' ? at : null },
      attempts: status === 'sending' ? 1 : 0,
      createdAt: at,
      updatedAt: at,
      __v: 0,
    };
  }

  /** The entry of a message that ended before any attempt: `failed` with its reason. */
  private failedRecord(entry: NewMessageLog & { broadcastId: string }, failure: MessageFailure, at: Date): MessageLogRecord {
    const record = this.newRecord({ ...entry, messageUid: broadcastRecipientMessageUid(entry.broadcastId, entry.recipient) }, at, 'queued');
    return { ...record, status: 'failed', status_times: { ...record.status_times, failedAt: at }, error: failure };
  }

  private newDocument(entry: NewMessageLog, now: Date = new Date()): MessageLog {
    return {
      client_id: oid(entry.clientId),
      session_id: oid(entry.sessionId),
      source: entry.source,
      direction: 'outbound' as const,
      broadcast_id: entry.broadcastId ? oid(entry.broadcastId) : null,
      recipient: entry.recipient,
      contact: {
        contact_id: entry.contact.contactId ? oid(entry.contact.contactId) : null,
        name: entry.contact.name,
        phone: entry.recipient,
      },
      message: { ...entry.message, template: entry.message.template ?? null },
      template_name: entry.message.template?.name ?? null,
      ...(entry.message.template ? { template_language: entry.message.template.language, template_category: entry.message.template.category ?? null } : {}),
      send_at: entry.sendAt ?? null,
      message_uid: entry.messageUid ?? newMessageUid(),
      status: entry.sendAt ? 'scheduled' : 'queued',
      status_times: { queuedAt: now, sendingAt: null, sentAt: null, deliveredAt: null, readAt: null, failedAt: null },
      provider_message_ids: [],
      error: null,
      cost_in_usd_cents: 0,
      priced_provider_message_ids: [],
      attempts: 0,
      inbound: null,
      claim: null,
    };
  }
}
