import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDateString, IsIn, IsObject, IsOptional, IsString, MaxLength, ValidateBy, ValidateNested } from 'class-validator';
import { Optional } from '@app/common';
import { checkAttributes, checkTags, MAX_ATTRIBUTES, MAX_TAGS } from '../contact-audience-fields';
import { CONSENT_SOURCES, ConsentSource, MAX_CONSENT_TEXT_LENGTH } from '../contact-consent';
import { CreateContactDto } from './create-contact.dto';

/** A check that reports the problems of contact-audience-fields' checker, each named. */
function CheckedBy(name: string, check: (value: unknown, where: string, problems: string[]) => void): PropertyDecorator {
  const problemsOf = (value: unknown, property: string): string[] => {
    const problems: string[] = [];
    check(value, property, problems);
    return problems;
  };
  return ValidateBy({
    name,
    validator: {
      validate: (value: unknown, args) => problemsOf(value, args?.property ?? name).length === 0,
      defaultMessage: (args) => problemsOf(args?.value, args?.property ?? name).slice(0, 10).join('; '),
    },
  });
}

/** Records that the person opted in: how, what they agreed to, and when (default: now). */
export class OptInDto {
  @ApiProperty({ enum: CONSENT_SOURCES, example: 'web_form', description: 'How the person opted in' })
  @IsIn(CONSENT_SOURCES, { message: `opt_in.source must be one of: ${CONSENT_SOURCES.join(', ')}` })
  source!: ConsentSource;

  @ApiPropertyOptional({ example: 'Order updates and offers by WhatsApp', maxLength: MAX_CONSENT_TEXT_LENGTH, description: 'What the person agreed to' })
  @IsOptional()
  @IsString({ message: 'opt_in.text must be a string' })
  @MaxLength(MAX_CONSENT_TEXT_LENGTH, { message: `opt_in.text must be at most ${MAX_CONSENT_TEXT_LENGTH} characters` })
  text?: string;

  @ApiPropertyOptional({ example: '2026-11-30T09:15:00Z', description: 'When they opted in (ISO 8601, not in the future); default: now' })
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'opt_in.at must be an ISO 8601 date' })
  at?: string;
}

/** Any subset of a contact's fields, its opt-out, and its attributes, tags and opt-in. */
export class UpdateContactDto extends PartialType(CreateContactDto) {
  @ApiPropertyOptional({
    description: 'Opt the number out (nothing is sent to it; sends fail with opted_out) or back in, as the keywords STOP and START do',
    example: false,
  })
  @IsOptional()
  @IsBoolean({ message: 'opted_out must be true or false' })
  opted_out?: boolean;

  @ApiPropertyOptional({
    description:
      `Attributes to set (merged into the contact's; \`null\` removes one). Names: a lower-case letter then up to 39 lower-case letters, digits or _; ` +
      `values: strings (at most 256 characters; an ISO 8601 date such as 1990-05-17 is stored as a date), numbers or booleans. At most ${MAX_ATTRIBUTES} per contact.`,
    type: 'object',
    // Any of string, number, boolean or null (which removes the attribute): OpenAPI 3.0 cannot say "one of these, or null".
    additionalProperties: true,
    example: { first_name: 'Ada', city: 'Lagos', orders: 3, vip: true, birthday: '1990-05-17', old_field: null },
  })
  @IsOptional()
  @CheckedBy('isContactAttributes', (value, where, problems) => checkAttributes(value, where, problems, true))
  attributes?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: `Replaces the contact's tags (trimmed and lower-cased; letters, digits, _, -, : and ., 1 to 40 characters; at most ${MAX_TAGS})`,
    type: [String],
    example: ['vip', 'lagos'],
  })
  @IsOptional()
  @CheckedBy('isTagList', (value, where, problems) => checkTags(value, where, problems))
  tags?: string[];

  @ApiPropertyOptional({
    type: () => OptInDto,
    nullable: true,
    description: 'Record an opt-in (kept, with the history of every change), or `null` to clear the current one',
  })
  @Optional()
  @IsObject({ message: 'opt_in must be an object { source, text, at } or null' })
  @ValidateNested()
  @Type(() => OptInDto)
  opt_in?: OptInDto | null;
}

/** POST /contacts/:id/tags. */
export class AddTagsDto {
  @ApiProperty({ type: [String], example: ['vip'], description: `Tags to add (kept once each); the contact carries at most ${MAX_TAGS}` })
  @CheckedBy('isTagList', (value, where, problems) => {
    if (Array.isArray(value) && value.length === 0) problems.push(`${where} must hold at least one tag`);
    checkTags(value, where, problems);
  })
  tags!: string[];
}
