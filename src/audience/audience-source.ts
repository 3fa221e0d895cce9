import { Injectable } from '@nestjs/common';
import type { AudienceMember, BroadcastAudienceSource, BroadcastAudienceSpec } from '../broadcast/broadcast-audience';
import { attributeCellOf, checkTags } from '../contact/contact-audience-fields';
import { hasCurrentOptIn } from '../contact/contact-consent';
import type { ContactFilter } from '../contact/contact-filter';
import type { ContactTransferView } from '../contact/contact.repository';
import { ContactService } from '../contact/contact.service';
import { SegmentService } from './segment.service';

/** Prefix of the variables a contact fills: `{{contact.first_name}}`. */
const CONTACT_VARIABLE_PREFIX = 'contact.';

/**
 * A contact's {{contact.*}} variables: `name`, `first_name` (the name's first word), `phone`, `email`
 * and `organization`, then every attribute (an attribute of the same name wins), as text.
 */
export function contactVariablesOf(contact: ContactTransferView): Record<string, string> {
  const fields: Record<string, string> = {
    name: contact.name,
    first_name: contact.name.split(/\s+/)[0] ?? '',
    phone: contact.phone,
    ...(contact.email ? { email: contact.email } : {}),
    ...(contact.organization ? { organization: contact.organization } : {}),
  };
  for (const [name, value] of Object.entries(contact.attributes ?? {})) fields[name] = attributeCellOf(value);
  return Object.fromEntries(Object.entries(fields).map(([name, value]) => [`${CONTACT_VARIABLE_PREFIX}${name}`, value]));
}

/** The broadcast feature's audience port: segments and tags resolved into contacts. */
@Injectable()
export class AudienceSource implements BroadcastAudienceSource {
  constructor(
    private readonly segments: SegmentService,
    private readonly contacts: ContactService,
  ) {}

  async check(clientId: string, audience: BroadcastAudienceSpec, problems: string[]): Promise<void> {
    if (audience.segment_id !== undefined) {
      const found = await this.segments.get(clientId, audience.segment_id).catch(() => null);
      if (!found) problems.push(`audience.segment_id: segment ${audience.segment_id} not found`);
    }
    if (audience.tags !== undefined) checkTags(audience.tags, 'audience.tags', problems);
  }

  async *members(clientId: string, audience: BroadcastAudienceSpec): AsyncGenerator<AudienceMember> {
    const filter = await this.filterOf(clientId, audience);
    if (!filter) return;
    for await (const contact of this.contacts.streamByFilter(clientId, filter)) {
      yield { phone: contact.phone, variables: contactVariablesOf(contact), optedIn: hasCurrentOptIn(contact) };
    }
  }

  withCurrentOptIn(clientId: string, phones: string[]): Promise<Set<string>> {
    return this.contacts.withCurrentOptIn(clientId, phones);
  }

  /** The contacts of the audience; null when its segment has been deleted since (nobody). */
  private async filterOf(clientId: string, audience: BroadcastAudienceSpec): Promise<ContactFilter | null> {
    if (audience.segment_id !== undefined) {
      const segment = await this.segments.get(clientId, audience.segment_id).catch(() => null);
      return segment ? this.segments.contactFilterOf(clientId, segment) : null;
    }
    const tags = checkTags(audience.tags ?? [], 'audience.tags', []) ?? [];
    return { tags: audience.match === 'all' ? { all: tags } : { any: tags } };
  }
}
