import { Injectable, NotFoundException } from '@nestjs/common';
import { Types } from 'mongoose';
import { InputValidationException, PageRequest, PageResult } from '@app/common';
import { BroadcastRepository } from '../broadcast/broadcast.repository';
import { ContactRecord } from '../contact/contact.schema';
import { ContactService } from '../contact/contact.service';
import type { ContactFilter } from '../contact/contact-filter';
import { checkSegmentFilter, CheckedSegmentFilter, SegmentFilter } from './segment-filter';
import { SegmentRecord } from './segment.schema';
import { SegmentRepository } from './segment.repository';

/** A page of a segment's contacts, and the cursor of the next page (null: this was the last). */
export interface SegmentContactsPage {
  contacts: ContactRecord[];
  next_cursor: string | null;
}

const cursorOf = (id: Types.ObjectId): string => Buffer.from(id.toHexString(), 'hex').toString('base64url');

function afterOf(cursor: string | undefined): Types.ObjectId | null {
  if (cursor === undefined) return null;
  const hex = Buffer.from(cursor, 'base64url').toString('hex');
  if (hex.length !== 24) throw new InputValidationException(['cursor must be the next_cursor of a previous page']);
  return new Types.ObjectId(hex);
}

/** Saved segments, and the contacts each selects at the moment it is read. */
@Injectable()
export class SegmentService {
  constructor(
    private readonly segments: SegmentRepository,
    private readonly contacts: ContactService,
    private readonly broadcasts: BroadcastRepository,
  ) {}

  async create(clientId: string, name: string, filter: unknown): Promise<SegmentRecord> {
    await this.checked(clientId, filter, 'filter');
    return this.segments.create(clientId, name.trim(), filter as SegmentFilter);
  }

  list(clientId: string, page: PageRequest): Promise<PageResult<SegmentRecord>> {
    return this.segments.list(clientId, page);
  }

  async get(clientId: string, id: string): Promise<SegmentRecord> {
    const segment = await this.segments.findOwned(clientId, id);
    if (!segment) throw new NotFoundException(`Segment ${id} not found`);
    return segment;
  }

  async update(clientId: string, id: string, changes: { name?: string; filter?: unknown }): Promise<SegmentRecord> {
    await this.get(clientId, id);
    if (changes.filter !== undefined) await this.checked(clientId, changes.filter, 'filter');
    const updated = await this.segments.update(clientId, id, {
      ...(changes.name !== undefined ? { name: changes.name.trim() } : {}),
      ...(changes.filter !== undefined ? { filter: changes.filter as SegmentFilter } : {}),
    });
    if (!updated) throw new NotFoundException(`Segment ${id} not found`);
    return updated;
  }

  async delete(clientId: string, id: string): Promise<void> {
    if (!(await this.segments.delete(clientId, id))) throw new NotFoundException(`Segment ${id} not found`);
  }

  async contactsPage(clientId: string, id: string, cursor: string | undefined, limit: number): Promise<SegmentContactsPage> {
    const after = afterOf(cursor);
    const filter = await this.contactFilterOf(clientId, await this.get(clientId, id));
    // One more than asked tells whether a next page exists.
    const found = await this.contacts.pageByFilter(clientId, filter, after, limit + 1);
    const contacts = found.slice(0, limit);
    return { contacts, next_cursor: found.length > limit ? cursorOf(contacts[contacts.length - 1]._id) : null };
  }

  async count(clientId: string, id: string): Promise<number> {
    return this.contacts.countByFilter(clientId, await this.contactFilterOf(clientId, await this.get(clientId, id)));
  }

  /** The contact filter of a stored segment, as of now (a received_broadcast reads that broadcast's `sent`). */
  async contactFilterOf(clientId: string, segment: SegmentRecord): Promise<ContactFilter> {
    const checked = await this.checked(clientId, segment.filter, 'filter', false);
    return checked.contacts;
  }

  /**
   * A filter checked (400 naming each problem) and translated; `received_broadcast` becomes the
   * numbers of that broadcast's `sent`. At creation the broadcast must be the client's; later a
   * deleted one has sent to nobody.
   */
  private async checked(clientId: string, filter: unknown, where: string, requireBroadcast = true): Promise<CheckedSegmentFilter> {
    const problems: string[] = [];
    const checked = checkSegmentFilter(filter, problems, where);
    if (!checked) throw new InputValidationException(problems);
    if (!checked.receivedBroadcast) return checked;
    const { broadcastId, received } = checked.receivedBroadcast;
    const sent = await this.broadcasts.findSentRecipients(clientId, broadcastId);
    if (!sent && requireBroadcast) throw new InputValidationException([`${where}.received_broadcast.broadcast_id: broadcast ${broadcastId} not found`]);
    const phones = sent ?? [];
    return { ...checked, contacts: { ...checked.contacts, phones: received ? { in: phones } : { not_in: phones } } };
  }
}
