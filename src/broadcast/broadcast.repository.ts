import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, isValidObjectId, Model, mongo, Types } from 'mongoose';
import { nativeCollection } from '../core/native-collection';
import type { PublishedEvent } from '../event-webhook/client-events';
import { DocumentOutbox, recordingClientEvents } from '../event-webhook/document-outbox';
import { PageRequest, PageResult, skipFor } from '@app/common';
import { MEDIA_HEADER_TYPES } from '@app/whatsapp';
import { findPage, NEWEST_FIRST } from '../core/find-page';
import type { MessageContent } from '../message-content/message-content.schema';
import type { DeliveryPlan } from './delivery-plan';
import {
  Broadcast,
  BroadcastAudience,
  BroadcastCounts,
  BroadcastRecord,
  BroadcastSendContext,
  BroadcastStatus,
  FINAL_BROADCAST_STATUSES,
  RecipientFailure,
  SendType,
} from './broadcast.schema';
import type { EnqueuedBroadcast } from './broadcast.jobs';

export interface NewBroadcast {
  clientId: string;
  sessionId: string;
  sendType: SendType;
  to: string;
  message: MessageContent;
  pending: string[];
  failed: string[];
  failures: RecipientFailure[];
  /** Start then (status `scheduled`); absent or null: at once. */
  sendAt?: Date | null;
  timezone?: string | null;
  /** Recipients' variables are stored beside it. */
  personalised?: boolean;
  /** An audience broadcast's audience; unresolved (a scheduled one), it starts `scheduled` with no recipients yet. */
  audience?: BroadcastAudience;
  requireOptIn?: boolean;
  /** The delivery plan it was created with. */
  plan?: DeliveryPlan;
}

/** What resolving a scheduled broadcast's audience needs of it. */
export type UnresolvedAudienceBroadcast = Pick<BroadcastRecord, '_id' | 'client_id' | 'message' | 'require_opt_in'> & { audience: BroadcastAudience };

/** A broadcast without its recipient arrays, with how far it has got (delivered and read are the ledger's, added by the service). */
export type BroadcastSummary = Omit<BroadcastRecord, 'sent' | 'pending' | 'failed' | 'failures' | 'to'> & {
  counts: Omit<BroadcastCounts, 'delivered' | 'read'>;
};

/**
 * Where a sending broadcast's fan-out stands in its activation: `window` of `pending`'s leading
 * recipients have a send job (see Broadcast.fan_out), with what adding more needs.
 */
export interface FanOutPosition extends EnqueuedBroadcast {
  window: number;
}

/** The fan-out's position and some of `pending`'s recipients, read together so that they agree. */
export interface FanOutSlice extends FanOutPosition {
  recipients: string[];
  /** The size of `pending`: those in the window and those not yet added. */
  pending: number;
}

/** Recipients whose outcome is known, to move out of `pending` in one update. */
export interface RecipientMoves {
  sent: string[];
  failed: string[];
}

const oid = (id: string): Types.ObjectId => new Types.ObjectId(id);
/** The fan-out's position is the worker's bookkeeping, never part of what the API shows. */
/** A broadcast to an audience has its recipients only once the audience is resolved: until then nothing is pending, yet it is not done. */
const AUDIENCE_RESOLVED = { $or: [{ audience: { $exists: false } }, { 'audience.resolved_at': { $ne: null } }] };
/** The completions' outbox is the workers' bookkeeping too. */
const WITHOUT_FAN_OUT = { fan_out: 0, pending_completions: 0, client_events: 0 } as const;
/** Excludes the recipient arrays, which may hold 100,000 numbers each (and the fan-out's position). */
const WITHOUT_RECIPIENTS = { sent: 0, pending: 0, failed: 0, failures: 0, to: 0, ...WITHOUT_FAN_OUT } as const;
/** What a fan-out position is read from. */
const FAN_OUT_FIELDS = { client_id: 1, session_id: 1, activated_at: 1, fan_out: 1 } as const;
/** The window as stored; a duplicate outcome may have taken it below 0, which counts as none. */
const STORED_WINDOW = { $max: [0, { $ifNull: ['$fan_out.window', 0] }] } as const;
/** Array sizes computed by the server, so that counts never bring the arrays over the wire. */
const ARRAY_COUNTS = {
  counts: {
    recipients: { $add: [{ $size: '$pending' }, { $size: '$sent' }, { $size: '$failed' }] },
    pending: { $size: '$pending' },
    sent: { $size: '$sent' },
    failed: { $size: '$failed' },
  },
} as const;
/** Statuses a broadcast may be cancelled (and paused broadcasts resumed) from. */
const UNFINISHED: BroadcastStatus[] = ['scheduled', 'sending', 'paused'];

