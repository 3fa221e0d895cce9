import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '@app/common';
import { SessionCredentialsDto } from './session-credentials.dto';

/** `type=all` widens a session-scoped list from the selected session to every session of the client. */
export const ALL_SESSIONS = 'all';

/** `?page&limit[&type=all]` of the session-scoped lists (seeds 000 and 001). */
export class SessionScopedPageQueryDto extends IntersectionType(PageQueryDto, SessionCredentialsDto) {
  @ApiPropertyOptional({ enum: [ALL_SESSIONS], description: 'all: every session of the client, no session credentials needed' })
  @IsOptional()
  @IsIn([ALL_SESSIONS], { message: `type must be "${ALL_SESSIONS}" when given` })
  type?: typeof ALL_SESSIONS;
}
