import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { IdParamDto, ok, okPage, paginate, StandardEnvelope } from '@app/common';
import { CurrentPrincipal, Permission, Principal, RequirePermission, RequireSession, SessionScopedPageQueryDto, sessionScopeOf } from '../auth';
import { ExpensiveRoute } from '../rate-limit';
import { BroadcastRecord } from './broadcast.schema';
import { BroadcastService, BroadcastWithFailures } from './broadcast.service';
import { CreateBroadcastDto } from './dto/create-broadcast.dto';

const CREATED_EXAMPLE = {
  status: true,
  message: 'Broadcast group created successfully!',
  data: {
    client_id: '649ff7e0e6046617c8aeabf0',
    session_id: '649ff7e0e6046617c8aeabf1',
    send_type: 'individual',
    to: '2348179803743,2349048988056',
    message: {
      text: 'New Test Broadcasts text',
      attachments: ['64ac311eee05a1a2c27fbdb5', '64ac265749240c35b96cb78c'],
      location: { name: 'optional', address: null, lat: 6.556452, lng: 3.2774487 },
      contactId: '64a00ec7c5e487d95dcb0d5e',
    },
    status: 'sending',
    sent: [],
    pending: ['2348179803743', '2349048988056'],
    failed: [],
    failures: [],
    finished_at: null,
    _id: '64ac509d05a7cc2b8c2bd9ab',
    createdAt: '2023-07-10T18:40:29.784Z',
    updatedAt: '2023-07-10T18:40:29.784Z',
    __v: 0,
  },
};

@ApiTags('broadcast')
@Controller('broadcast')
export class BroadcastController {
  constructor(private readonly broadcasts: BroadcastService) {}

  @Post()
  @ExpensiveRoute()
  @RequireSession()
  @RequirePermission(Permission.BroadcastWrite)
  @ApiOperation({
    summary: 'Create a broadcast: one message to many recipients, sent by the worker through the session',
    description:
      'Numbers are normalised to digits-only international form and deduplicated. Every recipient starts in `pending` and ' +
      'moves to `sent` or `failed`; `failures` gives the reason of each failed one (GET /broadcast/:id has them all).\n\n' +
      "Seed 001's command works as written (`--data` sends the JSON text as a form, which is read as JSON):\n\n" +
      '```\ncurl --location "$BASE/broadcast" -H "Authorization: Bearer $KEY" --data \'{\n"session_id": "...",\n"access_token": "...",\n' +
      '"send_type": "individual",\n"to": "2348179803743,2349048988056",\n"message": { "text": "New Test Broadcasts text" }\n}\'\n```',
  })
  @ApiCreatedResponse({ description: 'Broadcast group created successfully!', schema: { example: CREATED_EXAMPLE } })
  @ApiBadRequestResponse({
    description: 'Invalid numbers (each named), empty message, unknown attachment or contact, wrong send_type, too many recipients',
  })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateBroadcastDto,
  ): Promise<StandardEnvelope<BroadcastRecord>> {
    // @RequireSession() guarantees the session.
    const broadcast = await this.broadcasts.create(principal.clientId, principal.session!.id, body);
    return ok('Broadcast group created successfully!', broadcast);
  }

  @Get()
  @RequirePermission(Permission.BroadcastRead)
  @ApiOperation({ summary: "List broadcasts, newest first: the selected session's, or all sessions' with type=all" })
  @ApiOkResponse({ description: 'Broadcasts fetched successfully!' })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: SessionScopedPageQueryDto,
  ): Promise<StandardEnvelope<BroadcastRecord[]>> {
    const sessionId = sessionScopeOf(principal, query.type, 'broadcasts');
    const { items, total } = await this.broadcasts.list(principal.clientId, sessionId, query);
    return okPage('Broadcasts fetched successfully!', items, paginate(query, total));
  }

  @Get(':id')
  @RequirePermission(Permission.BroadcastRead)
  @ApiOperation({ summary: 'Get one broadcast, with the reason of every failed recipient in `failures`' })
  @ApiOkResponse({ description: 'Broadcast fetched successfully!' })
  @ApiNotFoundResponse({ description: 'No such broadcast for this client' })
  async get(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<BroadcastWithFailures>> {
    return ok('Broadcast fetched successfully!', await this.broadcasts.get(principal.clientId, id));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @RequirePermission(Permission.BroadcastWrite)
  @ApiOperation({ summary: 'Stop sending: queued messages are dropped, the record stays with status `cancelled`' })
  @ApiOkResponse({ description: 'Broadcast cancelled successfully!' })
  @ApiNotFoundResponse({ description: 'No such broadcast for this client' })
  @ApiConflictResponse({ description: 'The broadcast has already finished' })
  async cancel(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<BroadcastRecord>> {
    return ok('Broadcast cancelled successfully!', await this.broadcasts.cancel(principal.clientId, id));
  }

  @Delete(':id')
  @HttpCode(200)
  @RequirePermission(Permission.BroadcastWrite)
  @ApiOperation({ summary: 'Delete a broadcast: its queued jobs are removed first (nothing more is sent); message and WhatsApp logs stay' })
  @ApiOkResponse({ description: 'Broadcast deleted successfully!' })
  @ApiNotFoundResponse({ description: 'No such broadcast for this client' })
  async delete(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<null>> {
    await this.broadcasts.delete(principal.clientId, id);
    return ok('Broadcast deleted successfully!', null);
  }
}