/** Seed 001's shape: a broadcast without a template has no `template` field at all. */
function withoutTemplate({ template: _template, ...message }: MessageContent): MessageContent {
  return message;
}

@Injectable()
export class BroadcastRepository {
  private readonly collection: mongo.Collection<BroadcastRecord>;
  /** Where `broadcast.paused` and `broadcast.resumed` wait until published (pauseFor, resumeFrom). */
  readonly outbox: DocumentOutbox;

  constructor(@InjectModel(Broadcast.name) private readonly broadcasts: Model<Broadcast>) {
    this.collection = nativeCollection<Broadcast, BroadcastRecord>(broadcasts);
    this.outbox = DocumentOutbox.of('broadcasts', this.collection);
  }

  /**
   * Stores a new broadcast: `sending`, `scheduled` (with a send_at), or `failed` at once when no
   * recipient is left to send to. Written as built, without a mongoose document: casting and
   * copying a 100,000-element array twice would double the memory a large list costs.
   */
  async create(broadcast: NewBroadcast): Promise<BroadcastRecord> {
    const awaitingAudience = broadcast.audience !== undefined && broadcast.audience.resolved_at === null;
    const nothingToSend = broadcast.pending.length === 0 && !awaitingAudience;
    const now = new Date();
    const status: BroadcastStatus = nothingToSend ? 'failed' : broadcast.sendAt ? 'scheduled' : 'sending';
    const record: BroadcastRecord = {
      client_id: oid(broadcast.clientId),
      session_id: oid(broadcast.sessionId),
      send_type: broadcast.sendType,
      to: broadcast.to,
      message: broadcast.message.template ? broadcast.message : withoutTemplate(broadcast.message),
      status,
      sent: [],
      pending: broadcast.pending,
      failed: broadcast.failed,
      failures: broadcast.failures.map(({ recipient, code, message }) => ({ recipient, code, message })),
      finished_at: nothingToSend ? now : null,
      ...(broadcast.sendAt ? { send_at: broadcast.sendAt, timezone: broadcast.timezone ?? null } : {}),
      activated_at: status === 'sending' ? now : null,
      ...(broadcast.personalised ? { personalised: true } : {}),
      ...(broadcast.audience ? { audience: broadcast.audience } : {}),
      ...(broadcast.requireOptIn ? { require_opt_in: true } : {}),
      ...(broadcast.plan ? { plan: broadcast.plan } : {}),
      _id: new Types.ObjectId(),
      createdAt: now,
      updatedAt: now,
      __v: 0,
    };
    await this.collection.insertOne(record);
    return record;
  }

  /** Newest first; one session's broadcasts, or every session's when `sessionId` is null. */
  async list(clientId: string, sessionId: string | null, page: PageRequest): Promise<PageResult<BroadcastRecord>> {
    const filter: FilterQuery<Broadcast> = { client_id: oid(clientId), ...(sessionId ? { session_id: oid(sessionId) } : {}) };
    return findPage<Broadcast, BroadcastRecord>(this.broadcasts, filter, page, 'primary', WITHOUT_FAN_OUT);
  }

