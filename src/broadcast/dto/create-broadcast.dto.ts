import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsIn, IsObject, IsOptional, ValidateBy, ValidateNested } from 'class-validator';
import { SendAtField, TimeZoneField } from '@app/common';
import { SessionCredentialsDto } from '../../auth';
import { MessageContentDto, MessageTemplateDto } from '../../message-content/dto/message-content.dto';
import { SEND_TYPES, SendType } from '../broadcast.schema';

/** One entry of `to` given as an object: the number and its {{variables}}. */
export interface RecipientInput {
  number: string;
  variables?: Record<string, unknown>;
}

export type RecipientListInput = string | Array<string | RecipientInput>;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export class CreateBroadcastDto extends SessionCredentialsDto {
  @ApiProperty({ enum: SEND_TYPES, example: 'individual' })
  @IsIn(SEND_TYPES, { message: `send_type must be one of: ${SEND_TYPES.join(', ')}` })
  send_type!: SendType;

  @ApiProperty({
    description:
      'Recipients: comma-separated string or array of numbers with country code (+, spaces and dashes allowed); normalised to digits and ' +
      'deduplicated (the first entry of a number wins). Array entries may also be objects `{ "number": "...", "variables": { "name": "Ada" } }` ' +
      'whose variables fill the `{{name}}` / `{{name|default}}` placeholders of `message.text` and the template parameters.',
    oneOf: [
      { type: 'string' },
      {
        type: 'array',
        items: {
          oneOf: [
            { type: 'string' },
            {
              type: 'object',
              required: ['number'],
              properties: { number: { type: 'string' }, variables: { type: 'object', additionalProperties: { type: 'string' } } },
            },
          ],
        },
      },
    ],
    example: '2348179803743,2349048988056',
  })
  @ValidateBy({
    name: 'isRecipientList',
    validator: {
      validate: (value: unknown) =>
        (typeof value === 'string' && value.trim() !== '') ||
        (Array.isArray(value) && value.length > 0 && value.every((entry) => typeof entry === 'string' || isPlainObject(entry))),
      defaultMessage: () =>
        'to must be a comma-separated string of phone numbers or a non-empty array of numbers or { number, variables } objects',
    },
  })
  to!: RecipientListInput;

  @ApiProperty({ type: MessageContentDto })
  @IsDefined({ message: 'message is required' })
  @IsObject({ message: 'message must be an object' })
  @ValidateNested()
  @Type(() => MessageContentDto)
  message!: MessageContentDto;

  @ApiPropertyOptional({
    description: 'Put invalid numbers straight into `failed` (with the reason) instead of refusing the broadcast',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  skip_invalid?: boolean;

  @ApiPropertyOptional({ type: () => MessageTemplateDto, description: 'An approved WhatsApp template, sent before the other parts; its parameters may hold {{variables}}' })
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
