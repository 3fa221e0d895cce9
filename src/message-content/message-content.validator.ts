import { Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import { AttachmentService } from '../attachment/attachment.service';
import { ContactService } from '../contact/contact.service';
import type { MessageContentDto, MessageTemplateDto } from './dto/message-content.dto';
import type { MessageContent } from './message-content.schema';

/** What a request asks to send: seed 001's `message`, and (POST /v1/messages only) a template. */
export interface MessageContentRequest {
  message: MessageContentDto | undefined;
  template?: MessageTemplateDto;
}

/**
 * The rules every message body obeys beyond its DTO, for broadcasts and single messages
 * alike: at least one part, and attachments and the contact card must be the client's own.
 * Problems are collected (each naming its field) so that the caller answers them all in one
 * 400; the content comes back in its one stored shape.
 */
@Injectable()
export class MessageContentValidator {
  constructor(
    private readonly attachments: AttachmentService,
    private readonly contacts: ContactService,
  ) {}

  async check(clientId: string, request: MessageContentRequest, problems: string[], options: { templatesAccepted: boolean }): Promise<MessageContent> {
    const { text, attachments, location, contactId } = request.message ?? {};
    const { template } = request;
    const attachmentIds = attachments ?? [];
    const content: MessageContent = {
      text: text && text.length > 0 ? text : null,
      attachments: attachmentIds.map((id) => new Types.ObjectId(id)),
      location: location ? { lat: location.lat, lng: location.lng, name: location.name ?? null, address: location.address ?? null } : null,
      contactId: contactId ? new Types.ObjectId(contactId) : null,
      ...(template && { template: { name: template.name, language: template.language, ...(template.components && { components: template.components }) } }),
    };
    if (!content.text && content.attachments.length === 0 && !content.location && !content.contactId && !content.template) {
      problems.push(
        options.templatesAccepted
          ? 'a message needs at least one of message.text, message.attachments, message.location, message.contactId or template'
          : 'message must have at least one of text, attachments, location or contactId',
      );
    }
    if (attachmentIds.length > 0) {
      const owned = new Set((await this.attachments.findOwned(clientId, attachmentIds)).map(({ _id }) => _id.toHexString()));
      for (const id of attachmentIds.filter((candidate) => !owned.has(candidate))) {
        problems.push(`message.attachments: ${id} is not one of your attachments`);
      }
    }
    if (contactId && !(await this.contacts.findOwned(clientId, contactId))) {
      problems.push(`message.contactId ${contactId} is not one of your contacts`);
    }
    return content;
  }
}
