import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '@app/common';
import { SessionCredentialsDto } from '../../auth';

/** `type=all` widens a seed 000 list from the selected session to every session of the client. */
export const ALL_SESSIONS = 'all';

/** Query of GET /message-log (seed 000): page, limit, the session, or type=all. */
export class MessageLogListQueryDto extends IntersectionType(PageQueryDto, SessionCredentialsDto) {
  @ApiPropertyOptional({ enum: [ALL_SESSIONS], description: 'all: every session of the client, no session credentials needed' })
  @IsOptional()
  @IsIn([ALL_SESSIONS], { message: `type must be "${ALL_SESSIONS}" when given` })
  type?: typeof ALL_SESSIONS;
}
