import { createHash } from 'node:crypto';
import type { MessageFailure } from '../message-log/message-log.repository';
import type { ReplyAttributed } from '../message-log/ledger-events';
import type { MessageLogRecord } from '../message-log/message-log.schema';

/** Every event a client can subscribe to. */
export const CLIENT_EVENT_TYPES = [
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
  'message.received',
  'message.replied',
  'broadcast.completed',
  'broadcast.paused',
  'broadcast.resumed',
  'template.status_changed',
  'template.quality_changed',
  'template.category_changed',
  'session.quality_changed',
] as const;
export type ClientEventType = (typeof CLIENT_EVENT_TYPES)[number];

export type MessageStatusEventType = 'message.sent' | 'message.delivered' | 'message.read' | 'message.failed';

/** The body POSTed to an endpoint. */
export interface ClientEvent {
  /** Stable: the same fact always has the same id (redeliveries and retries too), so receivers can drop repeats. */
  id: string;
  type: ClientEventType;
  created_at: string;
  data: Record<string, unknown>;
}

/** An event with what delivering it needs to know. */
export interface PublishedEvent {
  clientId: string;
  event: ClientEvent;
  /** Events with the same key reach an endpoint in `rank` order or not at all (a message's status events). */
  orderKey: string | null;
  rank: number;
}

/** Where a message status event stands: a later one is never followed by an earlier one. */
export const MESSAGE_EVENT_RANK: Record<MessageStatusEventType, number> = {
  'message.sent': 1,
  'message.delivered': 2,
  'message.read': 3,
  'message.failed': 4,
};

export function eventId(...parts: string[]): string {
  return `evt_${createHash('sha256').update(parts.join(':')).digest('hex').slice(0, 24)}`;
}

const STATUS_OF: Record<MessageStatusEventType, string> = {
  'message.sent': 'sent',
  'message.delivered': 'delivered',
  'message.read': 'read',
  'message.failed': 'failed',
};

/** A message's status event; its id follows from the message and the status. */
export function messageStatusEvent(entry: MessageLogRecord, type: MessageStatusEventType, at: Date, failure?: MessageFailure | null): PublishedEvent {
  const id = entry._id.toHexString();
  return {
    clientId: entry.client_id.toHexString(),
    event: {
      id: eventId(id, type),
      type,
      created_at: at.toISOString(),
      data: { message: messageView(entry, STATUS_OF[type], type === 'message.failed' ? (failure ?? entry.error) : null) },
    },
    orderKey: `message:${id}`,
    rank: MESSAGE_EVENT_RANK[type],
  };
}

/** A customer's message; one event per inbound entry. */
export function messageReceivedEvent(entry: MessageLogRecord): PublishedEvent {
  const id = entry._id.toHexString();
  return {
    clientId: entry.client_id.toHexString(),
    event: { id: eventId(id, 'message.received'), type: 'message.received', created_at: entry.createdAt.toISOString(), data: { message: messageView(entry, 'received', null) } },
    orderKey: null,
    rank: 0,
  };
}

/**
 * A customer's message attributed as a reply to one of ours (one event per reply): the message
 * replied to, the reply (a button's payload in `reply.inbound.reply.id`), and how it was tied.
 */
export function messageRepliedEvent({ reply, target, attribution }: ReplyAttributed): PublishedEvent {
  const id = reply._id.toHexString();
  return {
    clientId: reply.client_id.toHexString(),
    event: {
      id: eventId(id, 'message.replied'),
      type: 'message.replied',
      created_at: reply.createdAt.toISOString(),
      data: { attribution, broadcast_id: target.broadcast_id?.toHexString() ?? null, message: messageView(target, target.status, null), reply: messageView(reply, 'received', null) },
    },
    orderKey: null,
    rank: 0,
  };
}

export interface FinishedBroadcast {
  _id: { toHexString(): string };
  client_id: { toHexString(): string };
  session_id: { toHexString(): string };
  status: string;
  finished_at?: Date | null;
  recipients: number;
  sent: number;
  failed: number;
}

/**
 * One event per completion: a broadcast that is retried and finishes again completes anew, so
 * its event id includes the completion's time (`finished_at`); publishing one completion twice
 * still makes one delivery per endpoint.
 */
export function broadcastCompletedEvent(broadcast: FinishedBroadcast): PublishedEvent {
  const id = broadcast._id.toHexString();
  const at = broadcast.finished_at ?? new Date();
  return {
    clientId: broadcast.client_id.toHexString(),
    event: {
      id: eventId(id, 'broadcast.completed', at.toISOString()),
      type: 'broadcast.completed',
      created_at: at.toISOString(),
      data: {
        broadcast: {
          id,
          session_id: broadcast.session_id.toHexString(),
          status: broadcast.status,
          recipients: broadcast.recipients,
          sent: broadcast.sent,
          failed: broadcast.failed,
          finished_at: at.toISOString(),
        },
      },
    },
    orderKey: null,
    rank: 0,
  };
}

/** What an event says about a message: who, which session, what, and how it stands. */
function messageView(entry: MessageLogRecord, status: string, failure: MessageFailure | null): Record<string, unknown> {
  const inbound = entry.direction === 'inbound';
  return {
    id: entry._id.toHexString(),
    message_uid: entry.message_uid,
    direction: entry.direction ?? 'outbound',
    source: entry.source,
    status,
    session_id: entry.session_id.toHexString(),
    broadcast_id: entry.broadcast_id?.toHexString() ?? null,
    // The customer: whom we wrote to, or who wrote to us.
    [inbound ? 'from' : 'to']: entry.recipient,
    contact: { id: entry.contact.contact_id?.toHexString() ?? null, name: entry.contact.name, phone: entry.recipient },
    text: entry.message.text,
    attachments: entry.message.attachments.map((attachmentId) => ({ id: attachmentId.toHexString(), url: `/attachment/${attachmentId.toHexString()}/download` })),
    location: entry.message.location,
    template_name: entry.template_name,
    provider_message_ids: entry.provider_message_ids,
    error: failure,
    ...(inbound && entry.inbound ? { inbound: entry.inbound } : {}),
  };
}
