import { Controller, Get, Headers, Res, UnauthorizedException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { AppConfig } from '../config';
import { AppMetrics } from './app-metrics';
import { METRICS_CHALLENGE, metricsTokenAccepted } from './metrics-token';

@ApiTags('operations')
@Controller('metrics')
@Public()
export class MetricsController {
  constructor(
    private readonly metrics: AppMetrics,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics of this process',
    description:
      'HTTP request durations by route, queue job counts, messages sent and failed by provider and error code, provider latency, ' +
      'broadcast recipients, event-webhook deliveries and Node process metrics, in the Prometheus text format. ' +
      'Needs `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set; no API key.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The Prometheus text exposition format (version 0.0.4)', schema: { type: 'string' } })
  @ApiUnauthorizedResponse({ description: 'METRICS_TOKEN is set and the request does not carry it as a bearer token' })
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() response: Response): Promise<void> {
    if (!metricsTokenAccepted(this.config.metrics.token, authorization)) {
      response.setHeader('WWW-Authenticate', METRICS_CHALLENGE);
      throw new UnauthorizedException('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
    }
    const { contentType, body } = await this.metrics.exposition();
    // Exactly prom-client's content type (Express would reorder its parameters).
    response.setHeader('Content-Type', contentType);
    response.end(body);
  }
}
