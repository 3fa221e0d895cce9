import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, Matches, Min } from 'class-validator';
import { RequiredText } from '@app/common';
import { PROVIDER_NAMES, ProviderName } from '@app/whatsapp';

/** A business portfolio's id: Meta's business id, or a name of the client's own. */
export const PORTFOLIO_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export class CreateSessionDto {
  @ApiProperty({ example: 'Support line', minLength: 1, maxLength: 200 })
  @RequiredText(200)
  name!: string;

  @ApiProperty({ enum: PROVIDER_NAMES, example: 'sandbox' })
  @IsIn(PROVIDER_NAMES, { message: `provider must be one of: ${PROVIDER_NAMES.join(', ')}` })
  provider!: ProviderName;

  /** The sender's phone number, digits only. */
  @ApiPropertyOptional({ example: '2348179803743' })
  @IsOptional()
  @Matches(/^\d{6,15}$/, { message: 'phone_number must be 6 to 15 digits' })
  phone_number?: string;

  /** Messages per second; default SESSION_RATE_LIMIT_PER_SECOND. */
  @ApiPropertyOptional({ example: 80 })
  @IsOptional()
  @IsInt()
  @Min(1)
  rate_limit_per_second?: number;

  /**
   * Refuse free-form messages (anything but a template) to numbers that have not written to
   * this session in the last 24 hours, as WhatsApp does (error 131047), without calling the
   * provider. Default: true for cloud-api, false for the sandbox.
   */
  @ApiPropertyOptional({ example: true })
  @IsOptional()
  @IsBoolean({ message: 'enforce_service_window must be true or false' })
  enforce_service_window?: boolean;

  /**
   * The business portfolio the number belongs to (Meta's business id, or any name of yours):
   * sessions of one portfolio share its messaging limit. Default: a portfolio of its own.
   */
  @ApiPropertyOptional({ example: '506914307656634', pattern: PORTFOLIO_ID_PATTERN.source })
  @IsOptional()
  @Matches(PORTFOLIO_ID_PATTERN, { message: 'portfolio_id must be 1 to 64 letters, digits, dashes or underscores' })
  portfolio_id?: string;

  /** A FLAGGED number (Meta's phone_number_quality_update) pauses its running marketing broadcasts; resuming them is yours. Default: true. */
  @ApiPropertyOptional({ example: true })
  @IsOptional()
  @IsBoolean({ message: 'pause_on_flag must be true or false' })
  pause_on_flag?: boolean;

  /**
   * Provider credentials (Cloud API: phone_number_id, access_token, app_secret, verify_token, and optionally waba_id, the
   * WhatsApp Business Account whose template catalogue sends are checked against); stored encrypted, never returned.
   */
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsObject()
  credentials?: Record<string, string>;
}
