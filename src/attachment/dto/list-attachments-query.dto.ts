import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { DEFAULT_PAGE_LIMIT, Limit, Page } from '@app/common';
import { ALL_SESSIONS, SessionCredentialsDto } from '../../auth';

/** `GET /attachment?page=&limit=`; session credentials are accepted but attachments belong to the client. */
export class ListAttachmentsQueryDto extends SessionCredentialsDto {
  /** Page number, starting at 1. */
  @Page()
  page: number = 1;

  /** Items per page, 1 to 100. */
  @Limit()
  limit: number = DEFAULT_PAGE_LIMIT;

  @ApiPropertyOptional({
    enum: [ALL_SESSIONS],
    description: 'Accepted as in seed 000; attachments belong to the client, not a session, so every list shows all of them',
  })
  @IsOptional()
  @IsIn([ALL_SESSIONS], { message: `type must be "${ALL_SESSIONS}"` })
  type?: typeof ALL_SESSIONS;
}
