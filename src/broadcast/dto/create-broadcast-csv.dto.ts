import { ApiHideProperty, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ClassConstructor, plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsDefined, IsEmpty, IsIn, IsObject, IsOptional, ValidateNested } from 'class-validator';
import { SendAtField, TimeZoneField } from '@app/common';
import { MessageContentDto, MessageTemplateDto } from '../../message-content/dto/message-content.dto';
import { SEND_TYPES, SendType } from '../broadcast.schema';

const CREDENTIALS_IN_MULTIPART =
  'is not read from a multipart body: send session_id and access_token as X-Session-Id/X-Access-Token headers or in the query string';

/** A form field holding a JSON object: parsed into `type` (so that its own rules apply), or left as text for the validator to name. */
const jsonField =
  <T>(type: ClassConstructor<T>) =>
  ({ value }: { value: unknown }): unknown => {
    if (typeof value !== 'string') return value;
    try {
      const parsed = JSON.parse(value) as unknown;
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? plainToInstance(type, parsed) : parsed;
    } catch {
      return value;
    }
  };

/** A form field holding `true` or `false`. */
const booleanField = ({ value }: { value: unknown }): unknown => (value === 'true' ? true : value === 'false' ? false : value);

/**
 * The text fields of POST /broadcast/csv's multipart form: what POST /broadcast takes
 * besides `to`, with `message` (and `template`) as JSON text. The recipients are the file.
 */
export class CreateBroadcastCsvDto {
  @ApiPropertyOptional({ enum: SEND_TYPES, default: 'individual' })
  @IsOptional()
  @IsIn(SEND_TYPES, { message: `send_type must be one of: ${SEND_TYPES.join(', ')}` })
  send_type: SendType = 'individual';

  @ApiProperty({ description: 'The message as JSON text, as in POST /broadcast', type: String, example: '{"text":"Hello {{name|friend}}, your order {{order}} is ready"}' })
  @Transform(jsonField(MessageContentDto))
  @IsDefined({ message: 'message is required (JSON text in a form field)' })
  @IsObject({ message: 'message must be a JSON object, e.g. {"text":"Hello {{name}}"}' })
  @ValidateNested()
  message!: MessageContentDto;

  @ApiPropertyOptional({ description: 'An approved template as JSON text, as in POST /broadcast', type: String })
  @Transform(jsonField(MessageTemplateDto))
  @IsOptional()
  @IsObject({ message: 'template must be a JSON object' })
  @ValidateNested()
  template?: MessageTemplateDto;

  @ApiPropertyOptional({ description: 'true: rows with invalid numbers go to `failed` (with their line) instead of refusing the list', type: String, enum: ['true', 'false'] })
  @Transform(booleanField)
  @IsOptional()
  @IsBoolean({ message: 'skip_invalid must be true or false' })
  skip_invalid?: boolean;

  @SendAtField()
  send_at?: string;

  @TimeZoneField()
  timezone?: string;

  @ApiHideProperty()
  @IsEmpty({ message: `session_id ${CREDENTIALS_IN_MULTIPART}` })
  session_id?: unknown;

  @ApiHideProperty()
  @IsEmpty({ message: `access_token ${CREDENTIALS_IN_MULTIPART}` })
  access_token?: unknown;
}
