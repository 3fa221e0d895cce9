import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ExternalEnvelope, externalOk } from '@app/common';
import { CurrentPrincipal, Permission, Principal, RequirePermission } from '../auth';
import { ApiRequestLogService } from './api-request-log.service';
import { ApiRequestsQueryDto } from './dto/api-requests-query.dto';
import { ApiRequestsDataDto, ApiRequestsResponseDto, ExternalErrorDto } from './dto/api-requests-response.dto';

@ApiTags('external')
@Controller('api/v1/external')
export class ApiRequestLogController {
  constructor(private readonly apiRequests: ApiRequestLogService) {}

  @Get('api-requests')
  @RequirePermission(Permission.MessageLogRead)
  @ApiOperation({
    summary: 'Get API request logs (seed 004)',
    description:
      'Messages sent through POST /v1/messages, newest first, with the counts over the whole filtered set. ' +
      'sent = sent, delivered or read (not failed); delivered = delivered or read; read = read; failed = failed; ' +
      'flags are null while a message is scheduled, queued or sending. Dates are UTC days, both ends included.',
  })
  @ApiOkResponse({ type: ApiRequestsResponseDto, description: 'API logs fetched successfully' })
  @ApiBadRequestResponse({ type: ExternalErrorDto, description: 'Invalid query parameters; the message names each one' })
  @ApiUnauthorizedResponse({ type: ExternalErrorDto, description: 'Missing or invalid API key' })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ApiRequestsQueryDto,
  ): Promise<ExternalEnvelope<ApiRequestsDataDto>> {
    return externalOk('API logs fetched successfully', await this.apiRequests.list(principal.clientId, query));
  }
}
