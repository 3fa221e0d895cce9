import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayUnique, IsArray, IsDate, IsIn, IsOptional } from 'class-validator';
import { IsoInstant, IsWholeNumberInRange, RequiredText } from '@app/common';
import { Permission, PERMISSIONS, Role, ROLES } from '../permissions';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'CRM integration', minLength: 1, maxLength: 200 })
  @RequiredText(200)
  name!: string;

  @ApiProperty({ enum: ROLES, example: 'member', description: 'At most the role of the key that issues it' })
  @IsIn(ROLES, { message: `role must be one of: ${ROLES.join(', ')}` })
  role!: Role;

  @ApiPropertyOptional({
    enum: PERMISSIONS,
    isArray: true,
    example: ['whatsapp-log:read'],
    description: "Extra permissions on top of the role's; only ones the issuing key holds",
  })
  @IsOptional()
  @IsArray({ message: 'permissions must be an array of permission names' })
  @ArrayUnique({ message: 'permissions must not repeat a permission' })
  @IsIn(PERMISSIONS, { each: true, message: `each of permissions must be one of: ${PERMISSIONS.join(', ')}` })
  permissions?: Permission[];

  @ApiPropertyOptional({ type: String, format: 'date-time', example: '2027-06-30T00:00:00.000Z', description: 'Refused after this moment; absent: never expires' })
  @IsOptional()
  @IsoInstant()
  @IsDate({ message: 'expires_at must be an ISO 8601 date-time with a UTC offset that exists, e.g. 2027-06-30T00:00:00Z' })
  expires_at?: Date;

  @ApiPropertyOptional({ example: 600, description: 'Requests per minute for this key; at most RATE_LIMIT_PER_MINUTE (absent: that default)' })
  @IsOptional()
  @IsWholeNumberInRange(1)
  rate_limit_per_minute?: number;

  @ApiPropertyOptional({ example: 30, description: 'Requests per minute to each expensive route; at most RATE_LIMIT_EXPENSIVE_PER_MINUTE' })
  @IsOptional()
  @IsWholeNumberInRange(1)
  expensive_rate_limit_per_minute?: number;
}

export class ApiKeyView {
  @ApiProperty({ example: '6571f1b2c3d4e5f6a7b8c9d0' }) id!: string;
  @ApiProperty({ example: 'CRM integration' }) name!: string;
  @ApiProperty({ enum: ROLES, example: 'member' }) role!: string;
  @ApiProperty({ enum: PERMISSIONS, isArray: true, example: [] }) permissions!: string[];
  @ApiProperty({ type: String, nullable: true, example: null }) expires_at!: Date | null;
  @ApiProperty({ example: false }) expired!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'To within a minute', example: '2026-12-07T12:00:00.000Z' }) last_used_at!: Date | null;
  @ApiProperty({ type: Number, nullable: true, example: null }) rate_limit_per_minute!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: null }) expensive_rate_limit_per_minute!: number | null;
  @ApiProperty({ type: String, nullable: true, example: null }) revoked_at!: Date | null;
  @ApiProperty({ type: String, nullable: true, example: null }) rotated_at!: Date | null;
  @ApiProperty({ type: String, nullable: true, description: 'Until when the secret replaced by the last rotation still works', example: null })
  previous_key_valid_until!: Date | null;
  @ApiProperty({ example: '2026-12-07T11:00:00.000Z' }) createdAt!: Date;
}

export class IssuedApiKeyView {
  @ApiProperty({ example: '6571f1b2c3d4e5f6a7b8c9d0' }) id!: string;
  @ApiProperty({ example: '61a7bd6ea34282366c025764' }) client_id!: string;
  @ApiProperty({ example: 'CRM integration' }) name!: string;
  @ApiProperty({ enum: ROLES, example: 'member' }) role!: string;
  @ApiProperty({ enum: PERMISSIONS, isArray: true, example: [] }) permissions!: string[];
  @ApiProperty({ type: String, nullable: true, example: null }) expires_at!: Date | null;
  @ApiProperty({ type: Number, nullable: true, example: null }) rate_limit_per_minute!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: null }) expensive_rate_limit_per_minute!: number | null;
  @ApiProperty({ description: 'The key: shown in this answer only', example: 'wak_6571f1b2c3d4e5f6a7b8c9d0_3q2…' }) key!: string;
}

export class RotatedApiKeyView extends IssuedApiKeyView {
  @ApiProperty({ type: String, nullable: true, description: 'Until when the old key still works (null: it stopped at once)', example: '2026-12-08T12:00:00.000Z' })
  previous_key_valid_until!: Date | null;
}
