import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsMongoId,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateBy,
  ValidateNested,
} from 'class-validator';

/** WhatsApp's longest text message. */
export const MAX_TEXT_LENGTH = 4096;
/** Attachments per message (each is sent as its own media message). */
export const MAX_ATTACHMENTS = 10;
const MAX_LOCATION_TEXT_LENGTH = 1000;
/** WhatsApp's limit on a template's components (header, body, footer, buttons...). */
const MAX_TEMPLATE_COMPONENTS = 10;

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

export class MessageLocationDto {
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

/** Seed 001's `message`, for broadcasts and single messages alike: at least one of its parts. */
export class MessageContentDto {
  @ApiPropertyOptional({
    maxLength: MAX_TEXT_LENGTH,
    description: 'Rides as the caption of the first image, video or document when it fits (1,024 characters); else sent as its own message',
    example: 'New Test Broadcasts text',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT_LENGTH, { message: `text must be at most ${MAX_TEXT_LENGTH} characters` })
  text?: string | null;

  @ApiPropertyOptional({
    description: "Ids of this client's attachments (POST /attachment answers them); each is sent as the matching media message",
    type: [String],
    example: [],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ATTACHMENTS)
  @ArrayUnique({ message: 'attachments must not repeat an id' })
  @IsMongoId({ each: true, message: 'attachments must hold 24-character hexadecimal ids' })
  attachments?: string[] | null;

  @ApiPropertyOptional({ type: MessageLocationDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => MessageLocationDto)
  location?: MessageLocationDto | null;

  @ApiPropertyOptional({ description: "Id of one of this client's contacts (POST /contacts answers it), sent as a contact card", type: String, nullable: true, example: null })
  @IsOptional()
  @IsMongoId({ message: 'contactId must be a 24-character hexadecimal id' })
  contactId?: string | null;
}

/** An approved WhatsApp message template, sent as the Cloud API's `template` message (POST /v1/messages only). */
export class MessageTemplateDto {
  @ApiProperty({ description: 'Template name as approved by Meta', example: 'order_update' })
  @Matches(/^[a-z0-9_]{1,512}$/, { message: 'template.name must be 1-512 lower-case letters, digits or underscores' })
  name!: string;

  @ApiProperty({ description: 'Language (and locale) code of the approved translation', example: 'en_US' })
  @Matches(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, { message: 'template.language must be a language code such as en or en_US' })
  language!: string;

  @ApiPropertyOptional({
    description:
      "The template's parameters, in the Cloud API's `components` shape. An IMAGE, VIDEO or DOCUMENT header's media may be one of " +
      'your attachments (`{ "type": "image", "image": { "attachment_id": "<attachment _id>" } }`), uploaded to WhatsApp when sent, ' +
      'as well as a Meta media `id` or a `link`.',
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
