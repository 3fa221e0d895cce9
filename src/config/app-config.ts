import { parsePriceList, PriceList, ProviderName } from '@app/whatsapp';
import { ConfigurationError, EnvironmentVariables, validateEnvironment } from './environment';
import { redisTopology, RedisTopology, RedisTopologyError } from './redis-topology';

/** Read preferences MongoDB drivers accept. */
export type ReadPreferenceMode = EnvironmentVariables['MONGODB_READ_PREFERENCE'];

/**
 * Typed, grouped configuration. Built once from the validated environment and injected
 * by class (`constructor(private readonly config: AppConfig)`), never read from process.env
 * anywhere else.
 */
export class AppConfig {
  readonly env: EnvironmentVariables['NODE_ENV'];
  readonly http: {
    port: number;
    bodyLimit: string;
    shutdownTimeoutMs: number;
    /** Origins allowed by CORS (CORS_ORIGINS); empty: CORS off; `*`: every origin. */
    corsOrigins: readonly string[];
    /** Express's `trust proxy` (TRUST_PROXY); null trusts no proxy. */
    trustProxy: number | string | null;
    /** Idle kept-alive connections close after this; above the load balancer's idle timeout. */
    keepAliveTimeoutMs: number;
    headersTimeoutMs: number;
    /** A request's answer starts within this, or it is a 503 (REQUEST_DEADLINE_MS). */
    requestDeadlineMs: number;
  };
  /** GET /metrics: the bearer token it needs (null: none), the worker's port (null: not set), the queue sampling period. */
  readonly metrics: { token: string | null; workerPort: number | null; queueSampleMs: number };
  readonly mongo: {
    uri: string;
    /** Acknowledgement every write waits for: `majority` of a replica set, or a number of members. */
    writeConcern: 'majority' | number;
    retryWrites: boolean;
    /** Where the read views read from (the ledger's writers always use the primary). */
    readViewPreference: ReadPreferenceMode;
  };
  readonly redis: {
    topology: RedisTopology;
    /** REDIS_URL as given (for messages; null with sentinels and no URL). */
    url: string | null;
    queuePrefix: string;
    /** Bull queues the send jobs are spread over, by session (SEND_QUEUE_SHARDS). */
    sendQueueShards: number;
  };
  readonly security: { credentialsEncryptionKey: Buffer };
  readonly log: { level: string; pretty: boolean };
  readonly worker: {
    concurrency: number;
    sendAttempts: number;
    sendBackoffMs: number;
    lockDurationMs: number;
    stalledIntervalMs: number;
    /** Finished send jobs kept for the queue dashboard (count 0: none). */
    keepCompletedJobs: { count: number; seconds: number };
    keepFailedJobs: { count: number; seconds: number };
  };
  readonly sending: {
    sessionRateLimitPerSecond: number;
    defaultProvider: ProviderName;
    broadcastMaxRecipients: number;
    progressFlushMs: number;
    /** A broadcast's send jobs in Redis at a time: `seconds` of its session's rate, within `min`..`max` (FAN_OUT_WINDOW_*). */
    fanOutWindow: { seconds: number; min: number; max: number };
    /** The pause of a session's sends after a spam rate limit (131048): first, and longest as it repeats. */
    spamRateBackoff: { firstMs: number; maxMs: number };
    /** Longest wait of a message held by the messaging limit before it looks again. */
    messagingLimitRecheckMs: number;
  };
  readonly sweep: { intervalMs: number; pendingAgeMs: number };
  /** Requests per minute: per API key (unless the key has its own), per key on each expensive route, per address without a key. */
  readonly rateLimits: { perKey: number; expensivePerKey: number; publicPerAddress: number; authFailuresPerAddress: number };
  /** Days logs are kept (null: forever), and how often the worker deletes older ones. */
  readonly retention: { messageLogDays: number | null; whatsappLogDays: number | null; auditLogDays: number; intervalMs: number };
  readonly sandbox: { latencyMs: number; failureRate: number; statusDelayMs: number; templateReviewMs: number };
  readonly templates: { syncIntervalMs: number };
  readonly cloudApi: { baseUrl: string; version: string; timeoutMs: number; uploadTimeoutMs: number; pricesUsdCents: PriceList };
  /** Opt-out and opt-in keywords, upper-cased and trimmed. */
  readonly inbound: { optOutKeywords: readonly string[]; optInKeywords: readonly string[]; replyAttributionMs: number };
  readonly console: { enabled: boolean };
  /** Event webhooks to clients' servers. */
  readonly webhooks: { allowPrivateUrls: boolean; timeoutMs: number; maxAttempts: number; backoffMs: number; crashBeforePublishForTests: boolean };
  /** The heap limit of a large contact import's thread (CONTACT_IMPORT_HEAP_MB), and how many such threads run at once (CONTACT_IMPORT_THREADS). */
  readonly contacts: { importHeapMb: number; importThreads: number };
  readonly attachments: {
    storage: 'local' | 'gridfs';
    directory: string;
    /** Caps every media class's size limit (ATTACHMENT_MAX_BYTES); null keeps WhatsApp's limits. */
    maxBytes: number | null;
  };

