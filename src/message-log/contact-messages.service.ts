import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { normalizePhoneNumber } from '@app/common';
import { AttachmentService } from '../attachment';
import { SessionRepository } from '../auth';
import { ContactRecord } from '../contact/contact.schema';
import { ContactService } from '../contact/contact.service';
import { ContactMessageContext, toContactMessage } from './contact-message.view';
import { ContactMessagesPageDto } from './dto/contact-message.dto';
import { ContactMessagesQueryDto } from './dto/contact-messages-query.dto';
import { decodeCursor, pageCursors } from './message-cursor';
import { ContactMessagesRepository } from './contact-messages.repository';
import { MessageLogRecord } from './message-log.schema';

const CONTACT_ID = /^[0-9a-fA-F]{24}$/;

/** Whose messages seed 003 lists: a number, and the saved contact behind it if there is one. */
interface Addressee {
  recipient: string;
  contact: ContactRecord | null;
}

/** Seed 003: the messages sent to one contact (or number), newest first, with cursors. */
@Injectable()
export class ContactMessagesService {
  constructor(
    private readonly logs: ContactMessagesRepository,
    private readonly contacts: ContactService,
    private readonly attachments: AttachmentService,
    private readonly sessions: SessionRepository,
  ) {}

  async list(clientId: string, identifier: string, query: ContactMessagesQueryDto): Promise<ContactMessagesPageDto> {
    const cursor = query.cursor === undefined ? null : decodeCursor(query.cursor);
    const addressee = await this.resolve(clientId, identifier);
    const { items, hasMore } = await this.logs.pageForRecipient(clientId, addressee.recipient, query.perPage, cursor);
    const context = await this.contextFor(clientId, addressee.contact, items);
    return { data: items.map((log) => toContactMessage(log, context)), ...pageCursors(items, cursor, hasMore) };
  }

  /**
   * A contact id (24 hex characters) names a saved contact of this client: its number's
   * messages. Anything else must be a phone number (a phone number never has 24 digits).
   */
  private async resolve(clientId: string, identifier: string): Promise<Addressee> {
    if (CONTACT_ID.test(identifier)) {
      const contact = await this.contacts.findOwned(clientId, identifier);
      if (!contact) throw new NotFoundException(`Contact ${identifier} not found`);
      return { recipient: contact.phone, contact };
    }
    const recipient = normalizePhoneNumber(identifier);
    if (!recipient) {
      throw new BadRequestException(
        'identifier must be a contact id (24 hexadecimal characters) or a valid phone number with its country code',
      );
    }
    return { recipient, contact: await this.contacts.findByPhone(clientId, recipient) };
  }

  /** Attachments and sessions of a whole page, each looked up once. */
  private async contextFor(clientId: string, contact: ContactRecord | null, items: MessageLogRecord[]): Promise<ContactMessageContext> {
    const attachmentIds = [...new Set(items.flatMap((log) => log.message.attachments.map((id) => id.toHexString())))];
    const [attachments, sessions] = await Promise.all([
      attachmentIds.length > 0 ? this.attachments.findOwned(clientId, attachmentIds) : Promise.resolve([]),
      items.length > 0 ? this.sessions.listByClient(clientId) : Promise.resolve([]),
    ]);
    return {
      contact,
      attachments: new Map(attachments.map((attachment) => [attachment._id.toHexString(), attachment])),
      sessions: new Map(sessions.map((session) => [session._id.toHexString(), session])),
    };
  }
}
