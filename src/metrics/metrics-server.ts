import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { AppConfig } from '../config';
import { AppMetrics } from './app-metrics';
import { METRICS_CHALLENGE, metricsTokenAccepted } from './metrics-token';

/** A worker's metrics port when METRICS_PORT is not set (the OpenTelemetry Prometheus exporter's). */
export const DEFAULT_WORKER_METRICS_PORT = 9464;

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

  /**
   * Starts listening; resolves with the port. A METRICS_PORT that was set and is taken rejects with
   * one line saying what to change; the default port, taken by another worker on the machine, gives
   * way to any free port (logged).
   */
  async listen(): Promise<number> {
    const server = createServer((request, response) => void this.answer(request, response));
    server.keepAliveTimeout = this.config.http.keepAliveTimeoutMs;
    server.headersTimeout = this.config.http.headersTimeoutMs;
    const configured = this.config.metrics.workerPort;
    try {
      await listenOn(server, configured ?? DEFAULT_WORKER_METRICS_PORT);
    } catch (error) {
      const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!inUse || configured !== null) {
        throw new Error(
          inUse
            ? `METRICS_PORT ${configured} is already in use (another worker on this machine?): give each worker its own METRICS_PORT, or 0 for any free port`
            : `The worker's metrics server cannot listen on port ${configured ?? DEFAULT_WORKER_METRICS_PORT}: ${(error as Error).message}`,
        );
      }
      this.logger.warn(`Port ${DEFAULT_WORKER_METRICS_PORT} is taken (another worker on this machine?); serving metrics on a free port instead`);
      await listenOn(server, 0);
    }
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

function listenOn(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => reject(error);
    server.once('error', fail);
    server.listen(port, () => {
      server.off('error', fail);
      resolve();
    });
  });
}
