import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { MongoHealthIndicator } from './mongo.health';
import { RedisHealthIndicator } from './redis.health';
import { WorkersHealthIndicator } from './workers.health';

@ApiTags('health')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly mongo: MongoHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly workers: WorkersHealthIndicator,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness and readiness: MongoDB and Redis each answer a ping within 2 s; live workers counted' })
  @ApiOkResponse({ description: 'Everything the API needs is reachable' })
  @ApiBadRequestResponse({ description: 'A request body was sent that cannot be read (GET /health takes none)' })
  @ApiServiceUnavailableResponse({ description: 'MongoDB or Redis is unreachable or did not answer within 2 s; `error` names which' })
  async check(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.mongo.pingCheck('mongodb'),
        () => this.redis.pingCheck('redis'),
        () => this.workers.report('workers'),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      // Terminus' own body says which dependency is down; keep it rather than a generic envelope.
      response.status(503);
      return error.getResponse() as HealthCheckResult;
    }
  }
}
