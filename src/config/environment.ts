import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  getMetadataStorage,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';
import { PROVIDER_NAMES, ProviderName } from '@app/whatsapp';

/** The most recipients a broadcast's document holds safely: 15-digit numbers take about 44 bytes of BSON each (array and `to`), with room left for failures and the message under MongoDB's 16 MB. */
export const MAX_STORABLE_RECIPIENTS = 300_000;

const emptyToUndefined = ({ value }: { value: unknown }): unknown => (value === '' ? undefined : value);

/** Comma-separated words (letters, digits, spaces inside a keyword). */
const KEYWORD_LIST = /^\s*[\p{L}\p{N}][\p{L}\p{N} ]*(\s*,\s*[\p{L}\p{N}][\p{L}\p{N} ]*)*\s*$/u;

/**
 * Every environment variable the processes read, with its default. Validated once at
 * start-up; a bad or missing value stops the process with a message naming each one.
 */
export class EnvironmentVariables {
  /** Node environment: `development`, `production` or `test`. */
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  /** Port of the API (HTTP, Swagger UI at /docs, metrics at /metrics). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /**
   * MongoDB connection string (a replica set: `mongodb://m0,m1,m2/whatsapp?replicaSet=rs0`). Local mode
   * starts an embedded MongoDB when it is unset; set it where that cannot be downloaded (offline).
   * @default required; local mode: embedded
   */
  @Transform(emptyToUndefined)
  @IsString({ message: 'MONGODB_URI is required (for example mongodb://localhost:27017/whatsapp)' })
  @Matches(/^mongodb(\+srv)?:\/\/\S+$/, { message: 'MONGODB_URI must start with mongodb:// or mongodb+srv://' })
  MONGODB_URI!: string;

  /**
   * Write concern of every write (the ledger's included): `majority` survives the loss of the primary
   * on a replica set; on a single server it is the same as `1`.
   */
  @Matches(/^(majority|\d{1,2})$/, { message: 'MONGODB_WRITE_CONCERN must be majority or a number of members such as 1' })
  MONGODB_WRITE_CONCERN = 'majority';

  /** Retry a write once after a failover or network error (replica sets and sharded clusters). */
  @IsIn(['true', 'false'])
  MONGODB_RETRY_WRITES: 'true' | 'false' = 'true';

  /**
   * Where the read views (GET /message-log, contact messages, API requests, WhatsApp logs) read from;
   * `secondaryPreferred` moves them off the primary, at the cost of a replica's lag.
   */
  @IsIn(['primary', 'primaryPreferred', 'secondary', 'secondaryPreferred', 'nearest'])
  MONGODB_READ_PREFERENCE: 'primary' | 'primaryPreferred' | 'secondary' | 'secondaryPreferred' | 'nearest' = 'primary';

  /**
   * One Redis (`redis://`, `rediss://` for TLS) or a Redis Cluster (`redis+cluster://host1:port,host2:port`,
   * `rediss+cluster://` for TLS; any few masters or replicas of the cluster, the rest is discovered). With
   * REDIS_SENTINELS it is optional and only its user, password, database and scheme are used.
   * @default required unless REDIS_SENTINELS; local mode: embedded
   */
  @Transform(emptyToUndefined)
  @ValidateIf((variables: EnvironmentVariables) => variables.REDIS_URL !== undefined || variables.REDIS_SENTINELS === undefined)
  @IsString({ message: 'REDIS_URL is required (for example redis://localhost:6379), unless REDIS_SENTINELS is set' })
  @Matches(/^rediss?(\+cluster)?:\/\/\S+$/, { message: 'REDIS_URL must start with redis://, rediss://, redis+cluster:// or rediss+cluster://' })
  REDIS_URL?: string;

  /** Redis Sentinels to ask for the current master, `host:port,host:port` (port 26379 when omitted). */
  @IsOptional()
  @Matches(/^[\w.-]+(:\d{1,5})?(\s*,\s*[\w.-]+(:\d{1,5})?)*$/, {
    message: 'REDIS_SENTINELS must be comma-separated host:port pairs such as sentinel-1:26379,sentinel-2:26379',
  })
  REDIS_SENTINELS?: string;

