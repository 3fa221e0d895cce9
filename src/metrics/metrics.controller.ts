import { Controller, Get, Req, Res, UnauthorizedException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { AppConfig } from '../config';
import { OperatorAccess } from '../operator/operator-access';
import { AppMetrics } from './app-metrics';
import { METRICS_CHALLENGE, metricsTokenAccepted } from './metrics-token';

@ApiTags('operations')
@Controller('metrics')
@Public()
export class MetricsController {
  constructor(
    private readonly metrics: AppMetrics,
    private readonly config: AppConfig,
    private readonly operatorAccess: OperatorAccess,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics of this process',
    description:
      'HTTP request durations by route, queue job counts, messages sent and failed by provider and error code, provider latency, ' +
      'broadcast recipients, event-webhook deliveries and Node process metrics, in the Prometheus text format. ' +
      'The operator\'s: needs an operator credential (`cli operator:create`) as `Authorization: Bearer <credential>`, or ' +
      '`Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set. A tenant\'s API key never opens it.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The Prometheus text exposition format (version 0.0.4)', schema: { type: 'string' } })
  @ApiUnauthorizedResponse({ description: 'Neither an operator credential nor METRICS_TOKEN (when set) as a bearer token' })
  async scrape(@Req() request: Request, @Res() response: Response): Promise<void> {
    const { token } = this.config.metrics;
    if (token === null || !metricsTokenAccepted(token, request.headers.authorization)) {
      await this.operatorAccess.check(request, response).catch((error: unknown) => {
        if (!(error instanceof UnauthorizedException)) throw error;
        response.setHeader('WWW-Authenticate', METRICS_CHALLENGE);
        const accepted = token === null ? 'an operator credential' : 'an operator credential or METRICS_TOKEN';
        throw new UnauthorizedException(`GET /metrics needs Authorization: Bearer <${accepted}>: ${error.message}`);
      });
    }
    const { contentType, body } = await this.metrics.exposition();
    // Exactly prom-client's content type (Express would reorder its parameters).
    response.setHeader('Content-Type', contentType);
    response.end(body);
  }
}