  constructor(variables: EnvironmentVariables) {
    this.env = variables.NODE_ENV;
    this.http = {
      port: variables.PORT,
      bodyLimit: variables.BODY_LIMIT,
      shutdownTimeoutMs: variables.SHUTDOWN_TIMEOUT_MS,
      corsOrigins: parseCorsOrigins(variables.CORS_ORIGINS ?? ''),
      trustProxy: parseTrustProxy(variables.TRUST_PROXY ?? ''),
      keepAliveTimeoutMs: variables.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      headersTimeoutMs: variables.HTTP_HEADERS_TIMEOUT_MS,
      requestDeadlineMs: variables.REQUEST_DEADLINE_MS,
    };
    this.metrics = {
      token: variables.METRICS_TOKEN ?? null,
      workerPort: variables.METRICS_PORT ?? null,
      queueSampleMs: variables.METRICS_QUEUE_SAMPLE_MS,
    };
    this.mongo = {
      uri: variables.MONGODB_URI,
      writeConcern: variables.MONGODB_WRITE_CONCERN === 'majority' ? 'majority' : Number(variables.MONGODB_WRITE_CONCERN),
      retryWrites: variables.MONGODB_RETRY_WRITES === 'true',
      readViewPreference: variables.MONGODB_READ_PREFERENCE,
    };
    this.redis = { topology: topologyOf(variables), url: variables.REDIS_URL ?? null, queuePrefix: variables.QUEUE_PREFIX, sendQueueShards: variables.SEND_QUEUE_SHARDS };
    this.security = { credentialsEncryptionKey: decodeKey(variables.CREDENTIALS_ENCRYPTION_KEY) };
    this.log = { level: variables.LOG_LEVEL, pretty: variables.LOG_FORMAT === 'pretty' };
    this.worker = {
      concurrency: variables.WORKER_CONCURRENCY,
      sendAttempts: variables.SEND_ATTEMPTS,
      sendBackoffMs: variables.SEND_BACKOFF_MS,
      lockDurationMs: variables.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: variables.WORKER_STALLED_INTERVAL_MS,
      keepCompletedJobs: { count: variables.SEND_JOBS_KEEP_COMPLETED, seconds: variables.SEND_JOBS_KEEP_COMPLETED_SECONDS },
      keepFailedJobs: { count: variables.SEND_JOBS_KEEP_FAILED, seconds: variables.SEND_JOBS_KEEP_FAILED_SECONDS },
    };
    this.sending = {
      sessionRateLimitPerSecond: variables.SESSION_RATE_LIMIT_PER_SECOND,
      defaultProvider: variables.DEFAULT_PROVIDER,
      broadcastMaxRecipients: variables.BROADCAST_MAX_RECIPIENTS,
      progressFlushMs: variables.BROADCAST_PROGRESS_FLUSH_MS,
      fanOutWindow: { seconds: variables.FAN_OUT_WINDOW_SECONDS, min: variables.FAN_OUT_WINDOW_MIN, max: variables.FAN_OUT_WINDOW_MAX },
      spamRateBackoff: { firstMs: variables.SPAM_RATE_BACKOFF_MS, maxMs: variables.SPAM_RATE_BACKOFF_MAX_MS },
      messagingLimitRecheckMs: variables.MESSAGING_LIMIT_RECHECK_MS,
    };
    this.sweep = { intervalMs: variables.SWEEP_INTERVAL_MS, pendingAgeMs: variables.SWEEP_PENDING_AGE_MS };
    this.rateLimits = {
      perKey: variables.RATE_LIMIT_PER_MINUTE,
      expensivePerKey: variables.RATE_LIMIT_EXPENSIVE_PER_MINUTE,
      publicPerAddress: variables.RATE_LIMIT_PUBLIC_PER_MINUTE,
      authFailuresPerAddress: variables.AUTH_FAILURE_LIMIT_PER_MINUTE,
    };
    this.retention = {
      messageLogDays: variables.MESSAGE_LOG_RETENTION_DAYS ?? null,
      whatsappLogDays: variables.WHATSAPP_LOG_RETENTION_DAYS ?? null,
      auditLogDays: variables.AUDIT_LOG_RETENTION_DAYS,
      intervalMs: variables.RETENTION_INTERVAL_MS,
    };
    this.sandbox = {
      latencyMs: variables.SANDBOX_LATENCY_MS,
      failureRate: variables.SANDBOX_FAILURE_RATE,
      statusDelayMs: variables.SANDBOX_STATUS_DELAY_MS,
      templateReviewMs: variables.SANDBOX_TEMPLATE_REVIEW_MS,
    };
    this.templates = { syncIntervalMs: variables.TEMPLATE_SYNC_INTERVAL_MS };
    this.cloudApi = {
      baseUrl: variables.CLOUD_API_BASE_URL.replace(/\/+$/, ''),
      version: variables.CLOUD_API_VERSION,
      timeoutMs: variables.CLOUD_API_TIMEOUT_MS,
      uploadTimeoutMs: variables.CLOUD_API_UPLOAD_TIMEOUT_MS,
      pricesUsdCents: parsePriceList(variables.CLOUD_API_PRICES_USD_CENTS ?? ''),
    };
    this.inbound = {
      optOutKeywords: parseKeywords(variables.OPT_OUT_KEYWORDS),
      optInKeywords: parseKeywords(variables.OPT_IN_KEYWORDS),
      replyAttributionMs: variables.REPLY_ATTRIBUTION_HOURS * 3_600_000,
    };
    this.console = { enabled: variables.CONSOLE_ENABLED };
    this.webhooks = {
      allowPrivateUrls: variables.WEBHOOK_ALLOW_PRIVATE_URLS,
      timeoutMs: variables.WEBHOOK_TIMEOUT_MS,
      maxAttempts: variables.WEBHOOK_MAX_ATTEMPTS,
      backoffMs: variables.WEBHOOK_BACKOFF_MS,
      crashBeforePublishForTests: variables.TEST_CRASH_BEFORE_EVENT_PUBLISH,
    };
    this.contacts = { importHeapMb: variables.CONTACT_IMPORT_HEAP_MB, importThreads: variables.CONTACT_IMPORT_THREADS };
    this.attachments = {
      storage: variables.ATTACHMENT_STORAGE,
      directory: variables.ATTACHMENTS_DIR,
      maxBytes: variables.ATTACHMENT_MAX_BYTES ?? null,
    };
  }

  /** Validates `env` and builds the configuration; throws ConfigurationError on any bad variable. */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): AppConfig {
    return new AppConfig(validateEnvironment(env));
  }
}

/** `https://a.example, http://localhost:5173/` -> the origins as browsers send them (no trailing slash). */
export function parseCorsOrigins(text: string): string[] {
  return text
    .split(',')
    .map((origin) => origin.trim().replace(/\/$/, ''))
    .filter(Boolean);
}

/** "stop, Unsubscribe" -> ["STOP", "UNSUBSCRIBE"]. */
export function parseKeywords(text: string): string[] {
  return [...new Set(text.split(',').map((keyword) => keyword.trim().toUpperCase()).filter(Boolean))];
}

/** A number of proxies, or the addresses/subnets Express should trust; null for none. */
export function parseTrustProxy(text: string): number | string | null {
  const value = text.trim();
  if (!value) return null;
  return /^\d+$/.test(value) ? Number(value) : value;
}

function topologyOf(variables: EnvironmentVariables): RedisTopology {
  try {
    return redisTopology(variables);
  } catch (error) {
    if (error instanceof RedisTopologyError) throw new ConfigurationError([error.message]);
    throw error;
  }
}

function decodeKey(text: string): Buffer {
  return /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
}
