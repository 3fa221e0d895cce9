import { Injectable } from '@nestjs/common';
import { CAPTIONED_MEDIA_KINDS, headerAttachmentOf, MAX_CAPTION_LENGTH, MediaSource, OutgoingMessage, ProviderError } from '@app/whatsapp';
import { AttachmentService } from '../attachment/attachment.service';
import { ContactService, contactCardOf } from '../contact/contact.service';
import type { MessageContent } from './message-content.schema';

/** A broadcast's rendering is reused this long: its attachments and contact card are read once per worker, not per recipient. */
export const RENDERED_CONTENT_TTL_MS = 60_000;
const MAX_RENDERED_CONTENTS = 1000;

type MediaMessage = Extract<OutgoingMessage, { kind: 'media' }>;

/** The parts that are the same for every recipient of a content: its template's header attachment, its media (uncaptioned), then location and contact card. */
interface SharedParts {
  templateHeaderMedia: MediaSource | undefined;
  media: MediaMessage[];
  trailing: OutgoingMessage[];
}

/**
 * The one mapper from a message's content to the wire messages WhatsApp takes, as few as
 * WhatsApp allows, in a fixed order: the template (with its header's attachment, if it names one); the text, unless it rides as the caption of
 * the first image, video or document (it must fit WhatsApp's caption limit); each attachment as
 * its media message; the location; the contact card. Each wire message is one provider call,
 * one slot of the session's rate limit and one WhatsApp log.
 */
@Injectable()
export class MessageRenderer {
  private readonly rendered = new Map<string, { parts: Promise<SharedParts>; renderedAt: number }>();

  constructor(
    private readonly attachments: AttachmentService,
    private readonly contacts: ContactService,
  ) {}

  /**
   * Renders the content; with a `contentKey` (the same content for many messages), reuses a
   * recent rendering of its attachments, location and contact card. The template and the text
   * are taken from each message's own content: they may be filled in per recipient ({{variables}}).
   */
  async render(clientId: string, content: MessageContent, contentKey?: string): Promise<OutgoingMessage[]> {
    return composeParts(content, await (contentKey ? this.sharedPartsOf(clientId, content, contentKey) : this.renderShared(clientId, content)));
  }

  private sharedPartsOf(clientId: string, content: MessageContent, contentKey: string): Promise<SharedParts> {
    const cached = this.rendered.get(contentKey);
    if (cached && Date.now() - cached.renderedAt < RENDERED_CONTENT_TTL_MS) return cached.parts;
    const parts = this.renderShared(clientId, content);
    // A failed rendering (an attachment gone, MongoDB away) is not remembered.
    void parts.catch(() => this.rendered.delete(contentKey));
    if (this.rendered.size >= MAX_RENDERED_CONTENTS) this.rendered.delete(this.rendered.keys().next().value!);
    this.rendered.set(contentKey, { parts, renderedAt: Date.now() });
    return parts;
  }

  private async renderShared(clientId: string, content: MessageContent): Promise<SharedParts> {
    const headerAttachment = content.template ? headerAttachmentOf(content.template.components) : null;
    const [media, templateHeaderMedia] = await this.mediaOf(clientId, content, headerAttachment?.attachmentId);
    const trailing: OutgoingMessage[] = [];
    if (content.location) {
      const { lat, lng, name, address } = content.location;
      trailing.push({ kind: 'location', latitude: lat, longitude: lng, ...(name ? { name } : {}), ...(address ? { address } : {}) });
    }
    if (content.contactId) {
      const contact = await this.contacts.findOwned(clientId, content.contactId.toHexString());
      if (!contact) throw new ProviderError('permanent', 'contact_missing', `Contact ${content.contactId.toHexString()} no longer exists`);
      trailing.push({ kind: 'contacts', contacts: [contactCardOf(contact)] });
    }
    return { templateHeaderMedia, media, trailing };
  }

  /** Each attachment as its media message, in the content's order; and the template header's attachment, read in the same query. */
  private async mediaOf(clientId: string, content: MessageContent, headerAttachmentId: string | undefined): Promise<[MediaMessage[], MediaSource | undefined]> {
    const ids = content.attachments.map((id) => id.toHexString());
    if (ids.length === 0 && !headerAttachmentId) return [[], undefined];
    const found = await this.attachments.findOwned(clientId, headerAttachmentId ? [...ids, headerAttachmentId] : ids);
    const attachmentOf = (id: string) => {
      const attachment = found.find((candidate) => candidate._id.toHexString() === id);
      if (!attachment) throw new ProviderError('permanent', 'attachment_missing', `Attachment ${id} no longer exists`);
      return attachment;
    };
    const media = ids.map((id): MediaMessage => {
      const attachment = attachmentOf(id);
      return { kind: 'media', mediaKind: this.attachments.mediaKindOf(attachment), media: this.attachments.mediaSource(attachment) };
    });
    return [media, headerAttachmentId ? this.attachments.mediaSource(attachmentOf(headerAttachmentId)) : undefined];
  }
}

/** One message's parts: its template and text (or caption) with the shared media, location and contact card. */
function composeParts(content: MessageContent, shared: SharedParts): OutgoingMessage[] {
  // Copies: the caption is this message's text, and the shared media serve many messages.
  const media = shared.media.map((part) => ({ ...part }));
  const captioned = content.text && content.text.length <= MAX_CAPTION_LENGTH ? media.find(({ mediaKind }) => CAPTIONED_MEDIA_KINDS.has(mediaKind)) : undefined;
  if (captioned && content.text) captioned.caption = content.text;
  const parts: OutgoingMessage[] = [];
  if (content.template) parts.push({ kind: 'template', template: content.template, ...(shared.templateHeaderMedia ? { headerMedia: shared.templateHeaderMedia } : {}) });
  if (content.text && !captioned) parts.push({ kind: 'text', text: content.text });
  return [...parts, ...media, ...shared.trailing];
}
