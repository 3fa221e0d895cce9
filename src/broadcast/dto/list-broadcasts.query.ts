import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '@app/common';
import { SessionCredentialsDto } from '../../auth';

/**
 * `?page&limit[&type=all]`: the selected session's broadcasts, or every session's with
 * type=all (also when no session is selected).
 */
export class ListBroadcastsQueryDto extends IntersectionType(PageQueryDto, SessionCredentialsDto) {
  @ApiPropertyOptional({ enum: ['all'], description: "All of the client's sessions instead of the selected one" })
  @IsOptional()
  @IsIn(['all'], { message: 'type must be "all" when given' })
  type?: 'all';
}
