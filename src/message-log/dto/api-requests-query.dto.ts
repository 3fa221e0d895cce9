import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { DEFAULT_PAGE_LIMIT, IsCalendarDate, Limit, Page, QueryBoolean } from '@app/common';

/** Longest free-text filter value accepted; longer input is a mistake, not a search. */
const MAX_FILTER_LENGTH = 100;

/** Query of GET /api/v1/external/api-requests (seed 004). Every filter narrows the set. */
export class ApiRequestsQueryDto {
  /** Page number, starting at 1. */
  @Page()
  page: number = 1;

  /** Items per page, 1 to 100. */
  @Limit()
  limit: number = DEFAULT_PAGE_LIMIT;

  @ApiPropertyOptional({
    description: 'true: messages sent (sent, delivered or read, not failed); false: all others (scheduled, queued, sending, failed or cancelled)',
    example: true,
  })
  @QueryBoolean()
  @IsOptional()
  @IsBoolean({ message: 'sent must be true or false' })
  sent?: boolean;

  @ApiPropertyOptional({ description: 'true: messages read by the recipient; false: all others', example: false })
  @QueryBoolean()
  @IsOptional()
  @IsBoolean({ message: 'read must be true or false' })
  read?: boolean;

  @ApiPropertyOptional({ description: 'Exact WhatsApp template name', example: 'hello_world', maxLength: MAX_FILTER_LENGTH })
  @IsOptional()
  @IsString({ message: 'template_name must be text' })
  @IsNotEmpty({ message: 'template_name must not be empty' })
  @MaxLength(MAX_FILTER_LENGTH, { message: `template_name must be ${MAX_FILTER_LENGTH} characters or fewer` })
  template_name?: string;

  @ApiPropertyOptional({ description: 'Exact message_uid, as POST /v1/messages answered it', example: '6a7d01ee8de8488a' })
  @IsOptional()
  @IsString({ message: 'message_uid must be text' })
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'message_uid may only contain letters, digits, "-" and "_" (at most 64)' })
  message_uid?: string;

  @ApiPropertyOptional({ description: 'First day (UTC) included, YYYY-MM-DD' })
  @IsOptional()
  @IsCalendarDate()
  start_date?: string;

  @ApiPropertyOptional({ description: 'Last day (UTC) included, YYYY-MM-DD; not before start_date' })
  @IsOptional()
  @IsCalendarDate()
  end_date?: string;

  @ApiPropertyOptional({
    description: 'Digits the recipient number contains; "+", spaces, dashes, dots and brackets are ignored',
    example: '+91 98',
  })
  @IsOptional()
  @IsString({ message: 'contact_number must be text' })
  @Matches(/^(?=\D*\d)\+?[\d\s().-]+$/, {
    message: 'contact_number may only contain digits, spaces and + - ( ) . and at least one digit',
  })
  @MaxLength(32, { message: 'contact_number must be 32 characters or fewer' })
  contact_number?: string;

  @ApiPropertyOptional({
    description: "Text the contact's name contains, ignoring case; matched literally (no patterns)",
    example: 'John',
    maxLength: MAX_FILTER_LENGTH,
  })
  @IsOptional()
  @IsString({ message: 'contact_name must be text' })
  @IsNotEmpty({ message: 'contact_name must not be empty' })
  @MaxLength(MAX_FILTER_LENGTH, { message: `contact_name must be ${MAX_FILTER_LENGTH} characters or fewer` })
  contact_name?: string;
}
