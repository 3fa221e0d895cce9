import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Matches, Max, Min, ValidateIf } from 'class-validator';
import { PORTFOLIO_ID_PATTERN } from '../../auth/dto/create-session.dto';

export class PortfolioParamDto {
  /** A session's `portfolio_id` (its own session id when it was created without one). */
  @ApiProperty({ example: '506914307656634' })
  @Matches(PORTFOLIO_ID_PATTERN, { message: 'portfolio_id must be 1 to 64 letters, digits, dashes or underscores' })
  portfolio_id!: string;
}

export class SetMessagingLimitDto {
  /** Unique people the portfolio may start conversations with in a moving 24 hours (Meta: 250, 2000, 10000, 100000); null: none enforced (unlimited). */
  @ApiProperty({ example: 250, nullable: true, type: Number })
  @ValidateIf((_object, value) => value !== null)
  @IsInt({ message: 'messaging_limit must be a whole number or null' })
  @Min(1, { message: 'messaging_limit must be at least 1, or null for no limit' })
  @Max(10_000_000, { message: 'messaging_limit must be at most 10000000, or null for no limit' })
  messaging_limit!: number | null;
}
