import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

/** A message of POST /v1/messages: its `message_uid` (16 hex digits, as the 202 answered) or its message-log `_id` (24). */
export class MessageIdParamDto {
  @ApiProperty({ description: 'The message_uid POST /v1/messages answered, or the message log _id', example: '3f9a1c2b7d4e8f60' })
  @Matches(/^(?:[0-9a-f]{16}|[0-9a-f]{24})$/i, { message: 'id must be a message_uid (16 hexadecimal digits) or a message log id (24)' })
  id!: string;
}
