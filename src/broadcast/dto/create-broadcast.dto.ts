import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsDefined, IsIn, IsMongoId, IsObject, IsOptional, IsString, ValidateBy, ValidateIf, ValidateNested } from 'class-validator';
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

/** `audience`: a saved segment, or contacts with tags (see docs/audiences.md). */
export class BroadcastAudienceDto {
  @ApiPropertyOptional({ description: 'A saved segment (POST /segments)', example: '6750a1c2e6046617c8aeab20' })
  @IsOptional()
  @IsMongoId({ message: 'audience.segment_id must be a 24-character hexadecimal id' })
  segment_id?: string;

  @ApiPropertyOptional({ type: [String], description: 'Contacts with these tags', example: ['vip', 'lagos'] })
  @IsOptional()
  @IsArray({ message: 'audience.tags must be an array of tags' })
  @ArrayMinSize(1, { message: 'audience.tags must hold at least one tag' })
  @ArrayMaxSize(50, { message: 'audience.tags may hold at most 50 tags' })
  @IsString({ each: true, message: 'audience.tags must hold strings' })
  tags?: string[];

  @ApiPropertyOptional({ enum: ['all', 'any'], default: 'any', description: 'With tags: contacts with all of them, or with any' })
  @IsOptional()
  @IsIn(['all', 'any'], { message: 'audience.match must be all or any' })
  match?: 'all' | 'any';
}

export class CreateBroadcastDto extends SessionCredentialsDto {
  @ApiProperty({ enum: SEND_TYPES, example: 'individual' })
  @IsIn(SEND_TYPES, { message: `send_type must be one of: ${SEND_TYPES.join(', ')}` })
  send_type!: SendType;

  @ApiProperty({
    description:
      'Recipients: comma-separated string or array of numbers with country code (+, spaces and dashes allowed); normalised to digits and ' +
      'deduplicated (the first entry of a number wins). Array entries may also be objects `{ "number": "...", "variables": { "name": "Ada" } }` ' +
      'whose variables fill the `{{name}}` / `{{name|default}}` placeholders of `message.text` and the template parameters. ' +
      'Give either `to` or `audience`.',
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
  // `audience: null` is no audience, like an absent one.
  @ValidateIf((body: CreateBroadcastDto) => body.audience == null || body.to !== undefined)
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
  to?: RecipientListInput;

  @ApiPropertyOptional({
    type: () => BroadcastAudienceDto,
    description:
      'Send to contacts instead of `to`: `{ "segment_id": "..." }` or `{ "tags": ["vip"], "match": "all" | "any" }`. Resolved when the broadcast ' +
      'starts sending (at creation, or at send_at) into `pending` and `failed` as `to` is; `audience.contact_count` records how many contacts it held. ' +
      "The contacts' fields and attributes fill `{{contact.name}}`, `{{contact.first_name}}`, `{{contact.<attribute>}}` (with `|default` as usual).",
    example: { segment_id: '6750a1c2e6046617c8aeab20' },
  })
  @IsOptional()
  @IsObject({ message: 'audience must be an object { segment_id } or { tags, match }' })
  @ValidateNested()
  @Type(() => BroadcastAudienceDto)
  audience?: BroadcastAudienceDto;

  @ApiPropertyOptional({
    description:
      'Send only to contacts with a current opt-in; every other recipient fails at once with code no_opt_in and no provider call. ' +
      'Default: on for a marketing-category template once the template catalogue knows the category; off otherwise (a template of unknown category, or no template).',
    example: true,
  })
  @IsOptional()
  @IsBoolean({ message: 'require_opt_in must be true or false' })
  require_opt_in?: boolean;

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
