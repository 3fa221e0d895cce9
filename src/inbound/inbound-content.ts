import type { InboundMessage } from '@app/whatsapp';
import type { InboundDetails } from '../message-log/message-log.schema';

/** What an inbound message puts in the ledger's message parts, and the rest of what the customer sent. */
export interface InboundContent {
  text: string | null;
  location: { lat: number; lng: number; name: string | null; address: string | null } | null;
  inbound: InboundDetails;
}

/**
 * Maps a customer's message onto the ledger's shape: text (or a caption, a reply's title, a
 * reaction's emoji) and location as message parts, like an outbound message's; the media
 * (fetched later into an attachment), shared contact cards, replies and reactions as
 * inbound details.
 */
export function inboundContentOf(message: InboundMessage): InboundContent {
  const { media, location, reply, reaction } = message;
  return {
    text: message.text,
    location: location ? { lat: location.latitude, lng: location.longitude, name: location.name, address: location.address } : null,
    inbound: {
      type: message.type,
      profile_name: message.profileName,
      media: media
        ? {
            kind: media.kind,
            provider_media_id: media.id,
            mime_type: media.mimeType,
            caption: media.caption,
            file_name: media.fileName,
            status: 'pending',
            error: null,
          }
        : null,
      contacts: message.contacts,
      reply: reply ? { kind: reply.kind, id: reply.id, title: reply.title } : null,
      reaction: reaction ? { message_id: reaction.messageId, emoji: reaction.emoji } : null,
      reply_to: message.replyTo,
    },
  };
}
