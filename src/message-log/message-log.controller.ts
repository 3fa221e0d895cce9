import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiExtraModels, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { IdParamDto, ok, okPage, paginate, StandardEnvelope } from '@app/common';
import {
  CurrentPrincipal,
  Permission,
  Principal,
  RequirePermission,
  SessionCredentialsDto,
  SessionScopedPageQueryDto,
  sessionScopeOf,
} from '../auth';
import { MessageLogDto } from './dto/message-log.dto';
import { MessageLogRecord } from './message-log.schema';
import { MessageLogService } from './message-log.service';

const PAGINATION_EXAMPLE = { page: 1, limit: 10, total: 1, totalPages: 1, nextPage: null, prevPage: null };

@ApiTags('message-log')
@ApiExtraModels(MessageLogDto)
@Controller('message-log')
export class MessageLogController {
  constructor(private readonly messageLogs: MessageLogService) {}

  @Get()
  @RequirePermission(Permission.MessageLogRead)
  @ApiOperation({
    summary: 'Get all message logs (seed 000)',
    description:
      "Newest first. Without type, the selected session's logs (session_id + access_token in body, query or " +
      'X-Session-Id/X-Access-Token headers); with type=all, every session of the client. Neither: 400 saying which to give.\n\n' +
      "Seed 000's command works as written, the session in a GET body:\n\n" +
      '```\ncurl --location --request GET "$BASE/message-log?page=1&limit=10" -H "Authorization: Bearer $KEY" --data \'{\n' +
      '"session_id": "...",\n"access_token": "..."\n}\'\n```',
  })
  @ApiOkResponse({
    description: 'Message logs fetched successfully!',
    schema: {
      properties: {
        status: { type: 'boolean', example: true },
        message: { type: 'string', example: 'Message logs fetched successfully!' },
        data: { type: 'array', items: { $ref: getSchemaPath(MessageLogDto) } },
        pagination: { type: 'object', example: PAGINATION_EXAMPLE },
      },
    },
  })
  @ApiBadRequestResponse({ description: 'Bad page, limit or type; the errors name each one' })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: SessionScopedPageQueryDto,
  ): Promise<StandardEnvelope<MessageLogRecord[]>> {
    const page = { page: query.page, limit: query.limit };
    const sessionId = sessionScopeOf(principal, query.type, 'message logs');
    const { items, total } = await this.messageLogs.list({ clientId: principal.clientId, sessionId }, page);
    return okPage('Message logs fetched successfully!', items, paginate(page, total));
  }

  @Get(':id')
  @RequirePermission(Permission.MessageLogRead)
  @ApiOperation({ summary: 'Get one message log (seed 000)' })
  @ApiOkResponse({
    description: 'Message log fetched successfully!',
    schema: {
      properties: {
        status: { type: 'boolean', example: true },
        message: { type: 'string', example: 'Message log fetched successfully!' },
        data: { $ref: getSchemaPath(MessageLogDto) },
      },
    },
  })
  @ApiNotFoundResponse({ description: 'No such message log for this client' })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param() { id }: IdParamDto,
    // Accepted (and checked by the guard) so that seed 000's session fields do not trip the strict pipe.
    @Query() _session: SessionCredentialsDto,
  ): Promise<StandardEnvelope<MessageLogRecord>> {
    return ok('Message log fetched successfully!', await this.messageLogs.get(principal.clientId, id));
  }
}
