import { mongo, Types } from 'mongoose';
import type { PublishedEvent } from './client-events';

/**
 * A client event kept whole on the document whose change caused it, until it is published: a
 * broadcast paused or resumed (by its template or its number's quality), a template whose
 * status, quality or category changed, a session whose number quality changed. The ledger's
 * events and broadcast completions have outboxes of their own (`pending_events`,
 * `pending_completions`), rebuilt into events from their documents.
 */
export interface OutboxedEvent {
  /** The event's id (also inside `event`): what taking it off matches. */
  id: string;
  /** When it was recorded: the sweep takes what is older than its age. */
  at: Date;
  event: PublishedEvent;
}

/** The field holding a document's outboxed events; absent when none waits. Internal: never shown by the API. */
export const CLIENT_EVENTS_FIELD = 'client_events';

/** Its index: only documents with events waiting are in it, so the sweep's query costs nothing when none is left. */
export const CLIENT_EVENTS_INDEX = [{ 'client_events.at': 1 }, { name: 'client_events_outbox', partialFilterExpression: { 'client_events.at': { $exists: true } } }] as const;

/**
 * The update part that records events on the document it changes, so that the change is never
 * written without them (nothing when there are none).
 */
export function recordingClientEvents(events: PublishedEvent[], at: Date): { $push?: { client_events: { $each: OutboxedEvent[] } } } {
  if (events.length === 0) return {};
  return { $push: { client_events: { $each: events.map((event) => ({ id: event.event.id, at, event })) } } };
}

/** Events recorded on one document, to publish and then take off it. */
export interface OutboxedEvents {
  outbox: DocumentOutbox;
  id: Types.ObjectId;
  events: PublishedEvent[];
}

type OutboxDocument = { _id: Types.ObjectId; client_events?: OutboxedEvent[] };

/**
 * One collection's outbox of client events (`client_events`): written by the updates that
 * cause the events (recordingClientEvents), published right after by their writer (the fast
 * path), and swept by EventOutboxSweeper for what a failed publish or a dead process left.
 */
export class DocumentOutbox {
  private constructor(
    /** The collection's name, for the logs. */
    readonly name: string,
    private readonly collection: mongo.Collection<OutboxDocument>,
  ) {}

  /** The outbox of a collection whose documents hold `client_events` (only that field is read or written). */
  static of<T extends mongo.Document>(name: string, collection: mongo.Collection<T>): DocumentOutbox {
    return new DocumentOutbox(name, collection as unknown as mongo.Collection<OutboxDocument>);
  }

  /** Documents holding events recorded before `recordedBefore`, with all their events, oldest first. */
  async findLeftovers(recordedBefore: Date, limit: number): Promise<OutboxedEvents[]> {
    const found = await this.collection
      .find({ 'client_events.at': { $lt: recordedBefore } }, { projection: { client_events: 1 } })
      .sort({ 'client_events.at': 1 })
      .limit(limit)
      .toArray();
    return found.map(({ _id, client_events }) => ({ outbox: this, id: _id, events: (client_events ?? []).map(({ event }) => event) }));
  }

  /**
   * Takes published events off their documents, in one bulk write; a document's field goes once it
   * is empty (the document leaves the index).
   */
  async clear(published: Array<{ id: Types.ObjectId; eventIds: string[] }>): Promise<void> {
    const operations = published
      .filter(({ eventIds }) => eventIds.length > 0)
      .flatMap(({ id, eventIds }): Array<mongo.AnyBulkWriteOperation<OutboxDocument>> => [
        { updateOne: { filter: { _id: id }, update: { $pull: { client_events: { id: { $in: eventIds } } } } } },
        { updateOne: { filter: { _id: id, client_events: { $size: 0 } }, update: { $unset: { client_events: '' } } } },
      ]);
    if (operations.length > 0) await this.collection.bulkWrite(operations, { ordered: true });
  }
}
