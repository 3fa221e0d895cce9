import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InputValidationException, PageResult } from '@app/common';
import type { ContactCard } from '@app/whatsapp';
import type { Types } from 'mongoose';
import { AudienceChanges, ContactFields, ContactTransferView, ContactRepository, DuplicateContactPhoneError, InboundContact, OptOutFields, RecipientState } from './contact.repository';
import { ContactRecord } from './contact.schema';
import { attributeValueOfCell, AttributeValue, checkAttributes, checkTags, MAX_ATTRIBUTES, MAX_TAGS, normaliseTag } from './contact-audience-fields';
import { ConsentEvent } from './contact-consent';
import type { ContactFilter } from './contact-filter';
import { CreateContactDto } from './dto/create-contact.dto';
import { ListContactsQueryDto } from './dto/list-contacts-query.dto';
import { UpdateContactDto } from './dto/update-contact.dto';

/** The values an attribute given in a query string as text may equal: the text, and the number or boolean written so. */
function queryValuesOf(text: string): AttributeValue[] {
  const typed = attributeValueOfCell(text);
  return typed.ok && typed.value !== text ? [text, typed.value] : [text];
}

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

  /** A page of the client's contacts, only those with every tag and attribute value the query names. */
  list(clientId: string, query: ListContactsQueryDto): Promise<PageResult<ContactRecord>> {
    const problems: string[] = [];
    const tags = (query.tag ?? []).map((raw) => normaliseTag(raw) ?? (problems.push(`tag "${raw.slice(0, 40)}" is not a tag`), ''));
    if (problems.length > 0) throw new InputValidationException(problems);
    const filter: ContactFilter = {
      ...(tags.length > 0 ? { tags: { all: tags } } : {}),
      attributes: (query.attribute ?? []).map((pair) => {
        const colon = pair.indexOf(':');
        return { name: pair.slice(0, colon), op: 'in' as const, values: queryValuesOf(pair.slice(colon + 1)) };
      }),
    };
    return this.contacts.list(clientId, query, filter);
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
  setMarketingStopped(clientId: string, phone: string, at: Date): Promise<void> {
    return this.contacts.setMarketingStopped(clientId, phone, at);
  }

  recipientStates(clientId: string, phones: string[]): Promise<RecipientState[]> {
    return this.contacts.recipientStates(clientId, phones);
  }

  /**
   * Updates any of the contact's fields, its opt-out, attributes (merged; null unsets), tags
   * (replaced) and opt-in; every consent change is appended to its history. Everything is
   * checked before anything is written.
   */
  async update(clientId: string, id: string, body: UpdateContactDto): Promise<ContactRecord> {
    const audience = await this.audienceChangesOf(clientId, id, body);
    const changes: Partial<ContactFields & OptOutFields> = {};
    // name and phone are required: null means "leave as is"; email and organization may be cleared.
    if (body.name != null) changes.name = body.name.trim();
    if (body.phone != null) changes.phone = body.phone;
    if (body.email !== undefined) changes.email = body.email;
    if (body.organization !== undefined) changes.organization = body.organization;
    if (body.opted_out != null) {
      const now = new Date();
      Object.assign(changes, { opted_out: body.opted_out, opted_out_at: body.opted_out ? now : null, opt_out_changed_at: now });
      audience.consentEvents = [...(audience.consentEvents ?? []), { action: body.opted_out ? 'opt_out' : 'opt_in', at: now, source: 'api', text: null }];
    }
    const updated =
      Object.keys(changes).length > 0
        ? await this.conflictOnDuplicate(() => this.contacts.update(clientId, id, changes))
        : await this.contacts.findOwned(clientId, id);
    if (!updated) throw new NotFoundException(`Contact ${id} not found`);
    return (await this.contacts.updateAudience(clientId, id, audience)) ?? updated;
  }

  /** Adds tags to the contact (409 past MAX_TAGS). */
  async addTags(clientId: string, id: string, raw: string[]): Promise<ContactRecord> {
    const problems: string[] = [];
    const tags = checkTags(raw, 'tags', problems) ?? [];
    if (problems.length > 0) throw new InputValidationException(problems);
    const existing = await this.get(clientId, id);
    const union = new Set([...(existing.tags ?? []), ...tags]);
    if (union.size > MAX_TAGS) throw new InputValidationException([`the contact would carry ${union.size} tags; at most ${MAX_TAGS} are allowed`]);
    const updated = await this.contacts.addTags(clientId, id, tags);
    if (!updated) throw new NotFoundException(`Contact ${id} not found`);
    return updated;
  }

  /** Removes a tag from the contact (a tag it does not carry: no change). */
  async removeTag(clientId: string, id: string, raw: string): Promise<ContactRecord> {
    const tag = normaliseTag(raw);
    if (!tag) throw new InputValidationException([`"${raw.slice(0, 40)}" is not a tag`]);
    const updated = await this.contacts.removeTag(clientId, id, tag);
    if (!updated) throw new NotFoundException(`Contact ${id} not found`);
    return updated;
  }

  /** A page of the contacts a filter selects, in _id order after `after` (segments' cursor pages). */
  pageByFilter(clientId: string, filter: ContactFilter, after: Types.ObjectId | null, limit: number): Promise<ContactRecord[]> {
    return this.contacts.pageByFilter(clientId, filter, after, limit);
  }

  countByFilter(clientId: string, filter: ContactFilter): Promise<number> {
    return this.contacts.countByFilter(clientId, filter);
  }

  /** The contacts a filter selects, streamed (an audience being resolved). */
  streamByFilter(clientId: string, filter: ContactFilter): AsyncGenerator<ContactTransferView> {
    return this.contacts.streamByFilter(clientId, filter);
  }

  /** Which of these numbers have a contact with a current opt-in (require_opt_in). */
  withCurrentOptIn(clientId: string, phones: string[]): Promise<Set<string>> {
    return this.contacts.withCurrentOptIn(clientId, phones);
  }

  private async audienceChangesOf(clientId: string, id: string, body: UpdateContactDto): Promise<AudienceChanges> {
    const changes: AudienceChanges = {};
    if (body.attributes !== undefined) {
      const problems: string[] = [];
      const checked = checkAttributes(body.attributes, 'attributes', problems, true);
      if (!checked || problems.length > 0) throw new InputValidationException(problems);
      const existing = await this.get(clientId, id);
      const names = new Set(Object.keys(existing.attributes ?? {}));
      for (const name of Object.keys(checked.set)) names.add(name);
      for (const name of checked.unset) names.delete(name);
      if (names.size > MAX_ATTRIBUTES) throw new InputValidationException([`the contact would hold ${names.size} attributes; at most ${MAX_ATTRIBUTES} are allowed`]);
      changes.setAttributes = checked.set;
      changes.unsetAttributes = checked.unset;
    }
    if (body.tags !== undefined) changes.tags = checkTags(body.tags, 'tags', []) ?? [];
    if (body.opt_in === null) {
      changes.optIn = null;
      changes.consentEvents = [{ action: 'opt_in_cleared', at: new Date(), source: 'api', text: null }];
    } else if (body.opt_in !== undefined) {
      const at = body.opt_in.at ? new Date(body.opt_in.at) : new Date();
      if (at.getTime() > Date.now() + 60_000) throw new InputValidationException(['opt_in.at must not be in the future']);
      const event: ConsentEvent = { action: 'opt_in', at, source: body.opt_in.source, text: body.opt_in.text ?? null };
      changes.optIn = { at, source: event.source, text: event.text };
      changes.consentEvents = [event];
    }
    return changes;
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
