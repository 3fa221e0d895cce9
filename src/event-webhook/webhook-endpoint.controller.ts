import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { IdParamDto, ok, okPage, PageQueryDto, paginate, StandardEnvelope } from '@app/common';
import { Audited } from '../audit-log/audited';
import { CurrentPrincipal, Permission, Principal, RequirePermission, RotateSecretDto } from '../auth';
import { CLIENT_EVENT_TYPES } from './client-events';
import {
  CreatedWebhookEndpointView,
  CreateWebhookEndpointDto,
  DeliveryParamsDto,
  ListDeliveriesQueryDto,
  RotatedWebhookSecretView,
  UpdateWebhookEndpointDto,
  WebhookDeliveryView,
  WebhookEndpointView,
} from './dto/webhook-endpoint.dto';
import { WebhookEndpointService } from './webhook-endpoint.service';

const envelope = (model: string | (new () => object), list = false) => ({
  type: 'object',
  properties: {
    status: { type: 'boolean', example: true },
    message: { type: 'string' },
    data: list ? { type: 'array', items: { $ref: getSchemaPath(model) } } : { $ref: getSchemaPath(model) },
  },
});

const DELIVERY_DESCRIPTION =
  'Each event is POSTed as JSON `{ id, type, created_at, data }` with `X-Signature: t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>" ' +
  'with the secret>` (a second `v1` with the old secret while a rotation\'s grace period lasts), `X-Timestamp` (Unix seconds), `X-Event-Id`, `X-Event-Type` and `X-Delivery-Id`. Answer 2xx within ' +
  'WEBHOOK_TIMEOUT_MS. Network errors, timeouts, 5xx, 408 and 429 are retried with exponential backoff for about 24 hours; ' +
  'any other answer ends the delivery. An endpoint whose retries run out is disabled and says why. Events: ' +
  CLIENT_EVENT_TYPES.join(', ') +
  '.';

@ApiTags('webhook-endpoints')
@ApiExtraModels(WebhookEndpointView, CreatedWebhookEndpointView, RotatedWebhookSecretView, WebhookDeliveryView)
@Controller('webhook-endpoints')
export class WebhookEndpointController {
  constructor(private readonly endpoints: WebhookEndpointService) {}