  /** The broadcast only if it belongs to the client; another client's id reads as missing. */
  async findOwned(clientId: string, id: string): Promise<BroadcastRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.broadcasts.findOne({ _id: oid(id), client_id: oid(clientId) }, WITHOUT_FAN_OUT).lean<BroadcastRecord>().exec();
  }

  async findSendContext(id: string): Promise<BroadcastSendContext | null> {
    return this.broadcasts.findById(id, WITHOUT_RECIPIENTS).lean<BroadcastSendContext>().exec();
  }

  /**
   * The next recipients to add to a sending broadcast's window so that it holds `windowSize`
   * (none when it does), in one read with the position (never the whole of `pending`); null
   * when the broadcast is not sending.
   */
  async findFanOutNext(id: string, windowSize: number): Promise<FanOutSlice | null> {
    const gap = { $subtract: [windowSize, '$window'] };
    return this.findFanOutSlice(id, { $cond: [{ $gt: [gap, 0] }, { $slice: ['$pending', '$window', gap] }, []] });
  }

  /** The recipients of a sending broadcast's window (those that have a send job in this activation), in one read with the position. */
  async findFanOutWindow(id: string): Promise<FanOutSlice | null> {
    return this.findFanOutSlice(id, { $cond: [{ $gt: ['$window', 0] }, { $slice: ['$pending', 0, '$window'] }, []] });
  }

  /**
   * Counts `count` more recipients into the window once their jobs are added, if the broadcast is
   * still sending in the same activation. Relative, so that outcomes moving recipients out of
   * the window meanwhile (each taking one off) keep it exact.
   */
  async advanceFanOut(id: string, activatedAt: Date | null, count: number): Promise<void> {
    if (count === 0) return;
    await this.broadcasts.updateOne({ _id: oid(id), status: 'sending', activated_at: activatedAt }, { $inc: { 'fan_out.window': count } }).exec();
  }

  async findStatus(id: string): Promise<BroadcastStatus | null> {
    const found = await this.broadcasts.findById(id, { status: 1 }).lean<{ status: BroadcastStatus }>().exec();
    return found ? found.status : null;
  }

  /**
   * Moves many recipients out of `pending` into `sent`/`failed` in one atomic update
   * ($pull + $addToSet: never a read-modify-write of the arrays), taking them out of the fan-out's
   * window in the same update (a recipient leaves `pending` only after its job ran; one recorded
   * twice makes the window count short, and the next top-up adds an existing job again, which
   * Bull ignores). Answers the fan-out's position after it while the broadcast is sending.
   */
  async moveRecipients(clientId: string, id: string, moves: RecipientMoves): Promise<FanOutPosition | null> {
    const all = [...moves.sent, ...moves.failed];
    if (all.length === 0) return null;
    const moved = await this.broadcasts
      .findOneAndUpdate(
        { _id: oid(id), client_id: oid(clientId) },
        {
          $pull: { pending: { $in: all } },
          $addToSet: { sent: { $each: moves.sent }, failed: { $each: moves.failed } },
          $inc: { 'fan_out.window': -all.length },
        },
        { new: true, projection: { ...FAN_OUT_FIELDS, status: 1 } },
      )
      .lean<FanOutRecord & { status: BroadcastStatus }>()
      .exec();
    return moved?.status === 'sending' ? positionOf(id, moved, moved.fan_out?.window ?? 0) : null;
  }

  /**
   * Ends a `sending` broadcast whose `pending` is empty: `failed` when none was sent,
   * `completed` when none failed, else `completed_with_errors`. The update is conditional on
   * `sending` with nothing pending, so the status changes exactly once however many workers
   * try: only that caller gets the completion (a retried broadcast that finishes again is a new
   * one, with its own time). Called after every progress write: while recipients are pending it
   * costs one read of a few fields. The same update records the completion in the broadcast's
   * outbox (`pending_completions`), so that its `broadcast.completed` event outlives a crash.
   */
  async finishIfDone(clientId: string, id: string): Promise<BroadcastCompletion | null> {
    const done: mongo.Filter<BroadcastRecord> = { _id: oid(id), client_id: oid(clientId), status: 'sending', pending: { $size: 0 }, ...AUDIENCE_RESOLVED };
    const found = await this.collection.findOne<{ sent: string[]; failed: string[] }>(done, { projection: { _id: 0, sent: { $slice: 1 }, failed: { $slice: 1 } } });
    if (!found) return null;
    const status: BroadcastStatus = found.sent.length === 0 ? 'failed' : found.failed.length === 0 ? 'completed' : 'completed_with_errors';
    const finishedAt = new Date();
    // A retry meanwhile moves recipients back to `pending` (and may change `failed`): then this matches nothing.
    const emptiness = (field: 'sent' | 'failed', empty: boolean) => (empty ? { [field]: { $size: 0 } } : { [`${field}.0`]: { $exists: true } });
    const condition = { ...done, ...emptiness('sent', found.sent.length === 0), ...emptiness('failed', found.failed.length === 0) };
    const result = await this.collection.updateOne(condition, { $set: { status, finished_at: finishedAt }, $push: { pending_completions: { status, finished_at: finishedAt } } });
    return result.modifiedCount === 1 ? { status, finishedAt } : null;
  }

  /** Takes a published completion off the broadcast's outbox; the field goes with the last one (and the broadcast leaves the sweep's index). */
  async clearPendingCompletion(id: string, finishedAt: Date): Promise<void> {
    await this.collection.bulkWrite(
      [
        { updateOne: { filter: { _id: oid(id), pending_completions: { $size: 1 }, 'pending_completions.finished_at': finishedAt }, update: { $unset: { pending_completions: '' } } } },
        { updateOne: { filter: { _id: oid(id), 'pending_completions.finished_at': finishedAt }, update: { $pull: { pending_completions: { finished_at: finishedAt } } } } },
      ],
      { ordered: true },
    );
  }

  /** Broadcasts with a completion finished before `finishedBefore` whose event is still unpublished (what a crash left behind). */
  async findWithPendingCompletions(finishedBefore: Date, limit: number): Promise<Array<{ id: string; completions: BroadcastCompletion[] }>> {
    const found = await this.collection
      .find({ 'pending_completions.finished_at': { $lt: finishedBefore } }, { projection: { pending_completions: 1 } })
      .limit(limit)
      .toArray();
    return found.map((broadcast) => ({
      id: broadcast._id.toHexString(),
      completions: (broadcast.pending_completions ?? []).map(({ status, finished_at }) => ({ status, finishedAt: finished_at })),
    }));
  }

  /** How a broadcast ended, in counts (for its `broadcast.completed` event); null when it is gone. */
  async findOutcomeSummary(id: string): Promise<BroadcastOutcomeSummary | null> {
    if (!isValidObjectId(id)) return null;
    const [summary] = await this.broadcasts
      .aggregate<BroadcastOutcomeSummary>([
        { $match: { _id: oid(id) } },
        {
          $project: {
            client_id: 1,
            session_id: 1,
            status: 1,
            finished_at: 1,
            recipients: { $add: [{ $size: '$sent' }, { $size: '$pending' }, { $size: '$failed' }] },
            sent: { $size: '$sent' },
            failed: { $size: '$failed' },
          },
        },
      ])
      .exec();
    return summary ?? null;
  }

  /** `scheduled`, `sending` or `paused` → `cancelled`; null when the broadcast is missing, another client's, or already finished. */
  async cancel(clientId: string, id: string): Promise<BroadcastRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.broadcasts
      .findOneAndUpdate(
        { _id: oid(id), client_id: oid(clientId), status: { $in: UNFINISHED } },
        { $set: { status: 'cancelled', finished_at: new Date() } },
        { new: true, projection: WITHOUT_FAN_OUT },
      )
      .lean<BroadcastRecord>()
      .exec();
  }

  /** `scheduled` → `sending` once `send_at` has come (exactly once, whoever tries); false when not due or not scheduled. */
  async startIfDue(id: string, now: Date = new Date()): Promise<boolean> {
    const result = await this.broadcasts
      .updateOne({ _id: oid(id), status: 'scheduled', send_at: { $lte: now } }, { $set: { status: 'sending', ...newActivation(now) } })
      .exec();
    return result.modifiedCount === 1;
  }

  /** Ids of scheduled broadcasts whose time has come, and of started ones whose audience is still unresolved (for the sweep), most overdue first. */
  async findDueScheduled(now: Date, limit: number): Promise<string[]> {
    const found = await this.broadcasts
      // Also one that started with its audience still unresolved (its fan-out lost): the fan-out resolves it.
      .find({ $or: [{ status: 'scheduled', send_at: { $lte: now } }, { status: 'sending', audience: { $exists: true }, 'audience.resolved_at': null }] }, { _id: 1 })
      .sort({ send_at: 1 })
      .limit(limit)
      .lean<Array<{ _id: Types.ObjectId }>>()
      .exec();
    return found.map(({ _id }) => _id.toHexString());
  }

  /** `sending` → `paused`; null when the broadcast is missing, another client's, or not sending. */
  async pause(clientId: string, id: string): Promise<BroadcastRecord | null> {
    return this.moveStatus(clientId, id, 'sending', { status: 'paused' });
  }

  /** `paused` → `sending`, a new activation whose fan-out starts from the front; null when the broadcast is missing, another client's, or not paused. */
  async resume(clientId: string, id: string, now: Date = new Date()): Promise<BroadcastRecord | null> {
    return this.moveStatus(clientId, id, 'paused', { status: 'sending', ...newActivation(now), paused_reason: null });
  }

  /** Ids and statuses of the client's broadcasts from these sessions that send the template, in one of these statuses. */
  async findUsingTemplate(use: TemplateUseFilter, statuses: BroadcastStatus[]): Promise<Array<Pick<BroadcastRecord, '_id' | 'status' | 'paused_reason'>>> {
    return this.broadcasts
      .find(
        {
          client_id: oid(use.clientId),
          session_id: { $in: use.sessionIds.map(oid) },
          'message.template.name': use.name,
          'message.template.language': use.language,
          status: { $in: statuses },
          ...(use.pausedReason ? { paused_reason: use.pausedReason } : {}),
        },
        { _id: 1, status: 1, paused_reason: 1 },
      )
      .lean<Array<Pick<BroadcastRecord, '_id' | 'status' | 'paused_reason'>>>()
      .exec();
  }

  /** `sending` or `scheduled` → `paused` for a reason of the service's; null when it is neither any more. */
  /** The session's `sending` and `scheduled` broadcasts that send a marketing template (a FLAGGED number pauses them). */
  async findRunningMarketingOfSession(clientId: string, sessionId: string): Promise<Array<Pick<BroadcastRecord, '_id'>>> {
    return this.broadcasts
      .find({ client_id: oid(clientId), session_id: oid(sessionId), status: { $in: ['sending', 'scheduled'] }, 'message.template.category': 'MARKETING' }, { _id: 1 })
      .lean<Array<Pick<BroadcastRecord, '_id'>>>()
      .exec();
  }

  /** Pauses a `sending` or `scheduled` broadcast for `reason`, recording the events that tell it in the same update; null when it is neither. */
  async pauseFor(clientId: string, id: string, reason: string, events: PublishedEvent[] = [], at: Date = new Date()): Promise<BroadcastRecord | null> {
    return this.broadcasts
      .findOneAndUpdate(
        { _id: oid(id), client_id: oid(clientId), status: { $in: ['sending', 'scheduled'] } },
        { $set: { status: 'paused', paused_reason: reason }, ...recordingClientEvents(events, at) },
        { new: true, projection: WITHOUT_RECIPIENTS },
      )
      .lean<BroadcastRecord>()
      .exec();
  }

  /**
   * A broadcast paused for `reason` goes on: back to `scheduled` while its send_at is ahead, else
   * `sending` (a new activation), recording the events that tell it in the same update. Null when it
   * is not paused for that reason (its client resumed or cancelled it).
   */
  async resumeFrom(clientId: string, id: string, reason: string, events: PublishedEvent[] = [], now: Date = new Date()): Promise<BroadcastRecord | null> {
    const paused = { _id: oid(id), client_id: oid(clientId), status: 'paused', paused_reason: reason };
    const options = { new: true, projection: WITHOUT_RECIPIENTS };
    const recorded = recordingClientEvents(events, now);
    const rescheduled = await this.broadcasts
      .findOneAndUpdate({ ...paused, send_at: { $gt: now }, activated_at: null }, { $set: { status: 'scheduled', paused_reason: null }, ...recorded }, options)
      .lean<BroadcastRecord>()
      .exec();
    return (
      rescheduled ??
      this.broadcasts.findOneAndUpdate(paused, { $set: { status: 'sending', ...newActivation(now), paused_reason: null }, ...recorded }, options).lean<BroadcastRecord>().exec()
    );
  }

  /** A paused broadcast's pending recipients, with what sends to them (null when it is not paused). */
  async findPendingOfPaused(clientId: string, id: string): Promise<Pick<BroadcastRecord, 'pending' | 'session_id' | 'message'> | null> {
    return this.broadcasts
      .findOne({ _id: oid(id), client_id: oid(clientId), status: 'paused' }, { _id: 0, pending: 1, session_id: 1, message: 1 })
      .lean<Pick<BroadcastRecord, 'pending' | 'session_id' | 'message'>>()
      .exec();
  }

  /**
   * Moves recipients of a paused broadcast from `pending` to `failed` in one atomic update, then
   * lets it finish: `sending` again, so that finishIfDone can end it. Their ledger entries are
   * failed first (MessageLogRepository.failUnsentOfBroadcast, which keeps their reason), so
   * `failed` is the only array they can end in: one whose send job ran meanwhile was moved there
   * by its worker already. False when the broadcast is no longer paused.
   */
  async failPendingOfPaused(clientId: string, id: string, recipients: string[]): Promise<boolean> {
    const paused = { _id: oid(id), client_id: oid(clientId), status: 'paused' };
    // Its queued jobs were removed when it was paused: the window starts again from the front of `pending`.
    const finish = { status: 'sending', paused_reason: null, 'fan_out.window': 0 };
    const update = recipients.length === 0 ? { $set: finish } : { $pull: { pending: { $in: recipients } }, $addToSet: { failed: { $each: recipients } }, $set: finish };
    return (await this.broadcasts.updateOne(paused, update).exec()).modifiedCount === 1;
  }

  /**
   * Moves failed recipients back to `pending` in one atomic update ($pull + $addToSet, only
   * while every one of them is still in `failed`, so that no recipient can end up in two
   * arrays), and reopens a finished broadcast (`sending` again, a new `activated_at`: the next
   * fan-out's and send jobs' ids). A `sending` or `paused` broadcast keeps its status and its
   * activation: its send jobs in Redis stay its own (a resume activates it anew), and a fan-out
   * in the same activation adds only the groups that have no job; a retried recipient whose group
   * still has a job is sent once that job has ended (the sweep finds it). Null when the broadcast
   * cannot be retried or the recipients are no longer all in `failed` (a concurrent retry).
   */
  async returnToPending(clientId: string, id: string, recipients: string[], now: Date = new Date()): Promise<BroadcastRecord | null> {
    if (!isValidObjectId(id) || recipients.length === 0) return null;
    const move = { $pull: { failed: { $in: recipients } }, $addToSet: { pending: { $each: recipients } } };
    const filter = { _id: oid(id), client_id: oid(clientId), failed: { $all: recipients } };
    const reopened = await this.broadcasts
      .findOneAndUpdate(
        { ...filter, status: { $in: FINAL_BROADCAST_STATUSES.filter((status) => status !== 'cancelled') } },
        { ...move, $set: { status: 'sending', finished_at: null, ...newActivation(now) } },
        { new: true, projection: WITHOUT_RECIPIENTS },
      )
      .lean<BroadcastRecord>()
      .exec();
    if (reopened) return reopened;
    return this.broadcasts
      .findOneAndUpdate({ ...filter, status: { $in: ['sending', 'paused'] } }, move, { new: true, projection: WITHOUT_RECIPIENTS })
      .lean<BroadcastRecord>()
      .exec();
  }

  /** The broadcast without its recipient arrays, with their sizes; null when missing or another client's. */
  async findOwnedSummary(clientId: string, id: string): Promise<BroadcastSummary | null> {
    if (!isValidObjectId(id)) return null;
    const [found] = await this.broadcasts
      .aggregate<BroadcastSummary>([{ $match: { _id: oid(id), client_id: oid(clientId) } }, { $addFields: ARRAY_COUNTS }, { $project: WITHOUT_RECIPIENTS }])
      .exec();
    return found ?? null;
  }

  /** A page of summaries, newest first (GET /broadcast?fields=summary). */
  async listSummaries(clientId: string, sessionId: string | null, page: PageRequest): Promise<PageResult<BroadcastSummary>> {
    const filter: FilterQuery<Broadcast> = { client_id: oid(clientId), ...(sessionId ? { session_id: oid(sessionId) } : {}) };
    const [items, total] = await Promise.all([
      this.broadcasts
        .aggregate<BroadcastSummary>([
          { $match: filter },
          { $sort: NEWEST_FIRST },
          { $skip: skipFor(page) },
          { $limit: page.limit },
          { $addFields: ARRAY_COUNTS },
          { $project: WITHOUT_RECIPIENTS },
        ])
        .exec(),
      this.broadcasts.countDocuments(filter).exec(),
    ]);
    return { items, total };
  }

  /** The failed recipients and reasons stored with the broadcast (invalid numbers), without the other arrays. */
  async findFailedRecipients(clientId: string, id: string): Promise<Pick<BroadcastRecord, 'status' | 'failed' | 'failures'> | null> {
    if (!isValidObjectId(id)) return null;
    return this.broadcasts
      .findOne({ _id: oid(id), client_id: oid(clientId) }, { status: 1, failed: 1, failures: 1 })
      .lean<Pick<BroadcastRecord, 'status' | 'failed' | 'failures'>>()
      .exec();
  }

  async delete(clientId: string, id: string): Promise<boolean> {
    if (!isValidObjectId(id)) return false;
    const result = await this.broadcasts.deleteOne({ _id: oid(id), client_id: oid(clientId) }).exec();
    return result.deletedCount === 1;
  }

  private async moveStatus(
    clientId: string,
    id: string,
    from: BroadcastStatus,
    set: { status: BroadcastStatus; paused_reason?: null } & Partial<ReturnType<typeof newActivation>>,
  ): Promise<BroadcastRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.broadcasts
      .findOneAndUpdate({ _id: oid(id), client_id: oid(clientId), status: from }, { $set: set }, { new: true, projection: WITHOUT_FAN_OUT })
      .lean<BroadcastRecord>()
      .exec();
  }

  /** The fan-out's position with `recipients` (an expression over `pending` and `window`), in one aggregation over one document. */
  private async findFanOutSlice(id: string, recipients: Record<string, unknown>): Promise<FanOutSlice | null> {
    if (!isValidObjectId(id)) return null;
    const [found] = await this.broadcasts
      .aggregate<Omit<FanOutRecord, 'fan_out'> & { window: number; recipients: string[]; pending: number }>([
        { $match: { _id: oid(id), status: 'sending', ...AUDIENCE_RESOLVED } },
        { $project: { client_id: 1, session_id: 1, activated_at: 1, pending: 1, window: STORED_WINDOW } },
        { $project: { client_id: 1, session_id: 1, activated_at: 1, window: 1, pending: { $size: '$pending' }, recipients } },
      ])
      .exec();
    if (!found) return null;
    return { ...positionOf(id, found, found.window), recipients: found.recipients, pending: found.pending };
  }

  /**
   * Ids of broadcasts still `sending` that were created before `createdBefore` and have not
   * (re)entered `sending` since (started on schedule, resumed, retried): for the sweep.
   */
  async findSendingCreatedBefore(createdBefore: Date, limit: number): Promise<string[]> {
    const found = await this.broadcasts
      .find({ status: 'sending', createdAt: { $lt: createdBefore }, activated_at: { $not: { $gte: createdBefore } } }, { _id: 1 })
      .sort({ createdAt: 1 })
      .limit(limit)
      .lean<Array<{ _id: Types.ObjectId }>>()
      .exec();
    return found.map(({ _id }) => _id.toHexString());
  }

  /** How many of the client's sending broadcasts include this attachment. */
  async countSendingUsingAttachment(clientId: string, attachmentId: string): Promise<number> {
    if (!isValidObjectId(attachmentId)) return 0;
    return this.broadcasts
      .countDocuments({
        client_id: oid(clientId),
        status: 'sending',
        // In the content's attachments, or as its template's media header (the path runs through both arrays).
        $or: [{ 'message.attachments': oid(attachmentId) }, ...Object.values(MEDIA_HEADER_TYPES).map((type) => ({ [`message.template.components.parameters.${type}.attachment_id`]: attachmentId }))],
      })
      .exec();
  }
  /** A broadcast that has started sending with its audience not yet resolved (a scheduled one at send_at), or null. */
  async findUnresolvedAudience(id: string): Promise<UnresolvedAudienceBroadcast | null> {
    if (!isValidObjectId(id)) return null;
    return this.broadcasts
      .findOne({ _id: oid(id), status: 'sending', audience: { $ne: null }, 'audience.resolved_at': null }, { client_id: 1, message: 1, require_opt_in: 1, audience: 1 })
      .lean<UnresolvedAudienceBroadcast>()
      .exec();
  }

  /**
   * Fills the recipient arrays of a broadcast whose audience has just been resolved, once (the
   * filter holds only while it is unresolved); with nothing to send it is `failed` at once.
   */
  async fillAudience(
    id: string,
    recipients: { pending: string[]; failed: string[]; failures: RecipientFailure[]; contactCount: number; personalisedCount: number },
  ): Promise<boolean> {
    const now = new Date();
    const nothingToSend = recipients.pending.length === 0;
    const result = await this.collection.updateOne(
      { _id: oid(id), status: 'sending', 'audience.resolved_at': null },
      {
        $set: {
          pending: recipients.pending,
          failed: recipients.failed,
          failures: recipients.failures,
          'audience.contact_count': recipients.contactCount,
          'audience.resolved_at': now,
          ...(recipients.personalisedCount > 0 ? { personalised: true } : {}),
          ...(nothingToSend ? { status: 'failed' as const, finished_at: now } : {}),
          updatedAt: now,
        },
      },
    );
    return result.modifiedCount === 1;
  }

  /** The numbers the client's broadcast was sent to (`sent`), or null when it is not theirs (segments: has received a broadcast). */
  async findSentRecipients(clientId: string, id: string): Promise<string[] | null> {
    if (!isValidObjectId(id)) return null;
    const found = await this.broadcasts.findOne({ _id: oid(id), client_id: oid(clientId) }, { sent: 1 }).lean<Pick<BroadcastRecord, 'sent'>>().exec();
    return found ? found.sent : null;
  }

}

