import { Injectable } from '@nestjs/common';
import { CAPTIONED_MEDIA_KINDS, MAX_CAPTION_LENGTH, OutgoingMessage, ProviderError } from '@app/whatsapp';
import { AttachmentService } from '../attachment/attachment.service';
import { ContactService, contactCardOf } from '../contact/contact.service';
import type { MessageContent } from './message-content.schema';

/** A broadcast's rendering is reused this long: its attachments and contact card are read once per worker, not per recipient. */
export const RENDERED_CONTENT_TTL_MS = 60_000;
const MAX_RENDERED_CONTENTS = 1000;

type MediaMessage = Extract<OutgoingMessage, { kind: 'media' }>;

/**
 * The one mapper from a message's content to the wire messages WhatsApp takes, as few as
 * WhatsApp allows, in a fixed order: the template; the text, unless it rides as the caption of
 * the first image, video or document (it must fit WhatsApp's caption limit); each attachment as
 * its media message; the location; the contact card. Each wire message is one provider call,
 * one slot of the session's rate limit and one WhatsApp log.
 */
@Injectable()
export class MessageRenderer {
  private readonly rendered = new Map<string, { parts: Promise<OutgoingMessage[]>; renderedAt: number }>();

  constructor(
    private readonly attachments: AttachmentService,
    private readonly contacts: ContactService,
  ) {}

  /** Renders the content; with a `contentKey` (the same content for many messages), reuses a recent rendering. */
  render(clientId: string, content: MessageContent, contentKey?: string): Promise<OutgoingMessage[]> {
    if (!contentKey) return this.renderNow(clientId, content);
    const cached = this.rendered.get(contentKey);
    if (cached && Date.now() - cached.renderedAt < RENDERED_CONTENT_TTL_MS) return cached.parts;
    const parts = this.renderNow(clientId, content);
    // A failed rendering (an attachment gone, MongoDB away) is not remembered.
    void parts.catch(() => this.rendered.delete(contentKey));
    if (this.rendered.size >= MAX_RENDERED_CONTENTS) this.rendered.delete(this.rendered.keys().next().value!);
    this.rendered.set(contentKey, { parts, renderedAt: Date.now() });
    return parts;
  }

  private async renderNow(clientId: string, content: MessageContent): Promise<OutgoingMessage[]> {
    const media = await this.mediaOf(clientId, content);
    const captioned = content.text && content.text.length <= MAX_CAPTION_LENGTH ? media.find(({ mediaKind }) => CAPTIONED_MEDIA_KINDS.has(mediaKind)) : undefined;
    if (captioned && content.text) captioned.caption = content.text;

    const parts: OutgoingMessage[] = [];
    if (content.template) parts.push({ kind: 'template', template: content.template });
    if (content.text && !captioned) parts.push({ kind: 'text', text: content.text });
    parts.push(...media);
    if (content.location) {
      const { lat, lng, name, address } = content.location;
      parts.push({ kind: 'location', latitude: lat, longitude: lng, ...(name ? { name } : {}), ...(address ? { address } : {}) });
    }
    if (content.contactId) {
      const contact = await this.contacts.findOwned(clientId, content.contactId.toHexString());
      if (!contact) throw new ProviderError('permanent', 'contact_missing', `Contact ${content.contactId.toHexString()} no longer exists`);
      parts.push({ kind: 'contacts', contacts: [contactCardOf(contact)] });
    }
    return parts;
  }

  /** Each attachment as its media message, in the content's order. */
  private async mediaOf(clientId: string, content: MessageContent): Promise<MediaMessage[]> {
    if (content.attachments.length === 0) return [];
    const ids = content.attachments.map((id) => id.toHexString());
    const found = await this.attachments.findOwned(clientId, ids);
    return ids.map((id) => {
      const attachment = found.find((candidate) => candidate._id.toHexString() === id);
      if (!attachment) throw new ProviderError('permanent', 'attachment_missing', `Attachment ${id} no longer exists`);
      return { kind: 'media', mediaKind: this.attachments.mediaKindOf(attachment), media: this.attachments.mediaSource(attachment) };
    });
  }
}
