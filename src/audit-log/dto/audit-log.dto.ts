import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsMongoId, IsOptional } from 'class-validator';
import { Limit } from '@app/common';
import { AUDIT_ACTIONS, AUDIT_KINDS, AuditKind } from '../audit-log.schema';

export class AuditLogQueryDto {
  @ApiPropertyOptional({ enum: AUDIT_KINDS, description: 'Only changes of this kind' })
  @IsOptional()
  @IsIn(AUDIT_KINDS, { message: `kind must be one of: ${AUDIT_KINDS.join(', ')}` })
  kind?: AuditKind;

  @ApiPropertyOptional({ description: 'Only changes made by this API key (its id)', example: '6571f1b2c3d4e5f6a7b8c9d0' })
  @IsOptional()
  @IsMongoId({ message: 'actor must be an API key id (24 hexadecimal characters)' })
  actor?: string;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page; absent: the newest entries' })
  @IsOptional()
  @IsMongoId({ message: 'cursor must be a next_cursor this endpoint returned' })
  cursor?: string;

  @Limit()
  limit?: number;
}

export class AuditEntryViewDto {
  @ApiProperty({ example: '6571f1b2c3d4e5f6a7b8c9e0' }) id!: string;
  @ApiProperty({ enum: AUDIT_KINDS, example: 'api-key' }) kind!: string;
  @ApiProperty({ enum: AUDIT_ACTIONS, example: 'rotated' }) action!: string;
  @ApiProperty({ type: String, nullable: true, example: '6571f1b2c3d4e5f6a7b8c9d0' }) target_id!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Id of the API key that made the change', example: '6571f1b2c3d4e5f6a7b8c9d1' })
  actor_key_id!: string | null;
  @ApiProperty({ example: 'POST /keys/:id/rotate' }) route!: string;
  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' }) ip!: string | null;
  @ApiProperty({ type: [String], description: 'Names of the fields the request set (never their values)', example: ['grace_period_seconds'] })
  fields!: string[];
  @ApiProperty({ example: '2026-12-07T12:00:00.000Z' }) createdAt!: Date;
}
