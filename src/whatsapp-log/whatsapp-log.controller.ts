import { applyDecorators, Body, Controller, Delete, Get, HttpCode, HttpException, HttpStatus, Param, Post, Put, Query, Res, Type } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiMethodNotAllowedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { IdParamDto } from '@app/common';
import { Authenticated, CurrentPrincipal, Permission, RequirePermission } from '../auth';
import { ExpensiveRoute } from '../rate-limit';
import type { Principal } from '../auth';
import {
  WhatsappLogCountBodyDto,
  WhatsappLogItemBodyDto,
  WhatsappLogListBodyDto,
  WhatsappLogPageQueryDto,
} from './dto/whatsapp-log-request.dto';
import { WHATSAPP_LOG_COUNT_SCHEMA, WHATSAPP_LOG_ERROR_SCHEMA, WHATSAPP_LOG_LIST_SCHEMA, WHATSAPP_LOG_SCHEMA } from './whatsapp-log.openapi';
import type { WhatsappLogView } from './whatsapp-log.repository';
import { WhatsappLogList, WhatsappLogService } from './whatsapp-log.service';

const GET_BODY_NOTE = 'GET takes the same JSON body as POST (send Content-Type: application/json).';

/** Documentation shared by the read endpoints: the permission, the optional body, the 400 shape. */
function ReadEndpoint(summary: string, description: string, body: Type): MethodDecorator {
  return applyDecorators(
    RequirePermission(Permission.WhatsappLogRead),
    ApiBody({ type: body, required: false }),
    ApiOperation({
      summary,
      description:
        `${description} Allowed for owner, admin and member keys, and for keys given the "${Permission.WhatsappLogRead}" ` +
        `or "${Permission.ReadAll}" permission.`,
    }),
    ApiBadRequestResponse({ description: 'Invalid select, query, sort, skip or limit, named in `error`', schema: WHATSAPP_LOG_ERROR_SCHEMA }),
    ExpensiveRoute(),
  );
}

/** Documentation and authentication of the write routes, which always answer 405. */
function RefusedWrite(summary: string): MethodDecorator {
  return applyDecorators(
    Authenticated(),
    ApiOperation({ summary, description: 'WhatsApp logs are written by the sending worker and by provider webhooks only.' }),
    ApiMethodNotAllowedResponse({ description: 'Always: WhatsApp logs cannot be changed through the API', schema: WHATSAPP_LOG_ERROR_SCHEMA }),
  );
}

/**
 * Seed 002: read-only access to the client's WhatsApp logs (one per provider call).
 * Each read exists as GET and POST, as the seed lists them.
 */
@ApiTags('whatsapp-log')
@Controller('api/whatsapp-log')
export class WhatsappLogController {
  constructor(private readonly service: WhatsappLogService) {}

  @Get('get-list')
  @ReadEndpoint('List WhatsApp logs', `A page of the client's WhatsApp logs; count is the total matching the query. ${GET_BODY_NOTE}`, WhatsappLogListBodyDto)
  @ApiOkResponse({ description: 'A page of WhatsApp logs', schema: WHATSAPP_LOG_LIST_SCHEMA })
  async listByGet(
    @CurrentPrincipal() principal: Principal,
    @Query() paging: WhatsappLogPageQueryDto,
    @Body() body: WhatsappLogListBodyDto,
  ): Promise<WhatsappLogList> {
    return this.service.list(principal.clientId, paging, body);
  }

