import { AppConfig, parseCorsOrigins, parseTrustProxy } from './app-config';
import { ConfigurationError, validateEnvironment } from './environment';

const VALID = {
  MONGODB_URI: 'mongodb://localhost:27017/wa',
  REDIS_URL: 'redis://localhost:6379',
  CREDENTIALS_ENCRYPTION_KEY: 'a'.repeat(64),
};

describe('validateEnvironment', () => {
  it('applies defaults and converts numbers', () => {
    const variables = validateEnvironment({ ...VALID, PORT: '8080' });
    expect(variables.PORT).toBe(8080);
    expect(variables.WORKER_CONCURRENCY).toBe(50);
    expect(variables.SESSION_RATE_LIMIT_PER_SECOND).toBe(80);
    expect(variables.BROADCAST_MAX_RECIPIENTS).toBe(100000);
    expect(variables.DEFAULT_PROVIDER).toBe('sandbox');
  });

  it('refuses a recipient limit that a broadcast document could not hold', () => {
    expect(validateEnvironment({ ...VALID, BROADCAST_MAX_RECIPIENTS: '300000' }).BROADCAST_MAX_RECIPIENTS).toBe(300000);
    expect(() => validateEnvironment({ ...VALID, BROADCAST_MAX_RECIPIENTS: '1000000' })).toThrow(
      /BROADCAST_MAX_RECIPIENTS must be at most 300000: a broadcast's recipients live in one MongoDB document/,
    );
  });

  it('names every bad or missing variable in one error', () => {
    let error: unknown;
    try {
      validateEnvironment({ PORT: 'eighty', SANDBOX_FAILURE_RATE: '2', DEFAULT_PROVIDER: 'pigeon' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const { problems } = error as ConfigurationError;
    const named = problems.map((problem) => problem.split(/[\s:]/)[0]).sort();
    expect(named).toEqual(
      ['CREDENTIALS_ENCRYPTION_KEY', 'DEFAULT_PROVIDER', 'MONGODB_URI', 'PORT', 'REDIS_URL', 'SANDBOX_FAILURE_RATE'].sort(),
    );
    expect(problems.find((problem) => problem.startsWith('PORT'))).toContain('(got "eighty")');
  });

  it('says one thing per variable: a missing one is required, a non-number is not a number', () => {
    let error: unknown;
    try {
      validateEnvironment({ REDIS_URL: VALID.REDIS_URL, CREDENTIALS_ENCRYPTION_KEY: VALID.CREDENTIALS_ENCRYPTION_KEY, PORT: 'abc' });
    } catch (caught) {
      error = caught;
    }
    expect((error as ConfigurationError).problems).toEqual([
      'PORT must be an integer number (got "abc")',
      'MONGODB_URI is required (for example mongodb://localhost:27017/whatsapp)',
    ]);
    expect((error as ConfigurationError).message.split('\n')).toHaveLength(3);
  });

  it('keeps the headers timeout above the keep-alive timeout, and defaults both above load balancers\' 60 s', () => {
    expect(AppConfig.fromEnvironment(VALID).http).toMatchObject({ keepAliveTimeoutMs: 65000, headersTimeoutMs: 66000 });
    expect(() => validateEnvironment({ ...VALID, HTTP_KEEP_ALIVE_TIMEOUT_MS: '70000' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS must be greater than HTTP_KEEP_ALIVE_TIMEOUT_MS \(70000\)/,
    );
  });

  it('never echoes secret values back', () => {
    expect(() => validateEnvironment({ ...VALID, MONGODB_URI: 'postgres://user:hunter2@db' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
    expect(() => validateEnvironment({ ...VALID, METRICS_TOKEN: 'short secret' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('short secret') }),
    );
  });

  it('refuses QUEUE_DASHBOARD_CLIENTS, saying what replaced it (left set, it would read as still protecting the dashboard)', () => {
    expect(() => validateEnvironment({ ...VALID, QUEUE_DASHBOARD_CLIENTS: '*' })).toThrow(/QUEUE_DASHBOARD_CLIENTS is no longer read.*operator:create/);
  });

  it('treats empty strings as missing', () => {
    expect(() => validateEnvironment({ ...VALID, REDIS_URL: '' })).toThrow(/REDIS_URL is required/);
  });
});

describe('AppConfig', () => {
  it('decodes the encryption key from hex or base64 to 32 bytes', () => {
    expect(AppConfig.fromEnvironment(VALID).security.credentialsEncryptionKey).toHaveLength(32);
    const base64 = Buffer.alloc(32, 7).toString('base64');
    expect(AppConfig.fromEnvironment({ ...VALID, CREDENTIALS_ENCRYPTION_KEY: base64 }).security.credentialsEncryptionKey).toEqual(
      Buffer.alloc(32, 7),
    );
  });
});

describe('optional variables', () => {
  it('reads optional variables that have no default', () => {
    const variables = validateEnvironment({ ...VALID, ATTACHMENT_MAX_BYTES: '2048', CLOUD_API_PRICES_USD_CENTS: 'utility=0.77' });
    expect(variables.ATTACHMENT_MAX_BYTES).toBe(2048);
    expect(variables.CLOUD_API_PRICES_USD_CENTS).toBe('utility=0.77');
    expect(() => validateEnvironment({ ...VALID, CLOUD_API_PRICES_USD_CENTS: 'utility:cheap' })).toThrow(/CLOUD_API_PRICES_USD_CENTS must look like/);
  });
});

describe('API protection variables', () => {
  it('defaults to limits a normal integration never meets, CORS off and logs kept forever', () => {
    const config = AppConfig.fromEnvironment(VALID);
    expect(config.rateLimits).toEqual({ perKey: 6000, expensivePerKey: 60, publicPerAddress: 6000, authFailuresPerAddress: 30 });
    expect(config.http.corsOrigins).toEqual([]);
    expect(config.http.trustProxy).toBeNull();
    expect(config.retention).toEqual({ messageLogDays: null, whatsappLogDays: null, auditLogDays: 365, intervalMs: 3600000 });
  });

  it('reads limits, origins, proxies and retention', () => {
    const config = AppConfig.fromEnvironment({
      ...VALID,
      RATE_LIMIT_PER_MINUTE: '100',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173/',
      TRUST_PROXY: '1',
      MESSAGE_LOG_RETENTION_DAYS: '90',
      WHATSAPP_LOG_RETENTION_DAYS: '30',
    });
    expect(config.rateLimits.perKey).toBe(100);
    expect(config.http.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(config.http.trustProxy).toBe(1);
    expect(config.retention).toMatchObject({ messageLogDays: 90, whatsappLogDays: 30 });
  });

  it('names each bad value', () => {
    let error: unknown;
    try {
      validateEnvironment({
        ...VALID,
        RATE_LIMIT_PER_MINUTE: '0',
        CORS_ORIGINS: 'app.example.com',
        MESSAGE_LOG_RETENTION_DAYS: '0',
        WHATSAPP_LOG_RETENTION_DAYS: 'forever',
      });
    } catch (caught) {
      error = caught;
    }
    const named = (error as ConfigurationError).problems.map((problem) => problem.split(/[\s:]/)[0]).sort();
    expect(named).toEqual(['CORS_ORIGINS', 'MESSAGE_LOG_RETENTION_DAYS', 'RATE_LIMIT_PER_MINUTE', 'WHATSAPP_LOG_RETENTION_DAYS']);
  });

  it('parses origins and proxy settings', () => {
    expect(parseCorsOrigins('*')).toEqual(['*']);
    expect(parseCorsOrigins('')).toEqual([]);
    expect(parseTrustProxy('loopback, 10.0.0.0/8')).toBe('loopback, 10.0.0.0/8');
    expect(parseTrustProxy('2')).toBe(2);
  });
});
