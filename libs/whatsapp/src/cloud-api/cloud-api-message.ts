import { CAPTIONED_MEDIA_KINDS, OutgoingMessage } from '../message';
import { withHeaderMediaId } from '../template/template-header-media';

/** Longest `biz_opaque_callback_data` the Cloud API accepts. */
const MAX_CALLBACK_DATA_LENGTH = 512;

/** The JSON body of `POST /{version}/{phone-number-id}/messages`. */
export interface CloudApiMessageBody {
  messaging_product: 'whatsapp';
  recipient_type: 'individual';
  to: string;
  type: string;
  biz_opaque_callback_data?: string;
  [payload: string]: unknown;
}

/**
 * Renders one wire message in the Cloud API's shape. Media must already be uploaded:
 * `mediaId` is the id the media endpoint answered for `message.media` (or a template's `headerMedia`).
 */
export function toCloudApiMessage(
  to: string,
  message: OutgoingMessage,
  options: { mediaId?: string; callbackData?: string } = {},
): CloudApiMessageBody {
  const envelope = {
    messaging_product: 'whatsapp' as const,
    recipient_type: 'individual' as const,
    to,
    // Echoed back in status webhooks; lets a status be traced to the job that sent it.
    ...(options.callbackData ? { biz_opaque_callback_data: options.callbackData.slice(0, MAX_CALLBACK_DATA_LENGTH) } : {}),
  };
  switch (message.kind) {
    case 'text':
      return { ...envelope, type: 'text', text: { body: message.text, preview_url: /https?:\/\//i.test(message.text) } };
    case 'media': {
      if (!options.mediaId) throw new Error(`No uploaded media id for attachment ${message.media.id}`);
      const payload: Record<string, string> = { id: options.mediaId };
      if (message.caption && CAPTIONED_MEDIA_KINDS.has(message.mediaKind)) payload.caption = message.caption;
      if (message.mediaKind === 'document') payload.filename = message.media.fileName;
      return { ...envelope, type: message.mediaKind, [message.mediaKind]: payload };
    }
    case 'location':
      return {
        ...envelope,
        type: 'location',
        location: {
          latitude: message.latitude,
          longitude: message.longitude,
          ...(message.name ? { name: message.name } : {}),
          ...(message.address ? { address: message.address } : {}),
        },
      };
    case 'contacts':
      return { ...envelope, type: 'contacts', contacts: message.contacts };
    case 'template': {
      if (message.headerMedia && !options.mediaId) throw new Error(`No uploaded media id for attachment ${message.headerMedia.id}`);
      const components =
        message.headerMedia && options.mediaId && message.template.components
          ? withHeaderMediaId(message.template.components, options.mediaId, message.headerMedia.fileName)
          : message.template.components;
      return {
        ...envelope,
        type: 'template',
        template: {
          name: message.template.name,
          language: { code: message.template.language },
          ...(components?.length ? { components } : {}),
        },
      };
    }
  }
}
