import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { IdParamDto, ok, okPage, paginate, StandardEnvelope } from '@app/common';
import { Audited } from '../audit-log/audited';
import { CurrentPrincipal, RequirePermission, RequireSession } from '../auth/auth.decorators';
import { SessionCredentialsDto } from '../auth/dto/session-credentials.dto';
import { Permission } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { SessionRepository } from '../auth/session.repository';
import type { SessionRecord } from '../auth/session.schema';
import { ExpensiveRoute } from '../rate-limit';
import { CreateTemplateDto } from './dto/create-template.dto';
import { DeleteTemplateQueryDto, ListTemplatesQueryDto, SandboxTemplateStatusDto, TemplateIdParamDto, TemplateNameParamDto } from './dto/template-query.dto';
import { SyncResult, TemplateCatalogue } from './template-catalogue';
import { TEMPLATE_EXAMPLE, TemplateView, templateView } from './template.view';

const NO_CATALOGUE = 'A cloud-api session without waba_id has no catalogue (its template sends are not checked)';

@ApiTags('templates')
@RequireSession()
@Controller('templates')
export class TemplateController {
  constructor(
    private readonly catalogue: TemplateCatalogue,
    private readonly sessions: SessionRepository,
  ) {}

  @Get()
  @RequirePermission(Permission.TemplateRead)
  @ApiOperation({
    summary: "The session's template catalogue (its WhatsApp Business Account's, or the sandbox session's own), by name",
    description: 'Filters: status, category, language, and a name prefix (`name=order_`). A sandbox session starts with hello_world, order_update, seasonal_promo and login_code.',
  })
  @ApiOkResponse({ description: 'Templates fetched successfully!', schema: { example: { status: true, message: 'Templates fetched successfully!', data: [TEMPLATE_EXAMPLE], pagination: { page: 1, limit: 10, total: 1, totalPages: 1, nextPage: null, prevPage: null } } } })
  @ApiBadRequestResponse({ description: 'An unknown status or category, a malformed language, page or limit' })
  @ApiConflictResponse({ description: NO_CATALOGUE })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListTemplatesQueryDto): Promise<StandardEnvelope<TemplateView[]>> {
    const session = await this.sessionOf(principal);
    const { items, total } = await this.catalogue.list(session, { status: query.status, category: query.category, language: query.language, namePrefix: query.name }, query);
    return okPage('Templates fetched successfully!', items.map(templateView), paginate(query, total));
  }

  @Post('sync')
  @HttpCode(200)
  @ExpensiveRoute()
  @RequirePermission(Permission.TemplateRead)
  @ApiOperation({
    summary: "Read the session's catalogue afresh from the Graph API (GET /{waba_id}/message_templates, every page)",
    description: 'Status changes the sync finds (a webhook that never arrived) act as the webhook would have: events, and broadcasts paused or resumed.',
  })
  @ApiOkResponse({ description: 'Templates synced successfully!', schema: { example: { status: true, message: 'Templates synced successfully!', data: { account: 'waba:102290129340398', templates: 12, changed: 1 } } } })
  @ApiConflictResponse({ description: NO_CATALOGUE })
  @ApiBadGatewayResponse({ description: 'The Graph API could not be reached or refused the session\'s token' })
  async sync(@CurrentPrincipal() principal: Principal, @Body() _body: SessionCredentialsDto): Promise<StandardEnvelope<SyncResult>> {
    return ok('Templates synced successfully!', await this.catalogue.sync(await this.sessionOf(principal)));
  }

  @Get(':template')
  @RequirePermission(Permission.TemplateRead)
  @ApiOperation({ summary: 'One template of the catalogue' })
  @ApiOkResponse({ description: 'Template fetched successfully!', schema: { example: { status: true, message: 'Template fetched successfully!', data: TEMPLATE_EXAMPLE } } })
  @ApiNotFoundResponse({ description: "No such template for this client (another client's id answers the same)" })
  async get(@CurrentPrincipal() principal: Principal, @Param() { template }: TemplateIdParamDto): Promise<StandardEnvelope<TemplateView>> {
    return ok('Template fetched successfully!', templateView(await this.catalogue.get(principal.clientId, template)));
  }

  @Post()
  @Audited('template', 'created')
  @ExpensiveRoute()
  @RequirePermission(Permission.TemplateManage)
  @ApiOperation({
    summary: 'Create a template: submitted to Meta for review (cloud-api), or reviewed by the sandbox after SANDBOX_TEMPLATE_REVIEW_MS',
    description:
      'It is PENDING until reviewed; a `template.status_changed` event says APPROVED or REJECTED. In the sandbox, a name containing `reject` is REJECTED. ' +
      "The Graph API's own validation errors come back as 400s in its words.",
  })
  @ApiCreatedResponse({ description: 'Template created successfully!', schema: { example: { status: true, message: 'Template created successfully!', data: { ...TEMPLATE_EXAMPLE, name: 'order_ready', status: 'PENDING' } } } })
  @ApiBadRequestResponse({ description: 'A malformed name, language, category or component, or one the Graph API refused (its message)' })
  @ApiConflictResponse({ description: 'The name already exists in that language, or the session has no catalogue' })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateTemplateDto): Promise<StandardEnvelope<TemplateView>> {
    return ok('Template created successfully!', templateView(await this.catalogue.create(await this.sessionOf(principal), body)));
  }

  @Delete(':template')
  @Audited('template', 'deleted')
  @HttpCode(200)
  @RequirePermission(Permission.TemplateManage)
  @ApiOperation({ summary: 'Delete a template: every language of the name, or only the entry `id` (one language)' })
  @ApiOkResponse({ description: 'Template deleted successfully!', schema: { example: { status: true, message: 'Template deleted successfully!', data: { deleted: 2 } } } })
  @ApiNotFoundResponse({ description: 'No template of that name (or no entry `id` of it) in the catalogue' })
  async delete(@CurrentPrincipal() principal: Principal, @Param() { template }: TemplateNameParamDto, @Query() query: DeleteTemplateQueryDto): Promise<StandardEnvelope<{ deleted: number }>> {
    return ok('Template deleted successfully!', { deleted: await this.catalogue.delete(await this.sessionOf(principal), template, query.id) });
  }

  @Post(':id/sandbox-status')
  @Audited('template', 'updated')
  @HttpCode(200)
  @RequirePermission(Permission.TemplateManage)
  @ApiOperation({
    summary: "Sandbox only: move one of the sandbox session's templates to a status, as Meta would (PAUSED pauses its broadcasts, APPROVED resumes them, DISABLED fails what they have pending)",
  })
  @ApiOkResponse({ description: 'Template status changed successfully!', schema: { example: { status: true, message: 'Template status changed successfully!', data: { ...TEMPLATE_EXAMPLE, status: 'PAUSED' } } } })
  @ApiNotFoundResponse({ description: "No such template in the session's catalogue" })
  @ApiConflictResponse({ description: "The template is a WhatsApp Business Account's: only Meta changes its status" })
  async setSandboxStatus(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto, @Body() body: SandboxTemplateStatusDto): Promise<StandardEnvelope<TemplateView>> {
    const template = await this.catalogue.setSandboxStatus(await this.sessionOf(principal), id, body.status, body.reason ?? null);
    return ok('Template status changed successfully!', templateView(template));
  }

  private async sessionOf(principal: Principal): Promise<SessionRecord> {
    // @RequireSession() guarantees the session; it may have been deleted since the guard read it.
    const session = principal.session ? await this.sessions.findForClient(principal.clientId, principal.session.id) : null;
    if (!session) throw new NotFoundException('The session selected by session_id no longer exists');
    return session;
  }
}
