import { Body, Controller, Get, NotFoundException, Param, Put } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ok, StandardEnvelope } from '@app/common';
import { Audited } from '../audit-log/audited';
import { Authenticated, CurrentPrincipal, RequirePermission } from '../auth/auth.decorators';
import { Permission } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { portfolioOf, SessionRepository } from '../auth';
import { PortfolioParamDto, SetMessagingLimitDto } from './dto/portfolio.dto';
import { MessagingLimits, PortfolioLimitView } from './messaging-limits';

@ApiTags('portfolios')
@Controller('portfolios')
export class PortfolioController {
  constructor(
    private readonly limits: MessagingLimits,
    private readonly sessions: SessionRepository,
  ) {}

  @Get(':portfolio_id')
  @Authenticated()
  @ApiOperation({ summary: "A business portfolio's messaging limit and how many people its sessions reached in the last 24 hours" })
  @ApiOkResponse({ description: 'Portfolio fetched successfully!' })
  @ApiNotFoundResponse({ description: 'None of the client’s sessions belongs to this portfolio' })
  async get(@CurrentPrincipal() principal: Principal, @Param() { portfolio_id }: PortfolioParamDto): Promise<StandardEnvelope<PortfolioLimitView>> {
    await this.requireOwned(principal.clientId, portfolio_id);
    return ok('Portfolio fetched successfully!', await this.limits.view(principal.clientId, portfolio_id));
  }

  @Put(':portfolio_id/messaging-limit')
  @RequirePermission(Permission.SessionManage)
  @Audited('portfolio', 'updated')
  @ApiOperation({ summary: "Set a business portfolio's messaging limit (the phone_number_quality_update webhook also sets it)" })
  @ApiOkResponse({ description: 'Messaging limit updated successfully!' })
  @ApiBadRequestResponse({ description: 'messaging_limit is not a whole number of at least 1, nor null' })
  @ApiNotFoundResponse({ description: 'None of the client’s sessions belongs to this portfolio' })
  async setLimit(
    @CurrentPrincipal() principal: Principal,
    @Param() { portfolio_id }: PortfolioParamDto,
    @Body() body: SetMessagingLimitDto,
  ): Promise<StandardEnvelope<PortfolioLimitView>> {
    await this.requireOwned(principal.clientId, portfolio_id);
    return ok('Messaging limit updated successfully!', await this.limits.setLimit(principal.clientId, portfolio_id, body.messaging_limit, 'api'));
  }

  /** A portfolio is the client's when one of its sessions belongs to it; any other id answers 404 like a missing one. */
  private async requireOwned(clientId: string, portfolioId: string): Promise<void> {
    const sessions = await this.sessions.listByClient(clientId);
    if (!sessions.some((session) => portfolioOf(session) === portfolioId)) throw new NotFoundException(`Portfolio ${portfolioId} not found`);
  }
}
