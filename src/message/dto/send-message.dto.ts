import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, Matches, ValidateNested } from 'class-validator';
import { PhoneNumberField, SendAtField, TimeZoneField } from '@app/common';
import { SessionCredentialsDto } from '../../auth';
import { BroadcastMessageDto } from '../../broadcast/dto/create-broadcast.dto';

/** WhatsApp's limit on a template's components (header, body, footer, buttons...). */
const MAX_TEMPLATE_COMPONENTS = 10;

/** An approved WhatsApp message template, sent as the Cloud API's `template` message. */
export class MessageTemplateDto {
  @ApiProperty({ description: 'Template name as approved by Meta', example: 'order_update' })
  @Matches(/^[a-z0-9_]{1,512}$/, { message: 'template.name must be 1-512 lower-case letters, digits or underscores' })
  name!: string;

  @ApiProperty({ description: 'Language (and locale) code of the approved translation', example: 'en_US' })
  @Matches(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, { message: 'template.language must be a language code such as en or en_US' })
  language!: string;

  @ApiPropertyOptional({
    description: "The template's parameters, in the Cloud API's `components` shape",
    type: 'array',
    items: { type: 'object' },
    example: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'text', text: '#1042' }] }],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TEMPLATE_COMPONENTS)
  @IsObject({ each: true, message: 'template.components must hold objects' })
  components?: Array<Record<string, unknown>>;
}

/** POST /v1/messages: one message to one recipient, with the body of a broadcast's message and/or a template. */
export class SendMessageDto extends SessionCredentialsDto {
  @ApiProperty({ description: 'Recipient with country code (+, spaces and dashes allowed)', example: '2348179803743' })
  @PhoneNumberField()
  to!: string;

  @ApiPropertyOptional({ type: BroadcastMessageDto, description: 'Text, attachments, location and/or contact card' })
  @IsOptional()
  @IsObject({ message: 'message must be an object' })
  @ValidateNested()
  @Type(() => BroadcastMessageDto)
  message?: BroadcastMessageDto;

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
