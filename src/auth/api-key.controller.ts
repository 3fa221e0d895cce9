import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import {
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
import { IdParamDto, ok, StandardEnvelope } from '@app/common';
import { Audited } from '../audit-log/audited';
import { CurrentPrincipal, RequirePermission } from './auth.decorators';
import { ApiKeyView, CreateApiKeyDto, IssuedApiKeyView, RotatedApiKeyView } from './dto/api-key.dto';
import { RotateSecretDto } from './dto/rotate-secret.dto';
import { Permission } from './permissions';
import type { Principal } from './principal';
import { ApiKeySummary, IssuedApiKey, RotatedApiKey, TenancyService } from './tenancy.service';

const envelope = (model: new () => object, list = false) => ({
  type: 'object',
  properties: {
    status: { type: 'boolean', example: true },
    message: { type: 'string' },
    data: list ? { type: 'array', items: { $ref: getSchemaPath(model) } } : { $ref: getSchemaPath(model) },
  },
});

/** Self-service keys: a client's keys managed by its own keys that hold `keys:manage` (owners by default). */
@ApiTags('keys')
@ApiExtraModels(ApiKeyView, IssuedApiKeyView, RotatedApiKeyView)
@Controller('keys')
export class ApiKeyController {
  constructor(private readonly tenancy: TenancyService) {}

  @Get()
  @RequirePermission(Permission.KeysManage)
  @ApiOperation({ summary: "List the client's API keys (never the keys themselves), revoked ones included" })
  @ApiOkResponse({ description: 'API keys fetched successfully!', schema: envelope(ApiKeyView, true) })
  async list(@CurrentPrincipal() principal: Principal): Promise<StandardEnvelope<ApiKeySummary[]>> {
    return ok('API keys fetched successfully!', await this.tenancy.listApiKeys(principal.clientId));
  }

  @Post()
  @RequirePermission(Permission.KeysManage)
  @Audited('api-key', 'created')
  @ApiOperation({
    summary: 'Issue an API key; the key is in this answer only',
    description: "Never a role above the calling key's, never a permission it lacks; limits at most the configured defaults.",
  })
  @ApiCreatedResponse({ description: 'API key created successfully!', schema: envelope(IssuedApiKeyView) })
  @ApiBadRequestResponse({ description: 'Unknown role or permission, an expiry in the past, a limit above the configured one' })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateApiKeyDto): Promise<StandardEnvelope<IssuedApiKey>> {
    const key = await this.tenancy.issueApiKeyAs(principal, {
      name: body.name,
      role: body.role,
      permissions: body.permissions ?? [],
      expiresAt: body.expires_at ?? null,
      rateLimits: { perMinute: body.rate_limit_per_minute ?? null, expensivePerMinute: body.expensive_rate_limit_per_minute ?? null },
    });
    return ok('API key created successfully!', key);
  }

  @Post(':id/rotate')
  @HttpCode(HttpStatus.OK)
  @RequirePermission(Permission.KeysManage)
  @Audited('api-key', 'rotated')
  @ApiOperation({
    summary: 'Give a key a new secret (same id, role and limits); the old one works for the grace period, then stops',
    description: 'The new key is in this answer only. Rotating again ends the previous grace period at once.',
  })
  @ApiOkResponse({ description: 'API key rotated successfully!', schema: envelope(RotatedApiKeyView) })
  @ApiBadRequestResponse({ description: 'A grace period outside 0 to 604800 seconds, or a malformed id' })
  @ApiNotFoundResponse({ description: 'No such active key for this client' })
  @ApiConflictResponse({ description: 'The key expired, or was rotated or revoked meanwhile' })
  async rotate(
    @CurrentPrincipal() principal: Principal,
    @Param() { id }: IdParamDto,
    @Body() body: RotateSecretDto,
  ): Promise<StandardEnvelope<RotatedApiKey>> {
    return ok('API key rotated successfully!', await this.tenancy.rotateApiKey(principal.clientId, id, RotateSecretDto.graceMs(body), principal));
  }

  @Delete(':id')
  @RequirePermission(Permission.KeysManage)
  @Audited('api-key', 'revoked')
  @ApiOperation({ summary: "Revoke a key: refused at once from then on (never the client's last active owner key)" })
  @ApiOkResponse({ description: 'API key revoked successfully!' })
  @ApiNotFoundResponse({ description: 'No such active key for this client' })
  @ApiConflictResponse({ description: "The client's last active owner key" })
  async revoke(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<null>> {
    await this.tenancy.revokeApiKeyAs(principal, id);
    return ok('API key revoked successfully!', null);
  }
}