  /** The master group the sentinels watch (`sentinel monitor <name> ...`). */
  @Matches(/^[\w.-]{1,64}$/, { message: 'REDIS_SENTINEL_NAME must be the master group name the sentinels monitor, such as mymaster' })
  REDIS_SENTINEL_NAME = 'mymaster';

  /** Password of the sentinels themselves (`requirepass` in sentinel.conf), when they have one. */
  @IsOptional()
  @IsString()
  REDIS_SENTINEL_PASSWORD?: string;

  /**
   * Send jobs are spread over this many Bull queues, by session: on a Redis Cluster each queue lives in
   * its own hash slot, so several masters share the load. Change it only with the send queues empty.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(256)
  SEND_QUEUE_SHARDS = 1;

  /** Prefix of every Bull key in Redis; lets several deployments (or test runs) share one Redis. */
  @Matches(/^[A-Za-z0-9:_-]{1,40}$/, { message: 'QUEUE_PREFIX must be 1-40 letters, digits, ":", "_" or "-"' })
  QUEUE_PREFIX = 'wa';

  /**
   * 32 bytes, base64 or hex, that encrypt session provider credentials at rest (`openssl rand -base64 32`).
   * @default required; local mode: generated in .data/
   */
  @Transform(emptyToUndefined)
  @IsString({ message: 'CREDENTIALS_ENCRYPTION_KEY is required: 32 random bytes as base64 or 64 hex characters' })
  @Matches(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=?)$/, {
    message: 'CREDENTIALS_ENCRYPTION_KEY must be 32 bytes as base64 (44 characters) or hex (64 characters)',
  })
  CREDENTIALS_ENCRYPTION_KEY!: string;

  /** pino log level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. */
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** `json` (one JSON line per entry) or `pretty` (readable, for development). */
  @IsIn(['json', 'pretty'])
  LOG_FORMAT: 'json' | 'pretty' = 'json';

  /** Largest JSON body the API accepts; 2 MB holds a broadcast to 100,000 numbers. */
  @Matches(/^\d+(b|kb|mb)$/i, { message: 'BODY_LIMIT must look like 512kb or 2mb' })
  BODY_LIMIT = '2mb';

  /**
   * Jobs one worker runs at once, per send queue. A job is one message (a single message, or one
   * broadcast recipient); a send mostly waits (for the provider, its rate slot, its batch of ledger
   * writes), so 50 jobs at 200 ms a call is 250 messages a second per worker.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  WORKER_CONCURRENCY = 50;

  /** Tries of a send whose provider error is transient (network, 5xx, throughput limit), the first included. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(50)
  SEND_ATTEMPTS = 5;

  /** First retry delay of a transient send failure; exponential after that. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SEND_BACKOFF_MS = 2000;

  /**
   * Longest wait before a message held by the portfolio's messaging limit looks again (it looks
   * sooner when the moving window is due to free room sooner, and a raised limit is seen then).
   */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  MESSAGING_LIMIT_RECHECK_MS = 60_000;

  /** How long a session's sends pause after Meta's spam rate limit (error 131048); doubled each time it repeats within four pauses' time. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SPAM_RATE_BACKOFF_MS = 60_000;

  /** The longest pause of a session's sends after repeated spam rate limits (131048). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SPAM_RATE_BACKOFF_MAX_MS = 3_600_000;

  /** Completed send jobs the queue dashboard keeps per send queue (0: none); about 1.7 KB of Redis each, and about 6 more Redis commands per job inside Bull's scripts. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  SEND_JOBS_KEEP_COMPLETED = 1000;

  /** How long a completed send job stays for the dashboard, in seconds. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SEND_JOBS_KEEP_COMPLETED_SECONDS = 3600;

  /** Send jobs that failed their last attempt the dashboard keeps per send queue (0: none). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  SEND_JOBS_KEEP_FAILED = 5000;

  /** How long a failed send job stays for the dashboard, in seconds. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SEND_JOBS_KEEP_FAILED_SECONDS = 7 * 24 * 3600;

  /** Messages per second per session (WhatsApp Cloud API default throughput). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SESSION_RATE_LIMIT_PER_SECOND = 80;

  /** Provider of new sessions: `sandbox` (no network) or `cloud-api` (the WhatsApp Business Cloud API). */
  @IsIn(PROVIDER_NAMES)
  DEFAULT_PROVIDER: ProviderName = 'sandbox';

  /** Sandbox provider: how long one send takes. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  SANDBOX_LATENCY_MS = 50;

  /** Sandbox provider: share of sends (0 to 1) that fail transiently at random. */
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  @Max(1)
  SANDBOX_FAILURE_RATE = 0;

  /** Sandbox provider: delay of its delivered and read reports (0: none are sent). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  SANDBOX_STATUS_DELAY_MS = 1000;

  /** How long the sandbox takes to review a template created in it (0: at once). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  SANDBOX_TEMPLATE_REVIEW_MS = 10000;

  /** How often a worker re-reads every WhatsApp Business Account's template catalogue from the Graph API. */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  TEMPLATE_SYNC_INTERVAL_MS = 900000;

  /** Base URL of the WhatsApp Cloud API (Graph API); tests point it at a local fake. */
  @Matches(/^https?:\/\/\S+$/, { message: 'CLOUD_API_BASE_URL must be an http(s) URL' })
  CLOUD_API_BASE_URL = 'https://graph.facebook.com';

  /** Graph API version of every Cloud API call. */
  @Matches(/^v\d+\.\d+$/, { message: 'CLOUD_API_VERSION must look like v21.0' })
  CLOUD_API_VERSION = 'v21.0';

  /** Longest wait for one Cloud API call other than a media upload. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  CLOUD_API_TIMEOUT_MS = 15000;

  /** Longest wait for one media upload (documents may be 100 MB). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  CLOUD_API_UPLOAD_TIMEOUT_MS = 120000;

  /**
   * US cents per billable message by pricing category, to turn a status webhook's
   * `pricing` into whatsAppCostInUSDCents (Meta's webhooks name the category, not the
   * amount). Rates depend on your market and contract, so there is no default: without
   * them, costs stay 0.
   */
  @IsOptional()
  @Matches(/^[a-z_]+=\d+(\.\d+)?(\s*,\s*[a-z_]+=\d+(\.\d+)?)*$/i, {
    message: 'CLOUD_API_PRICES_USD_CENTS must look like marketing=6.04,utility=0.77 (category=US cents)',
  })
  CLOUD_API_PRICES_USD_CENTS?: string;

  /**
   * Most recipients one broadcast may have. At most 300,000: a broadcast keeps its recipients in
   * its own MongoDB document (about 40 bytes each), and MongoDB's documents end at 16 MB.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_STORABLE_RECIPIENTS, { message: `BROADCAST_MAX_RECIPIENTS must be at most ${MAX_STORABLE_RECIPIENTS}: a broadcast's recipients live in one MongoDB document (16 MB)` })
  BROADCAST_MAX_RECIPIENTS = 100000;

  /**
   * A broadcast keeps about this many seconds of its session's sending in Redis as send jobs
   * (its window), topped up as they finish, so that Redis holds a broadcast by its rate, not its size.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  FAN_OUT_WINDOW_SECONDS = 60;

  /** The fewest send jobs a broadcast's window holds (a slow session still keeps its queue busy). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  FAN_OUT_WINDOW_MIN = 500;

  /** The most send jobs a broadcast's window holds (about 1 KB of Redis each), whatever its session's rate. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  FAN_OUT_WINDOW_MAX = 20000;

  /**
   * How often the sweep runs (in one worker at a time, on a timer held in each worker, so that
   * no loss of Redis data can stop it): it re-enqueues work whose job vanished from Redis.
   */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  SWEEP_INTERVAL_MS = 15000;

  /**
   * Work at least this old whose job is not in Redis is enqueued again by the sweep: pending
   * recipients of a broadcast created this long ago, single messages still unsent this long after
   * they were accepted.
   */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  SWEEP_PENDING_AGE_MS = 60000;

  /**
   * How long a worker holds a job of any of its queues (sends, fan-outs, event deliveries, inbound
   * messages; renewed at half this while it runs), and so how long a claim on a message lasts. A worker that dies frees its jobs once its heartbeat stops (about
   * 12 s) plus the stalled-job check interval, at the latest after this plus that interval; a worker
   * whose event loop stalls for longer loses its jobs to another worker (its claims then keep the
   * other from sending the same message).
   */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(600000)
  WORKER_LOCK_DURATION_MS = 20000;

  /** How often each worker looks for jobs whose worker died (Bull's stalled-job check, in every queue). */
  @Type(() => Number)
  @IsInt()
  @Min(500)
  @Max(600000)
  WORKER_STALLED_INTERVAL_MS = 5000;

  /** Longest a recipient's outcome waits in a worker before it is written to its broadcast (batched). */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(60000)
  BROADCAST_PROGRESS_FLUSH_MS = 250;

  /** Where attachment bytes live: `local` disk, or `gridfs` in MongoDB when API and workers run on several machines. */
  @IsIn(['local', 'gridfs'])
  ATTACHMENT_STORAGE: 'local' | 'gridfs' = 'local';

  /** Folder of attachment files with local storage. */
  @IsString()
  @MinLength(1)
  ATTACHMENTS_DIR = './public/attachments';

  /**
   * Optional ceiling, in bytes, on every media class's size limit (WhatsApp's own limits
   * stay the ceiling when it is higher). Lets tests and small deployments lower the limits.
   */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'ATTACHMENT_MAX_BYTES must be a whole number of bytes' })
  @Min(1, { message: 'ATTACHMENT_MAX_BYTES must be 1 or more' })
  ATTACHMENT_MAX_BYTES?: number;

  /**
   * Heap limit, in MB, of the thread that runs a large contact import (a file over 1 MB; smaller ones
   * are imported in the request). V8 collects the import's garbage within it, so an import adds about
   * this much to the API's memory whatever the file's size. The thread's own code takes about 25 MB
   * and a batch of 1,000 rows a few more; a lower limit means more collections (more CPU a row), and
   * an import that needs more than the limit (rows of many long attributes) fails, saying so.
   */
  @Type(() => Number)
  @IsInt({ message: 'CONTACT_IMPORT_HEAP_MB must be a whole number of megabytes' })
  @Min(32, { message: 'CONTACT_IMPORT_HEAP_MB must be 32 or more' })
  CONTACT_IMPORT_HEAP_MB = 64;

  /**
   * Large contact imports (files over 1 MB) running at once in one API process, each in its own thread
   * (CONTACT_IMPORT_HEAP_MB of heap, and a core while it parses). Later ones wait their turn with
   * status `queued`, so that many imports started together cost at most this many threads.
   */
  @Type(() => Number)
  @IsInt({ message: 'CONTACT_IMPORT_THREADS must be a whole number' })
  @Min(1, { message: 'CONTACT_IMPORT_THREADS must be 1 or more' })
  @Max(16, { message: 'CONTACT_IMPORT_THREADS must be 16 or fewer' })
  CONTACT_IMPORT_THREADS = 2;

  /** After SIGTERM or SIGINT, the process exits by then even if something will not close. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SHUTDOWN_TIMEOUT_MS = 10000;

  /**
   * Express's `trust proxy`: how many proxies, or which addresses, stand before the API. Without it,
   * behind a reverse proxy every client shares the proxy's address, and so one per-IP rate limit.
   */
  @IsOptional()
  @Matches(/^(\d+|[\w.:/-]+(\s*,\s*[\w.:/-]+)*)$/, {
    message: 'TRUST_PROXY must be a number of proxies (e.g. 1) or addresses/subnets such as loopback,10.0.0.0/8',
  })
  TRUST_PROXY?: string;

  /** Browser origins allowed to call the API (CORS); none by default. `*` allows every origin. */
  @IsOptional()
  @Matches(/^(\*|https?:\/\/[^\s,/]+\/?(\s*,\s*https?:\/\/[^\s,/]+\/?)*)$/, {
    message: 'CORS_ORIGINS must be * or comma-separated origins such as https://app.example.com,http://localhost:5173',
  })
  CORS_ORIGINS?: string;

  /** Requests per minute per API key across all routes, unless the key has its own limit. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_MINUTE = 6000;

  /** Requests per minute per API key to each expensive route (broadcast creation, uploads, WhatsApp-log queries). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  RATE_LIMIT_EXPENSIVE_PER_MINUTE = 60;

  /** Requests per minute per client address to routes that take no API key (health, provider webhooks). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  RATE_LIMIT_PUBLIC_PER_MINUTE = 6000;

  /** Failed authentications per minute per client address; past it, that address gets 429 until the minute ends. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  AUTH_FAILURE_LIMIT_PER_MINUTE = 30;

  /** Message logs older than this many days are deleted by the worker; unset keeps them forever. */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'MESSAGE_LOG_RETENTION_DAYS must be a whole number of days' })
  @Min(1, { message: 'MESSAGE_LOG_RETENTION_DAYS must be 1 or more (unset it to keep message logs forever)' })
  MESSAGE_LOG_RETENTION_DAYS?: number;

  /** WhatsApp logs older than this many days are deleted by the worker; unset keeps them forever. */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'WHATSAPP_LOG_RETENTION_DAYS must be a whole number of days' })
  @Min(1, { message: 'WHATSAPP_LOG_RETENTION_DAYS must be 1 or more (unset it to keep WhatsApp logs forever)' })
  WHATSAPP_LOG_RETENTION_DAYS?: number;

  /** Audit-log entries older than this many days are deleted by the worker. */
  @Type(() => Number)
  @IsInt({ message: 'AUDIT_LOG_RETENTION_DAYS must be a whole number of days' })
  @Min(1, { message: 'AUDIT_LOG_RETENTION_DAYS must be 1 or more' })
  AUDIT_LOG_RETENTION_DAYS = 365;

  /** How often a worker deletes logs past their retention. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  RETENTION_INTERVAL_MS = 3600000;

  /** Texts (whole message, trimmed, any case) with which a customer opts out of messages. */
  @Matches(KEYWORD_LIST, { message: 'OPT_OUT_KEYWORDS must be comma-separated words, e.g. STOP,UNSUBSCRIBE' })
  OPT_OUT_KEYWORDS = 'STOP,UNSUBSCRIBE,STOPALL,CANCEL';

  /**
   * An inbound message that quotes none of our messages counts as a reply to the latest broadcast
   * message its sender was sent within this many hours before it (a quoted one is attributed exactly).
   */
  @Type(() => Number)
  @IsInt({ message: 'REPLY_ATTRIBUTION_HOURS must be a whole number of hours' })
  @Min(0)
  @Max(720)
  REPLY_ATTRIBUTION_HOURS = 24;

  /** Serves the console (a web page over this API: broadcasts, their progress and results) at /console. */
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'CONSOLE_ENABLED must be true or false' })
  CONSOLE_ENABLED = true;

  /** Texts with which a customer who opted out opts back in. */
  @Matches(KEYWORD_LIST, { message: 'OPT_IN_KEYWORDS must be comma-separated words, e.g. START' })
  OPT_IN_KEYWORDS = 'START';

  /** Lets event webhook endpoints point at loopback, private or link-local addresses (development and tests only). */
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'WEBHOOK_ALLOW_PRIVATE_URLS must be true or false' })
  WEBHOOK_ALLOW_PRIVATE_URLS = false;

  /** Longest wait for a client's server to answer one event delivery. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60000)
  WEBHOOK_TIMEOUT_MS = 10000;

  /** Tries of one event delivery (the first included); with WEBHOOK_BACKOFF_MS 20000, 12 tries span about 23 hours. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(30)
  WEBHOOK_MAX_ATTEMPTS = 12;

  /** First retry delay of an event delivery; each next one waits twice as long. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  WEBHOOK_BACKOFF_MS = 20000;

  /**
   * Test hook of the chaos suite, never for production: the worker kills itself (SIGKILL) right
   * after the first ledger write that recorded a client event, before publishing it, so the suite
   * can check that the outbox sweep of another worker delivers the event. Inert unless true.
   */
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'TEST_CRASH_BEFORE_EVENT_PUBLISH must be true or false' })
  TEST_CRASH_BEFORE_EVENT_PUBLISH = false;

  /**
   * How long an idle kept-alive HTTP connection stays open. Above the idle timeouts of the load
   * balancers in front (60 s for AWS ALB and nginx's upstream keep-alive), so that the proxy, not the
   * API, closes idle connections: otherwise it reuses one the API just closed and answers 502.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(600000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 65000;

  /**
   * Longest time a request waits for its answer to start, from the end of its body: past it the API
   * answers 503, naming MongoDB or Redis when one did not answer a ping meanwhile, rather than hold
   * the request for as long as a stalled dependency stays silent. A streamed answer (live progress)
   * meets it by starting; uploads and CSV exports are exempt once authenticated (docs/reliability.md).
   */
  @Type(() => Number)
  @IsInt()
  @Min(2000)
  @Max(600000)
  REQUEST_DEADLINE_MS = 5000;

  /** Longest wait for a request's headers; kept above HTTP_KEEP_ALIVE_TIMEOUT_MS, as Node requires for kept-alive connections. */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(600000)
  HTTP_HEADERS_TIMEOUT_MS = 66000;

  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>` (API and worker alike). */
  @IsOptional()
  @Matches(/^\S{16,}$/, { message: 'METRICS_TOKEN must be at least 16 characters without spaces' })
  METRICS_TOKEN?: string;

  /**
   * Port of the worker's own GET /metrics (the API serves it on PORT); 0 for any free port. Unset:
   * 9464, or any free port when another worker on the machine holds 9464.
   */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  METRICS_PORT?: number;

  /** How often each process reads its queues' job counts for the metrics. */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  METRICS_QUEUE_SAMPLE_MS = 5000;

  /**
   * The file read into the environment at start-up; variables already set in the environment win.
   * @default .env
   */
  @IsOptional()
  @IsString()
  ENV_FILE?: string;

  /**
   * Local mode (`npm run start:local`): folder of the embedded MongoDB's and Redis' data and the generated key.
   * @default .data
   */
  @IsOptional()
  @IsString()
  LOCAL_DATA_DIR?: string;
}

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

/** Never echoed back in error messages: they may hold passwords or keys. */
const SECRET_VARIABLES = new Set(['MONGODB_URI', 'REDIS_URL', 'REDIS_SENTINEL_PASSWORD', 'CREDENTIALS_ENCRYPTION_KEY', 'METRICS_TOKEN']);

/**
 * Which failed rule speaks for a variable: presence and type before format, format before range.
 * A missing variable or `PORT=abc` breaks several rules at once, but one message says what to fix.
 */
const CONSTRAINT_PRIORITY = ['isString', 'isInt', 'isNumber', 'isIn', 'matches', 'min', 'max', 'minLength'];

function mainProblem(constraints: Record<string, string>): string {
  const [first] = Object.keys(constraints).sort((a, b) => rank(a) - rank(b));
  return constraints[first];
}

function rank(constraint: string): number {
  const index = CONSTRAINT_PRIORITY.indexOf(constraint);
  return index === -1 ? CONSTRAINT_PRIORITY.length : index;
}

/** Every variable the class validates, with or without a default. */
const KNOWN_VARIABLES = new Set(
  getMetadataStorage()
    .getTargetValidationMetadatas(EnvironmentVariables, '', true, false)
    .map(({ propertyName }) => propertyName),
);

/** The first word of a variable's name (`MONGODB` of MONGODB_URI): a name sharing one is meant for this service. */
const NAME_PREFIXES = new Set([...KNOWN_VARIABLES].map((name) => name.split('_')[0]).filter((prefix) => prefix !== 'NODE'));

/**
 * One warning per variable that looks meant for this service but is not one it reads (MONGO_URI,
 * REDIS_URI): its first word is close to that of a known variable, and a known name is a few edits
 * away. Names far from every known one (HTTP_PROXY, a platform's REDIS_PORT) are left alone.
 */
export function misspelledVariableWarnings(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((name) => !KNOWN_VARIABLES.has(name) && /^[A-Z][A-Z0-9_]*$/.test(name))
    .filter((name) => [...NAME_PREFIXES].some((prefix) => editDistance(name.split('_')[0], prefix) <= 2))
    .flatMap((name) => {
      const [nearest] = [...KNOWN_VARIABLES].map((known) => ({ known, distance: nameDistance(name, known) })).sort((a, b) => a.distance - b.distance);
      return nearest && nearest.distance <= 2 ? [`${name} is not a variable this service reads; did you mean ${nearest.known}?`] : [];
    });
}

/** How far apart two names are: the whole names', or (MONGO_URL, MONGODB_URI) a close first word plus a near-identical rest. */
function nameDistance(name: string, known: string): number {
  const [first, ...rest] = name.split('_');
  const [knownFirst, ...knownRest] = known.split('_');
  const restDistance = editDistance(rest.join('_'), knownRest.join('_'));
  return Math.min(editDistance(name, known), restDistance <= 1 ? editDistance(first, knownFirst) : Infinity);
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** Reads and validates the environment; throws one ConfigurationError naming every bad variable. */
export function validateEnvironment(env: NodeJS.ProcessEnv): EnvironmentVariables {
  const given = Object.fromEntries(
    Object.entries(env).filter(([name, value]) => KNOWN_VARIABLES.has(name) && value !== undefined && value !== ''),
  );
  const variables = plainToInstance(EnvironmentVariables, given);
  const errors = validateSync(variables);
  const problems = errors.map(({ property, constraints }) => {
    const message = mainProblem(constraints ?? {});
    const named = message.startsWith(property) ? message : `${property} ${message}`;
    const got = SECRET_VARIABLES.has(property) || given[property] === undefined ? '' : ` (got "${given[property]}")`;
    return named + got;
  });
  if (problems.length === 0 && variables.HTTP_HEADERS_TIMEOUT_MS <= variables.HTTP_KEEP_ALIVE_TIMEOUT_MS) {
    problems.push(
      `HTTP_HEADERS_TIMEOUT_MS must be greater than HTTP_KEEP_ALIVE_TIMEOUT_MS (${variables.HTTP_KEEP_ALIVE_TIMEOUT_MS}) (got "${variables.HTTP_HEADERS_TIMEOUT_MS}")`,
    );
  }
  if (env.QUEUE_DASHBOARD_CLIENTS) {
    // Left set, it would read as still protecting the dashboard; say what replaced it instead of ignoring it.
    problems.push(
      'QUEUE_DASHBOARD_CLIENTS is no longer read: tenant keys never open /admin/queues; create an operator credential with `cli operator:create` and unset the variable',
    );
  }
  if (problems.length === 0 && variables.SPAM_RATE_BACKOFF_MS > variables.SPAM_RATE_BACKOFF_MAX_MS) {
    problems.push(`SPAM_RATE_BACKOFF_MS must not be greater than SPAM_RATE_BACKOFF_MAX_MS (${variables.SPAM_RATE_BACKOFF_MAX_MS}) (got "${variables.SPAM_RATE_BACKOFF_MS}")`);
  }
  if (problems.length === 0 && variables.FAN_OUT_WINDOW_MIN > variables.FAN_OUT_WINDOW_MAX) {
    problems.push(`FAN_OUT_WINDOW_MIN must not be greater than FAN_OUT_WINDOW_MAX (${variables.FAN_OUT_WINDOW_MAX}) (got "${variables.FAN_OUT_WINDOW_MIN}")`);
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return variables;
}
