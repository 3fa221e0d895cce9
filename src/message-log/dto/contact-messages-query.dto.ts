import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_PAGE_LIMIT } from '@app/common';
import { MAX_CURSOR_LENGTH } from '../message-cursor';

export const DEFAULT_PER_PAGE = 20;

export class ContactMessagesParamDto {
  @ApiProperty({ description: 'A contact id (24 hex characters) or a phone number with its country code', example: '2348179803743' })
  @IsString()
  @IsNotEmpty({ message: 'identifier must not be empty' })
  @MaxLength(64, { message: 'identifier must be 64 characters or fewer' })
  identifier!: string;
}

/** Query of GET /v1/contacts/:identifier/messages (seed 003). */
export class ContactMessagesQueryDto {
  @ApiPropertyOptional({ type: Number, minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PER_PAGE, example: DEFAULT_PER_PAGE })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'perPage must be a whole number' })
  @Min(1, { message: 'perPage must be 1 or more' })
  @Max(MAX_PAGE_LIMIT, { message: `perPage must be ${MAX_PAGE_LIMIT} or less` })
  perPage: number = DEFAULT_PER_PAGE;

  @ApiPropertyOptional({ description: 'nextCursor or prevCursor of a previous answer (opaque)', maxLength: MAX_CURSOR_LENGTH })
  @IsOptional()
  @IsString({ message: 'cursor must be text' })
  cursor?: string;
}