/** The broadcasts of a template's use (see TemplateUse), optionally only those paused for a reason. */
export interface TemplateUseFilter {
  clientId: string;
  sessionIds: string[];
  name: string;
  language: string;
  pausedReason?: string;
}

/** What a fan-out position is read from. */
type FanOutRecord = Pick<BroadcastRecord, 'client_id' | 'session_id' | 'activated_at' | 'fan_out'>;

function positionOf(broadcastId: string, found: Omit<FanOutRecord, 'fan_out'>, window: number): FanOutPosition {
  return {
    broadcastId,
    clientId: found.client_id.toHexString(),
    sessionId: found.session_id.toHexString(),
    activatedAt: found.activated_at ?? null,
    window: Math.max(0, window),
  };
}

/** A broadcast (re)entering `sending`: its activation (the send jobs' ids) and a fan-out from the front of `pending`. */
function newActivation(now: Date): { activated_at: Date; 'fan_out.window': number } {
  return { activated_at: now, 'fan_out.window': 0 };
}

/** A broadcast's outcome in counts. */
/** One completion of a broadcast: how it ended and when (its `finished_at`). */
export interface BroadcastCompletion {
  status: BroadcastStatus;
  finishedAt: Date;
}

export interface BroadcastOutcomeSummary {
  _id: Types.ObjectId;
  client_id: Types.ObjectId;
  session_id: Types.ObjectId;
  status: BroadcastStatus;
  finished_at: Date | null;
  recipients: number;
  sent: number;
  failed: number;

}
