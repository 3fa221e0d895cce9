import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MESSAGE_STATUSES, MessageStatus } from '../../message-status/message-status';
import { MESSAGE_SOURCES, MessageSource } from '../message-log.schema';

/** Swagger description of a message log entry as seed 000 returns it (Mongo's shape). */
export class MessageLogDto {
  @ApiProperty({ example: '61b1b55ca29cc051b494dd4f' }) _id!: string;
  @ApiProperty({ example: '61a7bd6ea34282366c025764' }) client_id!: string;
  @ApiProperty({ example: '649ff7e0e6046617c8aeabf1' }) session_id!: string;
  @ApiProperty({ enum: MESSAGE_SOURCES, example: 'broadcast' }) source!: MessageSource;
  @ApiProperty({ enum: ['outbound'], description: 'Seed 000 lists messages sent; received ones are in seed 003', example: 'outbound' }) direction!: string;
  @ApiProperty({ type: String, nullable: true, example: '64ac509d05a7cc2b8c2bd9ab' }) broadcast_id!: string | null;
  @ApiProperty({ description: 'Digits-only international number', example: '2348179803743' }) recipient!: string;
  @ApiProperty({ description: 'The contact as it was when the message was created', example: { contact_id: null, name: 'Ada', phone: '2348179803743' } })
  contact!: object;
  @ApiProperty({
    description: 'The message parts as requested',
    example: { text: 'Hello', attachments: ['61b1b55ca29cc051b494dd4f'], location: null, contactId: null, template: null },
  })
  message!: object;
  @ApiProperty({ type: String, nullable: true, example: null }) template_name!: string | null;
  @ApiProperty({ example: '583e40b0c04347c7' }) message_uid!: string;
  @ApiProperty({ enum: MESSAGE_STATUSES, example: 'delivered' }) status!: MessageStatus;
  @ApiProperty({
    description: 'When each status was reached (null until then)',
    example: {
      queuedAt: '2021-12-09T07:50:52.071Z',
      sendingAt: '2021-12-09T07:50:52.102Z',
      sentAt: '2021-12-09T07:50:52.530Z',
      deliveredAt: '2021-12-09T07:50:54.001Z',
      readAt: null,
      failedAt: null,
    },
  })
  status_times!: object;
  @ApiProperty({ type: [String], example: ['wamid.HBgLMjM0ODE3OTgwMzc0MxUCABEYEjQ'] }) provider_message_ids!: string[];
  @ApiPropertyOptional({ nullable: true, example: null, description: '{ code, message } of the provider when the message failed' })
  error!: object | null;
  @ApiProperty({ example: 0 }) cost_in_usd_cents!: number;
  @ApiProperty({ example: 1 }) attempts!: number;
  @ApiProperty({ example: '2021-12-09T07:50:52.071Z' }) createdAt!: string;
  @ApiProperty({ example: '2021-12-09T07:50:54.001Z' }) updatedAt!: string;
  @ApiProperty({ example: 0 }) __v!: number;
}
