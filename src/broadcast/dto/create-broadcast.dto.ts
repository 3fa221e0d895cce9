import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsMongoId,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { SendAtField, TimeZoneField } from '@app/common';
import { SessionCredentialsDto } from '../../auth';
import { MessageTemplateDto } from '../../message/dto/send-message.dto';
import { SEND_TYPES, SendType } from '../broadcast.schema';

/** WhatsApp's longest text message. */
export const MAX_TEXT_LENGTH = 4096;
/** Attachments per broadcast message (each is sent as its own media message). */
export const MAX_ATTACHMENTS = 10;
const MAX_LOCATION_TEXT_LENGTH = 1000;

/** Coordinates arrive as numbers or numeric strings (seed 001 sends "6.556452"). */
const numericStringToNumber = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() !== '' ? Number(value) : value;

/** A latitude or longitude: a number (or numeric string) from -limit to limit, one message when not. */
function Coordinate(limit: number): PropertyDecorator {
  return applyDecorators(
    Transform(numericStringToNumber),
    ValidateBy({
      name: 'isCoordinate',
      validator: {
        validate: (value: unknown) => typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= limit,
        defaultMessage: (args) => `${args?.property ?? 'coordinate'} must be a number between -${limit} and ${limit}`,
      },
    }),
  );
}

export class BroadcastLocationDto {
  @ApiProperty({ description: 'Latitude, -90 to 90, number or numeric string', oneOf: [{ type: 'number' }, { type: 'string' }], example: '6.556452' })
  @Coordinate(90)
  lat!: number;

  @ApiProperty({ description: 'Longitude, -180 to 180, number or numeric string', oneOf: [{ type: 'number' }, { type: 'string' }], example: '3.2774487' })
  @Coordinate(180)
  lng!: number;

  @ApiPropertyOptional({ example: 'optional' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_LOCATION_TEXT_LENGTH)
  name?: string | null;

  @ApiPropertyOptional({ example: '1 Marina Road, Lagos' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_LOCATION_TEXT_LENGTH)
  address?: string | null;
}

/** One entry of `to` given as an object: the number and its {{variables}}. */
export interface RecipientInput {
  number: string;
  variables?: Record<string, unknown>;
}

export type RecipientListInput = string | Array<string | RecipientInput>;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Seed 001's `message`: at least one of its parts. */
export class BroadcastMessageDto {
  @ApiPropertyOptional({ maxLength: MAX_TEXT_LENGTH, example: 'New Test Broadcasts text' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT_LENGTH, { message: `text must be at most ${MAX_TEXT_LENGTH} characters` })
  text?: string | null;

  @ApiPropertyOptional({
    description: "Ids of this client's attachments; each is sent as the matching media message",
    type: [String],
    example: ['64ac311eee05a1a2c27fbdb5', '64ac265749240c35b96cb78c'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ATTACHMENTS)
  @ArrayUnique({ message: 'attachments must not repeat an id' })
  @IsMongoId({ each: true, message: 'attachments must hold 24-character hexadecimal ids' })
  attachments?: string[] | null;

  @ApiPropertyOptional({ type: BroadcastLocationDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => BroadcastLocationDto)
  location?: BroadcastLocationDto | null;

  @ApiPropertyOptional({ description: "Id of one of this client's contacts, sent as a contact card", example: '64a00ec7c5e487d95dcb0d5e' })
  @IsOptional()
  @IsMongoId({ message: 'contactId must be a 24-character hexadecimal id' })
  contactId?: string | null;
}

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

  @ApiProperty({ type: BroadcastMessageDto })
  @IsDefined({ message: 'message is required' })
  @IsObject({ message: 'message must be an object' })
  @ValidateNested()
  @Type(() => BroadcastMessageDto)
  message!: BroadcastMessageDto;

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
