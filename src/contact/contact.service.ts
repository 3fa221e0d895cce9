import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { PageRequest, PageResult } from '@app/common';
import type { ContactCard } from '@app/whatsapp';
import { ContactFields, ContactRepository, DuplicateContactPhoneError, InboundContact, OptOutFields, RecipientState } from './contact.repository';
import { ContactRecord } from './contact.schema';
import { CreateContactDto } from './dto/create-contact.dto';
import { UpdateContactDto } from './dto/update-contact.dto';

/** A client's address book; other features resolve `contactId`s and phone numbers through it. */
@Injectable()
export class ContactService {
  constructor(private readonly contacts: ContactRepository) {}

  async create(clientId: string, body: CreateContactDto): Promise<ContactRecord> {
    return this.conflictOnDuplicate(() =>
      this.contacts.create(clientId, {
        name: body.name.trim(),
        phone: body.phone,
        email: body.email ?? null,
        organization: body.organization ?? null,
      }),
    );
  }

  list(clientId: string, page: PageRequest): Promise<PageResult<ContactRecord>> {
    return this.contacts.list(clientId, page);
  }

  async get(clientId: string, id: string): Promise<ContactRecord> {
    const contact = await this.contacts.findOwned(clientId, id);
    if (!contact) throw new NotFoundException(`Contact ${id} not found`);
    return contact;
  }

  /** The client's contact, or null (another client's id reads as missing). */
  findOwned(clientId: string, id: string): Promise<ContactRecord | null> {
    return this.contacts.findOwned(clientId, id);
  }

  findByPhone(clientId: string, phone: string): Promise<ContactRecord | null> {
    return this.contacts.findByPhone(clientId, phone);
  }

  /** Each of these numbers' contact (id and name), when the client has one. */
  async contactsByPhone(clientId: string, phones: string[]): Promise<Map<string, { contactId: string; name: string }>> {
    const found = await this.contacts.findByPhones(clientId, phones);
    return new Map(found.map((contact) => [contact.phone, { contactId: contact._id.toHexString(), name: contact.name }]));
  }

  /** A person wrote to one of the client's sessions: their contact is created or updated (profile name, last message times). */
  recordInbound(clientId: string, inbound: InboundContact): Promise<Pick<ContactRecord, '_id' | 'name'>> {
    return this.contacts.recordInbound(clientId, inbound);
  }

  /** Opts the number out (or back in) as of `at`; a change older than the recorded one is ignored. */
  setOptedOut(clientId: string, phone: string, optedOut: boolean, at: Date): Promise<boolean> {
    return this.contacts.setOptedOut(clientId, phone, optedOut, at);
  }

  /** Opt-out and customer-service-window state of these numbers (one query). */
  recipientStates(clientId: string, phones: string[]): Promise<RecipientState[]> {
    return this.contacts.recipientStates(clientId, phones);
  }

  async update(clientId: string, id: string, body: UpdateContactDto): Promise<ContactRecord> {
    const changes: Partial<ContactFields & OptOutFields> = {};
    // name and phone are required: null means "leave as is"; email and organization may be cleared.
    if (body.name != null) changes.name = body.name.trim();
    if (body.phone != null) changes.phone = body.phone;
    if (body.email !== undefined) changes.email = body.email;
    if (body.organization !== undefined) changes.organization = body.organization;
    if (body.opted_out != null) {
      const now = new Date();
      Object.assign(changes, { opted_out: body.opted_out, opted_out_at: body.opted_out ? now : null, opt_out_changed_at: now });
    }
    const updated = await this.conflictOnDuplicate(() => this.contacts.update(clientId, id, changes));
    if (!updated) throw new NotFoundException(`Contact ${id} not found`);
    return updated;
  }

  async delete(clientId: string, id: string): Promise<void> {
    if (!(await this.contacts.delete(clientId, id))) throw new NotFoundException(`Contact ${id} not found`);
  }

  private async conflictOnDuplicate<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof DuplicateContactPhoneError) throw new ConflictException(error.message);
      throw error;
    }
  }
}

/** The WhatsApp contact card of a stored contact. */
export function contactCardOf(contact: Pick<ContactRecord, 'name' | 'phone' | 'email' | 'organization'>): ContactCard {
  const [first, ...rest] = contact.name.split(/\s+/);
  return {
    name: { formatted_name: contact.name, first_name: first, ...(rest.length > 0 ? { last_name: rest.join(' ') } : {}) },
    phones: [{ phone: `+${contact.phone}`, wa_id: contact.phone, type: 'CELL' }],
    ...(contact.email ? { emails: [{ email: contact.email, type: 'WORK' }] } : {}),
  };
}
