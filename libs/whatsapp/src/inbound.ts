import type { MediaKind } from './message';

/** What a customer can send us, as the Cloud API names it (`messages[].type`). */
export const INBOUND_MESSAGE_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'document',
  'sticker',
  'location',
  'contacts',
  'button',
  'interactive',
  'reaction',
  'unsupported',
] as const;
export type InboundMessageType = (typeof INBOUND_MESSAGE_TYPES)[number];

/** A media file the customer sent: still on the provider's side until it is fetched by its id. */
export interface InboundMedia {
  kind: MediaKind;
  /** The provider's media id (Cloud API: fetched through the Graph API). */
  id: string;
  mimeType: string | null;
  caption: string | null;
  fileName: string | null;
}

/** A button or list reply to an interactive message (or a template's quick-reply button). */
export interface InboundReply {
  kind: 'button' | 'list' | 'quick_reply';
  id: string | null;
  title: string;
}

/** One message a customer sent to one of our sender numbers. */
export interface InboundMessage {
  /** The provider's id (`wamid.*`): delivery is at least once, so this is what makes it one entry. */
  providerMessageId: string;
  /** The customer's number, digits-only international form. */
  from: string;
  timestamp: Date;
  /** The customer's WhatsApp profile name, when the provider gives it. */
  profileName: string | null;
  type: InboundMessageType;
  /** The text, a media caption, a reply's title or a reaction's emoji: what a person would read. */
  text: string | null;
  media: InboundMedia | null;
  location: { latitude: number; longitude: number; name: string | null; address: string | null } | null;
  /** Contact cards the customer shared, as the provider sent them. */
  contacts: unknown[] | null;
  reply: InboundReply | null;
  /** A reaction: to which of our messages, and the emoji (null when the reaction was removed). */
  reaction: { messageId: string; emoji: string | null } | null;
  /** The message this one answers (WhatsApp's "reply to"), when there is one. */
  replyTo: string | null;
}

/** The bytes of a customer's media file, as a stream (never held whole in memory). */
export interface DownloadedMedia {
  mimeType: string | null;
  /** Size the provider announced, if any. */
  size: number | null;
  body: AsyncIterable<Uint8Array>;
}

/** Where inbound messages land: from Cloud API webhooks and from the sandbox's simulated replies alike. */
export interface InboundMessageSink {
  /** Messages that reached the session `sessionId`. */
  receive(sessionId: string, messages: InboundMessage[]): Promise<void>;
}
