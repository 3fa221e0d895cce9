import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { SessionCredentialsDto, SessionScopedPageQueryDto } from '../../auth';

/** `fields=summary` leaves the recipient arrays out (each broadcast carries `counts` instead). */
export const SUMMARY_FIELDS = 'summary';

const FieldsProperty = (): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ enum: [SUMMARY_FIELDS], description: 'summary: without the `sent`/`pending`/`failed`/`failures` arrays and `to`; `counts` says how many' }),
    IsOptional(),
    IsIn([SUMMARY_FIELDS], { message: `fields must be "${SUMMARY_FIELDS}" when given` }),
  );

/** GET /broadcast: the session-scoped page, optionally as summaries. */
export class ListBroadcastsQueryDto extends SessionScopedPageQueryDto {
  @FieldsProperty()
  fields?: typeof SUMMARY_FIELDS;
}

/** GET /broadcast/:id, optionally as a summary. */
export class GetBroadcastQueryDto extends SessionCredentialsDto {
  @FieldsProperty()
  fields?: typeof SUMMARY_FIELDS;
}

/** POST /broadcast/:id/retry. */
export class RetryBroadcastDto extends SessionCredentialsDto {
  @ApiPropertyOptional({
    default: false,
    description: 'Also retry recipients that failed for a permanent reason (e.g. after fixing the session); numbers refused as invalid never are',
  })
  @IsOptional()
  @IsBoolean({ message: 'include_permanent must be true or false' })
  include_permanent?: boolean;
}
