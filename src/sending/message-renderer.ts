import { Injectable } from '@nestjs/common';
import { OutgoingMessage, ProviderError } from '@app/whatsapp';
import { AttachmentService } from '../attachment';
import { ContactService, contactCardOf } from '../contact/contact.service';
import type { MessageContent } from '../message-log/message-log.schema';

/** A broadcast's rendering is reused this long: its attachments and contact card are read once per worker, not per recipient. */
export const RENDERED_CONTENT_TTL_MS = 60_000;
const MAX_RENDERED_CONTENTS = 1000;

/**
 * Turns a logical message (seed 001's `message`) into the wire messages WhatsApp takes, in
 * a fixed order: template, text, each attachment as its media message, location, contact card.
 */
@Injectable()
export class MessageRenderer {
  private readonly rendered = new Map<string, { parts: Promise<OutgoingMessage[]>; renderedAt: number }>();

  constructor(
    private readonly attachments: AttachmentService,
    private readonly contacts: ContactService,
  ) {}

  /**
   * Renders the content; with a `contentKey` (the same content for many messages), reuses a
   * recent rendering of the attachments, location and contact card. The template and text are
   * taken from each message's own content: they may be filled in per recipient.
   */
  async render(clientId: string, content: MessageContent, contentKey?: string): Promise<OutgoingMessage[]> {
    if (!contentKey) return [...personalParts(content), ...(await this.renderSharedParts(clientId, content))];
    const cached = this.rendered.get(contentKey);
    if (cached && Date.now() - cached.renderedAt < RENDERED_CONTENT_TTL_MS) return [...personalParts(content), ...(await cached.parts)];
    const parts = this.renderSharedParts(clientId, content);
    // A failed rendering (an attachment gone, MongoDB away) is not remembered.
    void parts.catch(() => this.rendered.delete(contentKey));
    if (this.rendered.size >= MAX_RENDERED_CONTENTS) this.rendered.delete(this.rendered.keys().next().value!);
    this.rendered.set(contentKey, { parts, renderedAt: Date.now() });
    return [...personalParts(content), ...(await parts)];
  }

  /** The parts that are the same for every recipient of a content: attachments, location, contact card. */
  private async renderSharedParts(clientId: string, content: MessageContent): Promise<OutgoingMessage[]> {
    const parts: OutgoingMessage[] = [];
    if (content.attachments.length > 0) {
      const ids = content.attachments.map((id) => id.toHexString());
      const found = await this.attachments.findOwned(clientId, ids);
      for (const id of ids) {
        const attachment = found.find((candidate) => candidate._id.toHexString() === id);
        if (!attachment) throw new ProviderError('permanent', 'attachment_missing', `Attachment ${id} no longer exists`);
        parts.push({ kind: 'media', mediaKind: this.attachments.mediaKindOf(attachment), media: this.attachments.mediaSource(attachment) });
      }
    }
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
}

/** Template, then text: the parts that may differ per recipient ({{variables}}), first on the wire. */
function personalParts(content: MessageContent): OutgoingMessage[] {
  const parts: OutgoingMessage[] = [];
  if (content.template) parts.push({ kind: 'template', template: content.template });
  if (content.text) parts.push({ kind: 'text', text: content.text });
  return parts;
}
