import type { InboundMedia, InboundMessage, InboundMessageType, InboundReply } from '../inbound';
import { INBOUND_MESSAGE_TYPES } from '../inbound';
import type { MediaKind } from '../message';
import { isObject } from './json-values';
import { changeValues } from './webhook-payload';

/** The messages a webhook carries for one sender number. */
export interface InboundWebhookBatch {
  /** `metadata.phone_number_id`: which session received them. */
  phoneNumberId: string;
  messages: InboundMessage[];
}

const MEDIA_TYPES: readonly MediaKind[] = ['image', 'video', 'audio', 'document', 'sticker'];

/**
 * The customers' messages in a Cloud API webhook (`entry[].changes[].value.messages[]`),
 * grouped by sender number, with each sender's profile name from `value.contacts[]`.
 * Anything malformed is skipped: one bad item never costs the others.
 */
export function parseInboundWebhook(payload: unknown): InboundWebhookBatch[] {
  const batches = new Map<string, InboundMessage[]>();
  for (const value of changeValues(payload)) {
    const phoneNumberId = isObject(value.metadata) && typeof value.metadata.phone_number_id === 'string' ? value.metadata.phone_number_id : '';
    if (!phoneNumberId || !Array.isArray(value.messages)) continue;
    const profileNames = new Map<string, string>();
    for (const contact of Array.isArray(value.contacts) ? (value.contacts as unknown[]) : []) {
      if (isObject(contact) && typeof contact.wa_id === 'string' && isObject(contact.profile) && typeof contact.profile.name === 'string') {
        profileNames.set(contact.wa_id, contact.profile.name);
      }
    }
    const messages = batches.get(phoneNumberId) ?? [];
    for (const item of value.messages as unknown[]) {
      const message = toInboundMessage(item, profileNames);
      if (message) messages.push(message);
    }
    batches.set(phoneNumberId, messages);
  }
  return [...batches].map(([phoneNumberId, messages]) => ({ phoneNumberId, messages }));
}

function toInboundMessage(item: unknown, profileNames: ReadonlyMap<string, string>): InboundMessage | null {
  if (!isObject(item) || typeof item.id !== 'string' || !item.id || typeof item.from !== 'string') return null;
  const from = item.from.replace(/\D/g, '');
  if (!from) return null;
  const seconds = Number(item.timestamp);
  const type: InboundMessageType = INBOUND_MESSAGE_TYPES.includes(item.type as InboundMessageType) ? (item.type as InboundMessageType) : 'unsupported';
  const message: InboundMessage = {
    providerMessageId: item.id,
    from,
    timestamp: Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : new Date(),
    profileName: profileNames.get(item.from) ?? profileNames.get(from) ?? null,
    type,
    text: null,
    media: null,
    location: null,
    contacts: null,
    reply: null,
    reaction: null,
    replyTo: isObject(item.context) && typeof item.context.id === 'string' ? item.context.id : null,
  };
  const body = item[type];
  switch (type) {
    case 'text':
      message.text = isObject(body) && typeof body.body === 'string' ? body.body : null;
      break;
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      message.media = mediaOf(type, body);
      if (!message.media) return null;
      message.text = message.media.caption;
      break;
    case 'location':
      message.location = locationOf(body);
      if (!message.location) return null;
      break;
    case 'contacts':
      message.contacts = Array.isArray(item.contacts) ? (item.contacts as unknown[]) : [];
      break;
    case 'button':
      // A template's quick-reply button.
      if (isObject(body) && typeof body.text === 'string') {
        message.reply = { kind: 'quick_reply', id: typeof body.payload === 'string' ? body.payload : null, title: body.text };
        message.text = body.text;
      }
      break;
    case 'interactive':
      message.reply = replyOf(body);
      message.text = message.reply?.title ?? null;
      break;
    case 'reaction':
      if (!isObject(body) || typeof body.message_id !== 'string') return null;
      message.reaction = { messageId: body.message_id, emoji: typeof body.emoji === 'string' && body.emoji ? body.emoji : null };
      message.text = message.reaction.emoji;
      break;
    case 'unsupported':
      break;
  }
  return message;
}

function mediaOf(kind: MediaKind, body: unknown): InboundMedia | null {
  if (!MEDIA_TYPES.includes(kind) || !isObject(body) || typeof body.id !== 'string' || !body.id) return null;
  return {
    kind,
    id: body.id,
    mimeType: typeof body.mime_type === 'string' ? body.mime_type : null,
    caption: typeof body.caption === 'string' ? body.caption : null,
    fileName: typeof body.filename === 'string' ? body.filename : null,
  };
}

function locationOf(body: unknown): InboundMessage['location'] {
  if (!isObject(body)) return null;
  const latitude = Number(body.latitude);
  const longitude = Number(body.longitude);
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return null;
  return {
    latitude,
    longitude,
    name: typeof body.name === 'string' ? body.name : null,
    address: typeof body.address === 'string' ? body.address : null,
  };
}

function replyOf(body: unknown): InboundReply | null {
  if (!isObject(body)) return null;
  const reply = body.type === 'button_reply' ? body.button_reply : body.type === 'list_reply' ? body.list_reply : undefined;
  if (!isObject(reply) || typeof reply.title !== 'string') return null;
  return { kind: body.type === 'button_reply' ? 'button' : 'list', id: typeof reply.id === 'string' ? reply.id : null, title: reply.title };
}
