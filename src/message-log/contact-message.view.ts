import type { AttachmentRecord } from '../attachment';
import type { SessionRecord } from '../auth';
import type { ContactRecord } from '../contact/contact.schema';
import {
  ContactMessageAttachmentDto,
  ContactMessageContactDto,
  ContactMessageDto,
  ContactMessageUserDto,
} from './dto/contact-message.dto';
import type { MessageLogRecord } from './message-log.schema';

/** Seed 003 shows width, height and size as -1 when they are not known. */
const UNKNOWN_DIMENSION = -1;

/** What a page of seed 003 messages is rendered with, looked up once per page. */
export interface ContactMessageContext {
  /** The saved contact the messages went to, or null when the number is not a contact. */
  contact: ContactRecord | null;
  attachments: ReadonlyMap<string, AttachmentRecord>;
  sessions: ReadonlyMap<string, SessionRecord>;
}

export const attachmentDownloadUrl = (id: string): string => `/attachment/${id}/download`;

/** One message log in seed 003's message shape; fields without a counterpart here are null. */
export function toContactMessage(log: MessageLogRecord, context: ContactMessageContext): ContactMessageDto {
  const id = log._id.toHexString();
  const workspaceId = log.client_id.toHexString();
  const session = context.sessions.get(log.session_id.toHexString());
  return {
    id,
    createdAt: log.createdAt.toISOString(),
    updatedAt: log.updatedAt.toISOString(),
    conversationId: null,
    contactInboxId: null,
    workspaceId,
    text: log.message.text,
    contentAttributes: contentAttributesOf(log),
    sourceId: log.provider_message_ids[0] ?? null,
    attachments: log.message.attachments.map((attachmentId) =>
      toAttachment(attachmentId.toHexString(), context.attachments.get(attachmentId.toHexString()) ?? null, id, workspaceId),
    ),
    // Who wrote it: the contact for an inbound message; for an outbound one, the session (`user`).
    senderId: log.direction === 'inbound' ? (log.contact.contact_id?.toHexString() ?? null) : null,
    clientId: workspaceId,
    user: session ? toUser(session) : null,
    contact: context.contact ? fromContact(context.contact) : fromSnapshot(log),
    status: log.status,
    messageUid: log.message_uid,
    source: log.source,
    direction: log.direction ?? 'outbound',
    broadcastId: log.broadcast_id?.toHexString() ?? null,
  };
}

/** The parts other than text and attachments, as JSON text; null when the message has none. */
function contentAttributesOf(log: MessageLogRecord): string | null {
  const { location, contactId, template } = log.message;
  const parts = {
    ...(location && { location: { lat: location.lat, lng: location.lng, name: location.name, address: location.address } }),
    ...(contactId && { contactCard: { contactId: contactId.toHexString() } }),
    ...(template && { template }),
    ...(log.inbound && { inbound: log.inbound }),
  };
  return Object.keys(parts).length > 0 ? JSON.stringify(parts) : null;
}

/** An attachment of the message; if its record was deleted since, what is left is its id and route. */
function toAttachment(id: string, record: AttachmentRecord | null, messageId: string, workspaceId: string): ContactMessageAttachmentDto {
  return {
    id,
    createdAt: record?.createdAt.toISOString() ?? null,
    updatedAt: record?.updatedAt.toISOString() ?? null,
    sourceId: null,
    mimeType: record?.mimetype ?? null,
    width: UNKNOWN_DIMENSION,
    height: UNKNOWN_DIMENSION,
    size: record?.size ?? UNKNOWN_DIMENSION,
    thumbnailPath: null,
    originPath: record?.path ?? null,
    name: record?.name ?? null,
    workspaceId,
    conversationId: null,
    messageId,
    url: attachmentDownloadUrl(id),
  };
}

/** The sending session stands in for seed 003's user: it is who sent the message. */
function toUser(session: SessionRecord): ContactMessageUserDto {
  return {
    id: session._id.toHexString(),
    createdAt: session.createdAt.toISOString(),
    updatedAt: session.updatedAt.toISOString(),
    name: session.name,
    email: null,
    emailVerified: null,
    image: null,
    isAnonymous: null,
  };
}

const NO_CONTACT_DETAILS = {
  avatar: null,
  emailVerified: null,
  emailOptIn: null,
  firstName: null,
  lastName: null,
  lastReadAt: null,
  ref: null,
  country: null,
  state: null,
  city: null,
  location: null,
  locale: null,
  timezone: null,
  subscribedAt: null,
  broadcastSubscribedAt: null,
  blockedAt: null,
} as const;

function fromContact(contact: ContactRecord): ContactMessageContactDto {
  return {
    ...NO_CONTACT_DETAILS,
    id: contact._id.toHexString(),
    createdAt: contact.createdAt.toISOString(),
    updatedAt: contact.updatedAt.toISOString(),
    phoneNumber: `+${contact.phone}`,
    email: contact.email,
    fullName: contact.name,
    workspaceId: contact.client_id.toHexString(),
  };
}

/** A number that is not (or no longer) a saved contact: what the message recorded about it. */
function fromSnapshot(log: MessageLogRecord): ContactMessageContactDto {
  return {
    ...NO_CONTACT_DETAILS,
    id: log.contact.contact_id?.toHexString() ?? null,
    createdAt: null,
    updatedAt: null,
    phoneNumber: `+${log.recipient}`,
    email: null,
    fullName: log.contact.name,
    workspaceId: log.client_id.toHexString(),
  };
}
