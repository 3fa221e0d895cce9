import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { DEFAULT_PAGE_LIMIT, ok, StandardEnvelope } from '@app/common';
import { CurrentPrincipal, Permission, Principal, RequirePermission } from '../auth';
import { AuditEntryView, AuditLogService } from './audit-log.service';
import { AuditEntryViewDto, AuditLogQueryDto } from './dto/audit-log.dto';

@ApiTags('audit-log')
@ApiExtraModels(AuditEntryViewDto)
@Controller('audit-log')
export class AuditLogController {
  constructor(private readonly audit: AuditLogService) {}

  @Get()
  @RequirePermission(Permission.AuditLogRead)
  @ApiOperation({
    summary: "The client's audit log, newest first: changes of API keys, sessions, event endpoints, templates and segments",
    description:
      'Each entry names the acting key, the route, the client address and the target, with the names (never the values) of the fields ' +
      'sent. Pages by cursor: pass `next_cursor` as `cursor` until it is null. Kept for AUDIT_LOG_RETENTION_DAYS (default 365).',
  })
  @ApiOkResponse({
    description: 'Audit log fetched successfully!',
    schema: {
      type: 'object',
      properties: {
        status: { type: 'boolean', example: true },
        message: { type: 'string', example: 'Audit log fetched successfully!' },
        data: { type: 'array', items: { $ref: getSchemaPath(AuditEntryViewDto) } },
        next_cursor: { type: 'string', nullable: true, example: null },
      },
    },
  })
  @ApiBadRequestResponse({ description: 'An unknown kind, or an actor or cursor that is not an id' })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: AuditLogQueryDto,
  ): Promise<StandardEnvelope<AuditEntryView[]> & { next_cursor: string | null }> {
    const { items, nextCursor } = await this.audit.list(principal.clientId, {
      kind: query.kind,
      actorKeyId: query.actor,
      before: query.cursor,
      limit: query.limit ?? DEFAULT_PAGE_LIMIT,
    });
    return { ...ok('Audit log fetched successfully!', items), next_cursor: nextCursor };
  }
}
