import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { AppConfig } from '../config';
import { AppMetrics } from './app-metrics';
import { METRICS_CHALLENGE, metricsTokenAccepted } from './metrics-token';

/**
 * The worker has no HTTP app: this small server answers GET /metrics on METRICS_PORT (0: any free
 * port, logged) once src/worker.ts asks it to listen, and closes with the worker. Anything else is 404.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;

  constructor(
    private readonly metrics: AppMetrics,
    private readonly config: AppConfig,
  ) {}

  /** Starts listening; resolves with the port, or rejects with one line saying what to change. */
  async listen(): Promise<number> {
    const server = createServer((request, response) => void this.answer(request, response));
    server.keepAliveTimeout = this.config.http.keepAliveTimeoutMs;
    server.headersTimeout = this.config.http.headersTimeoutMs;
    const wanted = this.config.metrics.workerPort;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new Error(
            error.code === 'EADDRINUSE'
              ? `METRICS_PORT ${wanted} is already in use (another worker on this machine?): give each worker its own METRICS_PORT, or 0 for any free port`
              : `The worker's metrics server cannot listen on METRICS_PORT ${wanted}: ${error.message}`,
          ),
        ),
      );
      server.listen(wanted, resolve);
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.logger.log(`Worker metrics at http://0.0.0.0:${port}/metrics`);
    return port;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    // A scraper's idle kept-alive connection must not hold the worker open after its queues closed.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Only GET /metrics is served here\n');
      return;
    }
    if (!metricsTokenAccepted(this.config.metrics.token, request.headers.authorization)) {
      response
        .writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': METRICS_CHALLENGE })
        .end('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>\n');
      return;
    }
    try {
      const { contentType, body } = await this.metrics.exposition();
      response.writeHead(200, { 'Content-Type': contentType }).end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      this.logger.error({ err: error }, 'Metrics could not be collected');
      response.writeHead(500, { 'Content-Type': 'text/plain' }).end('Metrics could not be collected\n');
    }
  }
}
