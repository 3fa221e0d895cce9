import type { LoggerService } from '@nestjs/common';
import { redactUrl, withQuietStartup } from './logger';

describe('redactUrl', () => {
  it('hides credential query parameters and keeps the rest', () => {
    expect(redactUrl('/message-log?page=2&access_token=st_secret&session_id=abc')).toBe(
      '/message-log?page=2&access_token=%5BREDACTED%5D&session_id=abc',
    );
    expect(redactUrl('/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=v3rify')).not.toContain('v3rify');
  });

  it('leaves URLs without a query alone', () => {
    expect(redactUrl('/health')).toBe('/health');
    expect(redactUrl(undefined)).toBeUndefined();
  });
});

describe('withQuietStartup', () => {
  const target = (): jest.Mocked<Required<LoggerService>> => ({
    log: jest.fn(),
    error: jest.fn(),
    warn: jest.fn(),
    debug: jest.fn(),
    verbose: jest.fn(),
    fatal: jest.fn(),
    setLogLevels: jest.fn(),
  });

  it("moves Nest's per-module and per-route start-up lines to debug", () => {
    const logger = target();
    const quiet = withQuietStartup(logger);
    quiet.log('Mapped {/broadcast, POST} route', 'RouterExplorer');
    quiet.log('BroadcastDataModule dependencies initialized', 'InstanceLoader');
    expect(logger.log).not.toHaveBeenCalled();
    expect(logger.debug).toHaveBeenCalledWith('Mapped {/broadcast, POST} route', 'RouterExplorer');
    expect(logger.debug).toHaveBeenCalledTimes(2);
  });

  it('passes every other line through at its own level', () => {
    const logger = target();
    const quiet = withQuietStartup(logger);
    quiet.log('Nest application successfully started', 'NestApplication');
    quiet.warn('Redis slow', 'Redis');
    quiet.error('boom', 'Sender');
    expect(logger.log).toHaveBeenCalledWith('Nest application successfully started', 'NestApplication');
    expect(logger.warn).toHaveBeenCalledWith('Redis slow', 'Redis');
    expect(logger.error).toHaveBeenCalledWith('boom', 'Sender');
  });
});
