import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsWholeNumberInRange } from '@app/common';
import { DEFAULT_GRACE_PERIOD_SECONDS, MAX_GRACE_PERIOD_SECONDS } from '../rotation';

/** The body of a rotation (`POST /keys/:id/rotate`, `POST /webhook-endpoints/:id/rotate-secret`). */
export class RotateSecretDto {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_GRACE_PERIOD_SECONDS,
    default: DEFAULT_GRACE_PERIOD_SECONDS,
    example: 3600,
    description: 'How long the old secret keeps working, in seconds (0: it stops at once; at most 7 days)',
  })
  @IsOptional()
  @IsWholeNumberInRange(0, MAX_GRACE_PERIOD_SECONDS)
  grace_period_seconds?: number;

  /** The grace period asked for, or the default, in milliseconds. */
  static graceMs(body: RotateSecretDto): number {
    return (body.grace_period_seconds ?? DEFAULT_GRACE_PERIOD_SECONDS) * 1000;
  }
}
