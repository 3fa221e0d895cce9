import { ApiProperty } from '@nestjs/swagger';
import { MESSAGE_STATUSES, MessageStatus } from '../../message-status/message-status';
import { MESSAGE_DIRECTIONS, MESSAGE_SOURCES, MessageDirection, MessageSource } from '../message-log.schema';

/**
 * Seed 003's shapes. Fields of the seed that have no counterpart in this service
 * (conversations, inboxes, thumbnails, e-mail verification, ...) are always null.
 */
export class ContactMessageAttachmentDto {
  @ApiProperty({ example: '61b1b55ca29cc051b494dd4f' }) id!: string;
  @ApiProperty({ type: String, nullable: true, example: '2021-12-09T07:50:52.071Z' }) createdAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2021-12-09T07:50:52.071Z' }) updatedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) sourceId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'null if the attachment was deleted since', example: 'image/jpeg' })
  mimeType!: string | null;
  @ApiProperty({ description: 'Pixels; -1 when unknown', example: -1 }) width!: number;
  @ApiProperty({ description: 'Pixels; -1 when unknown', example: -1 }) height!: number;
  @ApiProperty({ description: 'Bytes; -1 when unknown', example: 48213 }) size!: number;
  @ApiProperty({ type: String, nullable: true, example: null }) thumbnailPath!: string | null;
  @ApiProperty({ type: String, nullable: true, example: './public/attachments/IIETQZEPT3EPLWC.jpeg' }) originPath!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'IIETQZEPT3EPLWC' }) name!: string | null;
  @ApiProperty({ description: 'The client (tenant) id', example: '61a7bd6ea34282366c025764' }) workspaceId!: string;
  @ApiProperty({ type: String, nullable: true, example: null }) conversationId!: string | null;
  @ApiProperty({ example: '64ac509d05a7cc2b8c2bd9ab' }) messageId!: string;
  @ApiProperty({ description: 'Download route of the attachment', example: '/attachment/61b1b55ca29cc051b494dd4f/download' }) url!: string;
}

/** The sender: this service's counterpart of a user is the sending session ("bot"). */
export class ContactMessageUserDto {
  @ApiProperty({ example: '649ff7e0e6046617c8aeabf1' }) id!: string;
  @ApiProperty({ example: '2023-11-07T05:31:56.000Z' }) createdAt!: string;
  @ApiProperty({ example: '2023-11-07T05:31:56.000Z' }) updatedAt!: string;
  @ApiProperty({ description: 'The session name', example: 'Support line' }) name!: string;
  @ApiProperty({ type: String, nullable: true, example: null }) email!: string | null;
  @ApiProperty({ type: Boolean, nullable: true, example: null }) emailVerified!: boolean | null;
  @ApiProperty({ type: String, nullable: true, example: null }) image!: string | null;
  @ApiProperty({ type: Boolean, nullable: true, example: null }) isAnonymous!: boolean | null;
}

export class ContactMessageContactDto {
  @ApiProperty({ type: String, nullable: true, description: 'null when the number is not a saved contact', example: '64ac509d05a7cc2b8c2bd9ab' })
  id!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2023-11-07T05:31:56.000Z' }) createdAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2023-11-07T05:31:56.000Z' }) updatedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) avatar!: string | null;
  @ApiProperty({ example: '+2348179803743' }) phoneNumber!: string;
  @ApiProperty({ type: String, nullable: true, example: 'ada@example.com' }) email!: string | null;
  @ApiProperty({ type: Boolean, nullable: true, example: null }) emailVerified!: boolean | null;
  @ApiProperty({ type: Boolean, nullable: true, example: null }) emailOptIn!: boolean | null;
  @ApiProperty({ type: String, nullable: true, example: null }) firstName!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) lastName!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Ada Obi' }) fullName!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) lastReadAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) ref!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) country!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) state!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) city!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) location!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) locale!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) timezone!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) subscribedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) broadcastSubscribedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) blockedAt!: string | null;
  @ApiProperty({ example: '61a7bd6ea34282366c025764' }) workspaceId!: string;
}

export class ContactMessageDto {
  @ApiProperty({ example: '64ac509d05a7cc2b8c2bd9ab' }) id!: string;
  @ApiProperty({ example: '2023-11-07T05:31:56.000Z' }) createdAt!: string;
  @ApiProperty({ example: '2023-11-07T05:31:58.000Z' }) updatedAt!: string;
  @ApiProperty({ type: String, nullable: true, example: null }) conversationId!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) contactInboxId!: string | null;
  @ApiProperty({ description: 'The client (tenant) id', example: '61a7bd6ea34282366c025764' }) workspaceId!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Hello Ada' }) text!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'JSON text of the parts other than text and attachments (location, contact card, template); null when none',
    example: '{"location":{"lat":6.45,"lng":3.39,"name":null,"address":null}}',
  })
  contentAttributes!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "The provider's message id", example: 'wamid.HBgLMjM0ODE3OTgwMzc0MxUCABEYEjQ' })
  sourceId!: string | null;
  @ApiProperty({ type: [ContactMessageAttachmentDto] }) attachments!: ContactMessageAttachmentDto[];
  @ApiProperty({ type: String, nullable: true, description: 'The contact who wrote an inbound message; null for outbound ones (the session, `user`, sent them)', example: null })
  senderId!: string | null;
  @ApiProperty({ description: 'The client (tenant) id', example: '61a7bd6ea34282366c025764' }) clientId!: string;
  @ApiProperty({ type: ContactMessageUserDto, nullable: true, description: 'The session that sent the message, or (inbound) received it' })
  user!: ContactMessageUserDto | null;
  @ApiProperty({ type: ContactMessageContactDto }) contact!: ContactMessageContactDto;
  // Extensions of this service: what the ledger knows and the seed has no field for.
  @ApiProperty({ enum: MESSAGE_STATUSES, description: 'Extension: delivery status', example: 'delivered' }) status!: MessageStatus;
  @ApiProperty({ description: 'Extension: the message_uid (seed 004)', example: '583e40b0c04347c7' }) messageUid!: string;
  @ApiProperty({ enum: MESSAGE_SOURCES, description: 'Extension: broadcast, api, or inbound (the contact wrote it)', example: 'broadcast' }) source!: MessageSource;
  @ApiProperty({ enum: MESSAGE_DIRECTIONS, description: 'Extension: outbound (sent by the session) or inbound (received from the contact)', example: 'outbound' })
  direction!: MessageDirection;
  @ApiProperty({ type: String, nullable: true, description: 'Extension: the broadcast it belongs to', example: null })
  broadcastId!: string | null;
}

export class ContactMessagesPageDto {
  @ApiProperty({ type: [ContactMessageDto] }) data!: ContactMessageDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Older messages; null on the last page' }) nextCursor!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Newer messages; null on the first page' }) prevCursor!: string | null;
}

export class ContactMessagesErrorDto {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({ example: 'perPage must be 100 or less' }) message!: string;
}
