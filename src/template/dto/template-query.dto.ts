import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsObjectIdParam, PageQueryDto } from '@app/common';
import { TEMPLATE_CATEGORIES, TEMPLATE_STATUSES } from '@app/whatsapp';
import { SessionCredentialsDto } from '../../auth/dto/session-credentials.dto';
import { TEMPLATE_LANGUAGE_PATTERN } from './create-template.dto';

/** GET /templates: the session's catalogue, filtered. */
export class ListTemplatesQueryDto extends IntersectionType(PageQueryDto, SessionCredentialsDto) {
  @ApiPropertyOptional({ enum: TEMPLATE_STATUSES, example: 'APPROVED' })
  @IsOptional()
  @IsIn(TEMPLATE_STATUSES, { message: `status must be one of: ${TEMPLATE_STATUSES.join(', ')}` })
  status?: string;

  @ApiPropertyOptional({ enum: TEMPLATE_CATEGORIES, example: 'UTILITY' })
  @IsOptional()
  @IsIn(TEMPLATE_CATEGORIES, { message: `category must be one of: ${TEMPLATE_CATEGORIES.join(', ')}` })
  category?: string;

  @ApiPropertyOptional({ example: 'en_US' })
  @IsOptional()
  @Matches(TEMPLATE_LANGUAGE_PATTERN, { message: 'language must be a language code such as en or en_US' })
  language?: string;

  @ApiPropertyOptional({ description: 'Templates whose name starts with this', example: 'order_' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  name?: string;
}

/** DELETE /templates/:name: every language, or one by its id. */
export class DeleteTemplateQueryDto extends SessionCredentialsDto {
  @ApiPropertyOptional({ description: 'Delete only this entry (one language) of the name: its id in GET /templates', example: '64ac509d05a7cc2b8c2bd9ab' })
  @IsOptional()
  @Matches(/^[0-9a-fA-F]{24}$/, { message: 'id must be a 24-character hexadecimal id' })
  id?: string;
}

/**
 * `/templates/:template`: GET reads an entry by its id, DELETE deletes by name. One parameter name
 * for both, so that the two routes are one path of the OpenAPI document.
 */
export class TemplateIdParamDto {
  @IsObjectIdParam("The template's id (_id in GET /templates)")
  template!: string;
}

export class TemplateNameParamDto {
  @ApiProperty({ description: "The template's name (every language of it is deleted unless ?id= names one)", example: 'order_ready' })
  @Matches(/^[a-z0-9_]{1,512}$/, { message: 'name must be 1-512 lower-case letters, digits or underscores' })
  template!: string;
}

/** The statuses the sandbox can be told to move one of its templates to. */
export const SANDBOX_SETTABLE_STATUSES = ['APPROVED', 'REJECTED', 'PAUSED', 'DISABLED', 'FLAGGED', 'ARCHIVED', 'LOCKED'] as const;

/** POST /templates/:id/sandbox-status. */
export class SandboxTemplateStatusDto extends SessionCredentialsDto {
  @ApiProperty({ enum: SANDBOX_SETTABLE_STATUSES, example: 'PAUSED' })
  @IsIn(SANDBOX_SETTABLE_STATUSES, { message: `status must be one of: ${SANDBOX_SETTABLE_STATUSES.join(', ')}` })
  status!: (typeof SANDBOX_SETTABLE_STATUSES)[number];

  @ApiPropertyOptional({ description: 'REJECTED only: the reason Meta would give', example: 'INVALID_FORMAT' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  reason?: string;
}
