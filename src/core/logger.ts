import type { LoggerService } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { AppConfig } from '../config';

/** Query-string parameters that carry credentials; their values never reach a log line. */
const SECRET_QUERY_PARAMETERS = ['access_token', 'api_key', 'apikey', 'token', 'hub.verify_token'];

export function redactUrl(url: string | undefined): string | undefined {
  if (!url || !url.includes('?')) return url;
  const [path, query] = url.split('?', 2);
  const params = new URLSearchParams(query);
  for (const name of [...params.keys()]) {
    if (SECRET_QUERY_PARAMETERS.includes(name.toLowerCase())) params.set(name, '[REDACTED]');
  }
  return `${path}?${params.toString()}`;
}

/** Paths of everything secret a log line could carry: key headers, session tokens, provider credentials. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.apikey',
  'req.headers["x-api-key"]',
  'req.headers["x-access-token"]',
  'req.headers["x-hub-signature-256"]',
  'req.headers.cookie',
  'req.query.access_token',
  'req.body.access_token',
  'access_token',
  'accessToken',
  'apiKey',
  'api_key',
  'credentials',
  '*.access_token',
  '*.accessToken',
  '*.credentials',
  '*.apiKey',
];

/** pino options shared by the API (with HTTP request logs) and the worker. */
export function loggerParams(config: AppConfig, processName: 'api' | 'worker' | 'cli'): Params {
  return {
    pinoHttp: {
      level: config.log.level,
      base: { process: processName },
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      transport: config.log.pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
      serializers: {
        req: (req: IncomingMessage & { id?: unknown; method?: string; url?: string }) => ({
          id: req.id,
          method: req.method,
          url: redactUrl(req.url),
        }),
        // The status is what a request line needs; the response headers were most of each line.
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      // Probes and scrapes every few seconds would drown the request log.
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
    },
  };
}

/** Nest's start-up lines, one per module and per route (about 130): kept at debug, so info shows what an operator reads. */
const START_UP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** The app's logger with Nest's start-up chatter moved to debug. */
export function withQuietStartup(logger: LoggerService): LoggerService {
  const isStartUp = (params: unknown[]): boolean => {
    const context = params[params.length - 1];
    return typeof context === 'string' && START_UP_CONTEXTS.has(context);
  };
  return {
    log(message: unknown, ...params: unknown[]): void {
      if (isStartUp(params)) logger.debug?.(message, ...params);
      else logger.log(message, ...params);
    },
    error(message: unknown, ...params: unknown[]): void {
      logger.error(message, ...params);
    },
    warn(message: unknown, ...params: unknown[]): void {
      logger.warn(message, ...params);
    },
    debug(message: unknown, ...params: unknown[]): void {
      logger.debug?.(message, ...params);
    },
    verbose(message: unknown, ...params: unknown[]): void {
      logger.verbose?.(message, ...params);
    },
    fatal(message: unknown, ...params: unknown[]): void {
      logger.fatal?.(message, ...params);
    },
  };
}
