import { Injectable } from '@nestjs/common';
import { AttachmentService } from '../attachment/attachment.service';
import type { BroadcastMessageDto } from '../broadcast/dto/create-broadcast.dto';
import { ContactService } from '../contact/contact.service';
import type { MessageContentInput } from '../message-log/message-log.repository';
import type { MessageTemplateDto } from './dto/send-message.dto';

/**
 * The rules every message body obeys, for broadcasts and single messages alike: at least
 * one part, and attachments and the contact card must be the client's own. Problems are
 * collected (each naming its field) so that the caller answers them all in one 400.
 */
@Injectable()
export class MessageContentValidator {
  constructor(
    private readonly attachments: AttachmentService,
    private readonly contacts: ContactService,
  ) {}

  async check(
    clientId: string,
    body: BroadcastMessageDto | undefined,
    template: MessageTemplateDto | undefined,
    problems: string[],
    options: { templatesAccepted: boolean },
  ): Promise<MessageContentInput> {
    const { text, attachments, location, contactId } = body ?? {};
    const content: MessageContentInput = {
      text: text && text.length > 0 ? text : null,
      attachments: attachments ?? [],
      location: location ? { lat: location.lat, lng: location.lng, name: location.name ?? null, address: location.address ?? null } : null,
      contactId: contactId ?? null,
      template: template
        ? { name: template.name, language: template.language, ...(template.components ? { components: template.components } : {}) }
        : null,
    };
    if (!content.text && content.attachments.length === 0 && !content.location && !content.contactId && !content.template) {
      problems.push(
        options.templatesAccepted
          ? 'a message needs at least one of message.text, message.attachments, message.location, message.contactId or template'
          : 'message must have at least one of text, attachments, location or contactId',
      );
    }
    if (content.attachments.length > 0) {
      const owned = new Set((await this.attachments.findOwned(clientId, content.attachments)).map(({ _id }) => _id.toHexString()));
      for (const id of content.attachments.filter((candidate) => !owned.has(candidate))) {
        problems.push(`message.attachments: ${id} is not one of your attachments`);
      }
    }
    if (content.contactId && !(await this.contacts.findOwned(clientId, content.contactId))) {
      problems.push(`message.contactId ${content.contactId} is not one of your contacts`);
    }
    return content;
  }
}