  @Post('get-list')
  @HttpCode(HttpStatus.OK)
  @ReadEndpoint('List WhatsApp logs', "A page of the client's WhatsApp logs; count is the total matching the query.", WhatsappLogListBodyDto)
  @ApiOkResponse({ description: 'A page of WhatsApp logs', schema: WHATSAPP_LOG_LIST_SCHEMA })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() paging: WhatsappLogPageQueryDto,
    @Body() body: WhatsappLogListBodyDto,
  ): Promise<WhatsappLogList> {
    return this.service.list(principal.clientId, paging, body);
  }

  @Get(':id/get-item')
  @ReadEndpoint('Get one WhatsApp log', `The log with this id, if it is the client's. ${GET_BODY_NOTE}`, WhatsappLogItemBodyDto)
  @ApiOkResponse({ description: 'The WhatsApp log', schema: WHATSAPP_LOG_SCHEMA })
  @ApiNotFoundResponse({ description: "No such log for this client (another client's id answers the same)", schema: WHATSAPP_LOG_ERROR_SCHEMA })
  async getByGet(
    @CurrentPrincipal() principal: Principal,
    @Param() { id }: IdParamDto,
    @Body() body: WhatsappLogItemBodyDto,
  ): Promise<WhatsappLogView> {
    return this.service.get(principal.clientId, id, body);
  }

  @Post(':id/get-item')
  @HttpCode(HttpStatus.OK)
  @ReadEndpoint('Get one WhatsApp log', "The log with this id, if it is the client's.", WhatsappLogItemBodyDto)
  @ApiOkResponse({ description: 'The WhatsApp log', schema: WHATSAPP_LOG_SCHEMA })
  @ApiNotFoundResponse({ description: "No such log for this client (another client's id answers the same)", schema: WHATSAPP_LOG_ERROR_SCHEMA })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param() { id }: IdParamDto,
    @Body() body: WhatsappLogItemBodyDto,
  ): Promise<WhatsappLogView> {
    return this.service.get(principal.clientId, id, body);
  }

  @Post('count')
  @HttpCode(HttpStatus.OK)
  @ReadEndpoint('Count WhatsApp logs', "How many of the client's WhatsApp logs match the query.", WhatsappLogCountBodyDto)
  @ApiOkResponse({ description: 'The number of matching logs', schema: WHATSAPP_LOG_COUNT_SCHEMA })
  async count(@CurrentPrincipal() principal: Principal, @Body() body: WhatsappLogCountBodyDto): Promise<{ count: number }> {
    return this.service.count(principal.clientId, body);
  }

  // ---- Writes: the seed says this resource cannot be created, updated or deleted via the API ----

  @Post()
  @RefusedWrite('Create a WhatsApp log (not possible)')
  @ApiBody({ required: false, schema: { type: 'object' } })
  create(@Res({ passthrough: true }) response: Response): never {
    refuseChange(response, 'created');
  }

  @Put(':id')
  @RefusedWrite('Update a WhatsApp log (not possible)')
  @ApiParam({ name: 'id', type: String })
  update(@Res({ passthrough: true }) response: Response): never {
    refuseChange(response, 'updated');
  }

  @Post(':id/update-item')
  @RefusedWrite('Update a WhatsApp log (not possible)')
  @ApiParam({ name: 'id', type: String })
  updateItemByPost(@Res({ passthrough: true }) response: Response): never {
    refuseChange(response, 'updated');
  }

  @Put(':id/update-item')
  @RefusedWrite('Update a WhatsApp log (not possible)')
  @ApiParam({ name: 'id', type: String })
  updateItem(@Res({ passthrough: true }) response: Response): never {
    refuseChange(response, 'updated');
  }

  @Delete(':id')
  @RefusedWrite('Delete a WhatsApp log (not possible)')
  @ApiParam({ name: 'id', type: String })
  delete(@Res({ passthrough: true }) response: Response): never {
    refuseChange(response, 'deleted');
  }

  @Post(':id/delete-item')
  @RefusedWrite('Delete a WhatsApp log (not possible)')
  @ApiParam({ name: 'id', type: String })
  deleteItemByPost(@Res({ passthrough: true }) response: Response): never {
    refuseChange(response, 'deleted');
  }

  @Delete(':id/delete-item')
  @RefusedWrite('Delete a WhatsApp log (not possible)')
  @ApiParam({ name: 'id', type: String })
  deleteItem(@Res({ passthrough: true }) response: Response): never {
    refuseChange(response, 'deleted');
  }
}

/** 405 with an empty Allow header: no method may change this resource (RFC 9110 section 15.5.6). */
function refuseChange(response: Response, change: 'created' | 'updated' | 'deleted'): never {
  response.setHeader('Allow', '');
  throw new HttpException(
    `WhatsApp logs cannot be ${change} through the API: they are written by the sending worker and provider webhooks only`,
    HttpStatus.METHOD_NOT_ALLOWED,
  );
}
