import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { HEADER_FORMATS, TEMPLATE_CATEGORIES, TemplateCategory } from '@app/whatsapp';
import { SessionCredentialsDto } from '../../auth/dto/session-credentials.dto';

export const TEMPLATE_NAME_PATTERN = /^[a-z0-9_]{1,512}$/;
export const TEMPLATE_LANGUAGE_PATTERN = /^[a-z]{2,3}(_[A-Za-z]{2,4})?$/;
const COMPONENT_TYPES = ['HEADER', 'BODY', 'FOOTER', 'BUTTONS'] as const;
const PARAMETER_FORMATS = ['POSITIONAL', 'NAMED'] as const;
/** WhatsApp's longest body text of a template (a header or footer: 60). */
const MAX_BODY_TEXT = 1024;
/** Buttons per template. */
const MAX_BUTTONS = 10;

/** One component of a new template, in the Graph API's shape. */
export class TemplateComponentDto {
  @ApiProperty({ enum: COMPONENT_TYPES, example: 'BODY' })
  @IsIn(COMPONENT_TYPES, { message: `components[].type must be one of: ${COMPONENT_TYPES.join(', ')}` })
  type!: (typeof COMPONENT_TYPES)[number];

  @ApiPropertyOptional({ enum: HEADER_FORMATS, description: 'HEADER only', example: 'TEXT' })
  @IsOptional()
  @IsIn(HEADER_FORMATS, { message: `components[].format must be one of: ${HEADER_FORMATS.join(', ')}` })
  format?: string;

  @ApiPropertyOptional({ description: 'The text, with {{1}}, {{2}}... (or {{name}} with parameter_format NAMED) where each send gives a value', example: 'Hi {{1}}, your order {{2}} has shipped.' })
  @IsOptional()
  @IsString({ message: 'components[].text must be a string' })
  @MaxLength(MAX_BODY_TEXT, { message: `components[].text must be at most ${MAX_BODY_TEXT} characters` })
  text?: string;

  @ApiPropertyOptional({ description: 'BUTTONS only: the Graph API button objects (QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, OTP, FLOW)', type: 'array', items: { type: 'object' } })
  @IsOptional()
  @IsArray({ message: 'components[].buttons must be an array' })
  @ArrayMaxSize(MAX_BUTTONS)
  @IsObject({ each: true, message: 'components[].buttons must hold objects' })
  buttons?: Array<{ type: string; text?: string; url?: string }>;

  @ApiPropertyOptional({ description: "Sample values Meta's review needs for each parameter", type: 'object', additionalProperties: true, example: { body_text: [['Ada', '#1042']] } })
  @IsOptional()
  @IsObject({ message: 'components[].example must be an object' })
  example?: Record<string, unknown>;
}

/** POST /templates. */
export class CreateTemplateDto extends SessionCredentialsDto {
  @ApiProperty({ description: 'Lower-case letters, digits and underscores', example: 'order_ready' })
  @Matches(TEMPLATE_NAME_PATTERN, { message: 'name must be 1-512 lower-case letters, digits or underscores' })
  name!: string;

  @ApiProperty({ description: 'Language (and locale) code', example: 'en_US' })
  @Matches(TEMPLATE_LANGUAGE_PATTERN, { message: 'language must be a language code such as en or en_US' })
  language!: string;

  @ApiProperty({ enum: TEMPLATE_CATEGORIES, example: 'UTILITY' })
  @IsIn(TEMPLATE_CATEGORIES, { message: `category must be one of: ${TEMPLATE_CATEGORIES.join(', ')}` })
  category!: TemplateCategory;

  @ApiPropertyOptional({ enum: PARAMETER_FORMATS, description: 'NAMED: parameters are {{first_name}}-style; default POSITIONAL ({{1}}, {{2}}...)' })
  @IsOptional()
  @IsIn(PARAMETER_FORMATS, { message: `parameter_format must be one of: ${PARAMETER_FORMATS.join(', ')}` })
  parameter_format?: (typeof PARAMETER_FORMATS)[number];

  @ApiProperty({
    type: [TemplateComponentDto],
    example: [{ type: 'BODY', text: 'Hi {{1}}, your order {{2}} is ready for pickup.', example: { body_text: [['Ada', '#1042']] } }],
  })
  @IsArray({ message: 'components must be an array' })
  @ArrayMinSize(1, { message: 'components must hold at least a BODY' })
  @ArrayMaxSize(4)
  @ValidateNested({ each: true })
  @Type(() => TemplateComponentDto)
  components!: TemplateComponentDto[];
}
