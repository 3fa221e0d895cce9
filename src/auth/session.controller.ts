import { Body, Controller, Get, Inject, Optional, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IdParamDto, ok, StandardEnvelope } from '@app/common';
import { Audited } from '../audit-log/audited';
import { Authenticated, CurrentPrincipal, RequirePermission } from './auth.decorators';
import { CreateSessionDto } from './dto/create-session.dto';
import { Permission } from './permissions';
import type { Principal } from './principal';
import { CreatedSession, SessionSummary, TenancyService } from './tenancy.service';
import { SESSION_LISTENER, SessionListener } from './session-listener';
import { SessionRepository } from './session.repository';

@ApiTags('sessions')
@Controller('sessions')
export class SessionController {
  constructor(
    private readonly tenancy: TenancyService,
    private readonly sessions: SessionRepository,
    @Optional() @Inject(SESSION_LISTENER) private readonly listener?: SessionListener,
  ) {}

  @Get()
  @Authenticated()
  @ApiOperation({ summary: "List the client's sending sessions (never their tokens or credentials)" })
  @ApiOkResponse({ description: 'Sessions fetched successfully!' })
  async list(@CurrentPrincipal() principal: Principal): Promise<StandardEnvelope<SessionSummary[]>> {
    return ok('Sessions fetched successfully!', await this.tenancy.listSessions(principal.clientId));
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({ summary: 'Get one sending session' })
  @ApiNotFoundResponse({ description: 'No such session for this client' })
  async get(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<SessionSummary>> {
    return ok('Session fetched successfully!', await this.tenancy.getSession(principal.clientId, id));
  }

  @Post()
  @RequirePermission(Permission.SessionManage)
  @Audited('session', 'created')
  @ApiOperation({ summary: 'Create a sending session; its access_token is in this answer only' })
  @ApiCreatedResponse({ description: 'Session created successfully!' })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateSessionDto): Promise<StandardEnvelope<CreatedSession>> {
    const session = await this.tenancy.createSession({
      clientId: principal.clientId,
      name: body.name,
      provider: body.provider,
      phoneNumber: body.phone_number ?? null,
      rateLimitPerSecond: body.rate_limit_per_second ?? null,
      credentials: body.credentials ?? null,
      enforceServiceWindow: body.enforce_service_window ?? null,
      portfolioId: body.portfolio_id ?? null,
      pauseOnFlag: body.pause_on_flag ?? null,
    });
    const created = this.listener ? await this.sessions.findById(session.session_id) : null;
    if (created) this.listener?.sessionCreated(created);
    return ok('Session created successfully!', session);
  }
}