  @Post()
  @RequirePermission(Permission.WebhookManage)
  @Audited('webhook-endpoint', 'created')
  @ApiOperation({ summary: 'Register an endpoint of your own server for signed event deliveries; its secret is in this answer only', description: DELIVERY_DESCRIPTION })
  @ApiCreatedResponse({ description: 'Webhook endpoint created successfully!', schema: envelope(CreatedWebhookEndpointView) })
  @ApiBadRequestResponse({ description: 'Bad URL (not http(s), credentials in it, a loopback/private/link-local address), unknown event' })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateWebhookEndpointDto): Promise<StandardEnvelope<CreatedWebhookEndpointView>> {
    return ok('Webhook endpoint created successfully!', await this.endpoints.create(principal.clientId, body));
  }

  @Get()
  @RequirePermission(Permission.WebhookManage)
  @ApiOperation({ summary: "List the client's webhook endpoints, newest first (never their secrets)" })
  @ApiOkResponse({ description: 'Webhook endpoints fetched successfully!', schema: envelope(WebhookEndpointView, true) })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<StandardEnvelope<WebhookEndpointView[]>> {
    const { items, total } = await this.endpoints.list(principal.clientId, query);
    return okPage('Webhook endpoints fetched successfully!', items, paginate(query, total));
  }

  @Get(':id')
  @RequirePermission(Permission.WebhookManage)
  @ApiOperation({ summary: 'Get one webhook endpoint (disabled_reason says why the service disabled it)' })
  @ApiOkResponse({ description: 'Webhook endpoint fetched successfully!', schema: envelope(WebhookEndpointView) })
  @ApiNotFoundResponse({ description: 'No such endpoint for this client' })
  async get(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<WebhookEndpointView>> {
    return ok('Webhook endpoint fetched successfully!', await this.endpoints.get(principal.clientId, id));
  }

  @Patch(':id')
  @RequirePermission(Permission.WebhookManage)
  @Audited('webhook-endpoint', 'updated')
  @ApiOperation({ summary: 'Change an endpoint: url, events, description, enabled (enabling clears disabled_reason)' })
  @ApiOkResponse({ description: 'Webhook endpoint updated successfully!', schema: envelope(WebhookEndpointView) })
  @ApiBadRequestResponse({ description: 'Bad URL or unknown event' })
  @ApiNotFoundResponse({ description: 'No such endpoint for this client' })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param() { id }: IdParamDto,
    @Body() body: UpdateWebhookEndpointDto,
  ): Promise<StandardEnvelope<WebhookEndpointView>> {
    return ok('Webhook endpoint updated successfully!', await this.endpoints.update(principal.clientId, id, body));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.OK)
  @RequirePermission(Permission.WebhookManage)
  @Audited('webhook-endpoint', 'deleted')
  @ApiOperation({ summary: 'Delete an endpoint; its unfinished deliveries end' })
  @ApiOkResponse({ description: 'Webhook endpoint deleted successfully!' })
  @ApiNotFoundResponse({ description: 'No such endpoint for this client' })
  async delete(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<null>> {
    await this.endpoints.delete(principal.clientId, id);
    return ok('Webhook endpoint deleted successfully!', null);
  }

  @Post(':id/rotate-secret')
  @HttpCode(HttpStatus.OK)
  @RequirePermission(Permission.WebhookManage)
  @Audited('webhook-endpoint', 'secret-rotated')
  @ApiOperation({
    summary: 'Give an endpoint a new signing secret, shown in this answer only',
    description:
      'For `grace_period_seconds` (default 86400, at most 7 days; 0: none) each delivery carries two signatures, ' +
      '`X-Signature: t=<ts>,v1=<new>,v1=<old>`; then only the new one. Switch the receiver to the new secret within that time.',
  })
  @ApiOkResponse({ description: 'Webhook secret rotated successfully!', schema: envelope(RotatedWebhookSecretView) })
  @ApiBadRequestResponse({ description: 'A grace period outside 0 to 604800 seconds, or a malformed id' })
  @ApiNotFoundResponse({ description: 'No such endpoint for this client' })
  async rotateSecret(
    @CurrentPrincipal() principal: Principal,
    @Param() { id }: IdParamDto,
    @Body() body: RotateSecretDto,
  ): Promise<StandardEnvelope<RotatedWebhookSecretView>> {
    return ok('Webhook secret rotated successfully!', await this.endpoints.rotateSecret(principal.clientId, id, RotateSecretDto.graceMs(body)));
  }

  @Get(':id/deliveries')
  @RequirePermission(Permission.WebhookManage)
  @ApiOperation({ summary: "An endpoint's deliveries, newest first: status, tries with response code and latency, next try" })
  @ApiOkResponse({ description: 'Deliveries fetched successfully!', schema: envelope(WebhookDeliveryView, true) })
  @ApiNotFoundResponse({ description: 'No such endpoint for this client' })
  async deliveries(
    @CurrentPrincipal() principal: Principal,
    @Param() { id }: IdParamDto,
    @Query() query: ListDeliveriesQueryDto,
  ): Promise<StandardEnvelope<WebhookDeliveryView[]>> {
    const { items, total } = await this.endpoints.listDeliveries(principal.clientId, id, query, query.status);
    return okPage('Deliveries fetched successfully!', items, paginate(query, total));
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(HttpStatus.ACCEPTED)
  @RequirePermission(Permission.WebhookManage)
  @ApiOperation({ summary: 'Send a delivery again (same event id and body, a new signature), with a full set of retries' })
  @ApiAcceptedResponse({ description: 'Redelivery queued', schema: envelope(WebhookDeliveryView) })
  @ApiNotFoundResponse({ description: 'No such endpoint or delivery for this client' })
  @ApiConflictResponse({ description: 'The endpoint is disabled: enable it first' })
  async redeliver(@CurrentPrincipal() principal: Principal, @Param() { id, deliveryId }: DeliveryParamsDto): Promise<StandardEnvelope<WebhookDeliveryView>> {
    return ok('Redelivery queued', await this.endpoints.redeliver(principal.clientId, id, deliveryId));
  }
}
