import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsOptional, ValidateNested } from 'class-validator';
import { PhoneNumberField, SendAtField, TimeZoneField } from '@app/common';
import { SessionCredentialsDto } from '../../auth';
import { MessageContentDto, MessageTemplateDto } from '../../message-content/dto/message-content.dto';

/** POST /v1/messages: one message to one recipient, with the body of a broadcast's message and/or a template. */
export class SendMessageDto extends SessionCredentialsDto {
  @ApiProperty({ description: 'Recipient with country code (+, spaces and dashes allowed)', example: '2348179803743' })
  @PhoneNumberField()
  to!: string;

  @ApiPropertyOptional({ type: MessageContentDto, description: 'Text, attachments, location and/or contact card' })
  @IsOptional()
  @IsObject({ message: 'message must be an object' })
  @ValidateNested()
  @Type(() => MessageContentDto)
  message?: MessageContentDto;

  @ApiPropertyOptional({ type: MessageTemplateDto })
  @IsOptional()
  @IsObject({ message: 'template must be an object' })
  @ValidateNested()
  @Type(() => MessageTemplateDto)
  template?: MessageTemplateDto;

  @SendAtField()
  send_at?: string;

  @TimeZoneField()
  timezone?: string;
}
