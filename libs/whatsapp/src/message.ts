import type { Readable } from 'node:stream';

/** WhatsApp's media classes, each with its own message type on the wire. */
export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

/** WhatsApp accepts captions on these media messages only (not on audio or stickers). */
export const CAPTIONED_MEDIA_KINDS: ReadonlySet<MediaKind> = new Set(['image', 'video', 'document']);
/** WhatsApp's longest media caption. */
export const MAX_CAPTION_LENGTH = 1024;

/** Bytes of a stored attachment, opened lazily so that large files are streamed. */
export interface MediaSource {
  /** Stable id of the stored file (our attachment id); providers cache uploads by it. */
  id: string;
  mimetype: string;
  size: number;
  fileName: string;
  open(): Promise<Readable>;
}

export interface ContactCard {
  name: { formatted_name: string; first_name?: string; last_name?: string };
  phones: Array<{ phone: string; wa_id?: string; type?: string }>;
  emails?: Array<{ email: string; type?: string }>;
}

export interface TemplateMessage {
  name: string;
  language: string;
  components?: unknown[];
}

/** One message on the wire; a logical message (text + attachments + ...) renders to several. */
export type OutgoingMessage =
  | { kind: 'text'; text: string }
  | { kind: 'media'; mediaKind: MediaKind; media: MediaSource; caption?: string }
  | { kind: 'location'; latitude: number; longitude: number; name?: string; address?: string }
  | { kind: 'contacts'; contacts: ContactCard[] }
  /** `headerMedia`: the attachment a media header names (attachment_id), uploaded like a media message's. */
  | { kind: 'template'; template: TemplateMessage; headerMedia?: MediaSource };

/** The stored file a wire message sends, if any: a media message's, or a template's header attachment. */
export function mediaSourceOf(message: OutgoingMessage): MediaSource | undefined {
  if (message.kind === 'media') return message.media;
  return message.kind === 'template' ? message.headerMedia : undefined;
}

/** A short human description of a wire message, stored as a WhatsApp log's messageText. */
export function describeOutgoingMessage(message: OutgoingMessage): string {
  switch (message.kind) {
    case 'text':
      return message.text;
    case 'media':
      return `[${message.mediaKind}] ${message.media.fileName}${message.caption ? ` ${message.caption}` : ''}`;
    case 'location':
      return `[location] ${message.latitude},${message.longitude}${message.name ? ` ${message.name}` : ''}`;
    case 'contacts':
      return `[contact] ${message.contacts.map((card) => card.name.formatted_name).join(', ')}`;
    case 'template':
      return `[template] ${message.template.name} (${message.template.language})`;
  }
}
