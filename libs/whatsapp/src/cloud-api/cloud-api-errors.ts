import { ProviderError } from '../provider';

/** The `error` object of a Graph API error answer. */
export interface GraphApiError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_user_title?: string;
  error_user_msg?: string;
  error_data?: { messaging_product?: string; details?: string } | string;
  fbtrace_id?: string;
}

/** Codes of our own, for failures that never reached a Cloud API answer. */
export const NETWORK_ERROR_CODE = 'network_error';
export const TIMEOUT_ERROR_CODE = 'timeout';
export const UNEXPECTED_RESPONSE_CODE = 'unexpected_response';

/** Delay before retrying when the Cloud API gives no Retry-After and the code has no better hint. */
export const DEFAULT_TRANSIENT_RETRY_MS = 5_000;

/**
 * Cloud API codes worth retrying, with how long to wait first.
 * https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
 */
export const TRANSIENT_ERROR_RETRY_MS: Readonly<Record<number, number>> = {
  1: 5_000, // API Unknown: possibly temporary downtime
  2: 5_000, // API Service: temporary downtime or overload
  4: 60_000, // Too many calls: the app's hourly call budget
  80007: 60_000, // Rate limit issues of the WhatsApp Business Account
  130429: 2_000, // Throughput of the phone number (messages per second) reached
  131000: 5_000, // Something went wrong
  131016: 10_000, // Service unavailable
  131048: 60_000, // Spam rate limit: too many messages refused or reported; the session's sends pause (see SPAM_RATE_LIMIT_CODE)
  131056: 6_000, // Pair rate limit: too many messages to the same recipient in a short time
  131057: 60_000, // Business account in maintenance mode
  133004: 10_000, // Server temporarily unavailable
};

/** Throughput of the phone number reached: the session's sends slow down. */
export const THROUGHPUT_LIMIT_CODE = 130429;
/** Meta's spam rate limit: the session's sends pause for a backoff that grows while it repeats. */
export const SPAM_RATE_LIMIT_CODE = 131048;
/** Pair rate limit: this recipient is retried no sooner than its delay, even when Retry-After says less. */
export const PAIR_RATE_LIMIT_CODE = 131056;
/** The user stopped marketing messages from this business. */
export const MARKETING_STOPPED_CODE = 131050;

/**
 * Permanent codes after which no message of the session can succeed until someone fixes
 * its credentials or account: its sends stop, with the reason shown on the session.
 */
export const SESSION_UNUSABLE_ERROR_CODES: ReadonlySet<number> = new Set([
  0, // AuthException: the access token cannot be used
  3, // Capability: the app lacks the API capability
  10, // Permission denied
  190, // Access token expired or invalidated
  368, // Temporarily blocked for policy violations
  131031, // Business account locked
  131042, // Business eligibility: payment issue
  133010, // Phone number not registered on the Cloud API
]);

/**
 * Template errors: permanent for the message (the send must change, or the template), each
 * named in the ledger. 132015 and 132016 also mean the template stopped being sendable.
 */
export const TEMPLATE_ERROR_NAMES: Readonly<Record<number, string>> = {
  132000: 'Template parameter count mismatch',
  132001: 'Template does not exist in this language',
  132005: 'Template text too long once filled in',
  132007: 'Template format character policy violated',
  132012: 'Template parameter format mismatch',
  132015: 'Template is paused for low quality',
  132016: 'Template is disabled',
};

/**
 * Permanent codes about this one message, each named so that the ledger says what happened in
 * words as well as Meta's: nothing about the session or the system follows from them.
 */
export const MESSAGE_ERROR_NAMES: Readonly<Record<number, string>> = {
  131047: 'Outside the customer-service window (the recipient has not written in 24 hours): only a template can be sent',
  131049: "Meta's per-user marketing limit: WhatsApp chose not to deliver this marketing message (not counted as a failure of this service)",
  131050: 'The recipient stopped marketing messages from this business',
};

/** Graph API permission errors (200-299) mean the token lacks a permission: the session is unusable too. */
function isPermissionCode(code: number): boolean {
  return code >= 200 && code <= 299;
}

/**
 * Maps one failed Cloud API answer to a ProviderError: transient (retry, with the
 * delay the code calls for) or permanent (fail the message; perhaps the whole session).
 */
export function classifyCloudApiError(httpStatus: number, error: GraphApiError | undefined, retryAfterMs?: number): ProviderError {
  const code = typeof error?.code === 'number' ? error.code : undefined;
  const message = describeGraphError(httpStatus, error);
  const errorCode = code === undefined ? `http_${httpStatus}` : String(code);

  if (code !== undefined && code in TRANSIENT_ERROR_RETRY_MS) {
    const codeDelay = TRANSIENT_ERROR_RETRY_MS[code];
    // A pair-rate retry sooner than its delay only meets the same limit.
    const delay = code === PAIR_RATE_LIMIT_CODE ? Math.max(retryAfterMs ?? 0, codeDelay) : (retryAfterMs ?? codeDelay);
    const throttled = code === THROUGHPUT_LIMIT_CODE ? 'throughput' : code === SPAM_RATE_LIMIT_CODE ? 'spam_rate' : undefined;
    return new ProviderError('transient', errorCode, message, { retryAfterMs: delay, ...(throttled ? { throttled } : {}) });
  }
  if (code !== undefined && (SESSION_UNUSABLE_ERROR_CODES.has(code) || isPermissionCode(code))) {
    return new ProviderError('permanent', errorCode, message, { sessionUnusable: true });
  }
  // An unknown code on a 5xx, a 429 or an answer without any code: the server side is at fault.
  if (httpStatus >= 500 || httpStatus === 429 || (code === undefined && httpStatus === 408)) {
    return new ProviderError('transient', errorCode, message, { retryAfterMs: retryAfterMs ?? DEFAULT_TRANSIENT_RETRY_MS });
  }
  const name = code === undefined ? undefined : (TEMPLATE_ERROR_NAMES[code] ?? MESSAGE_ERROR_NAMES[code]);
  if (name !== undefined) {
    const named = message.toLowerCase().includes(name.toLowerCase()) ? message : `${name}: ${message}`;
    return new ProviderError('permanent', errorCode, named, code === MARKETING_STOPPED_CODE ? { marketingStopped: true } : {});
  }
  if (httpStatus === 401 && code === undefined) {
    return new ProviderError('permanent', errorCode, message, { sessionUnusable: true });
  }
  return new ProviderError('permanent', errorCode, message);
}

/** A one-line, human explanation: the Cloud API's message plus its details when they add something. */
export function describeGraphError(httpStatus: number, error: GraphApiError | undefined): string {
  const title = error?.message?.trim() || `Cloud API answered HTTP ${httpStatus}`;
  const details = typeof error?.error_data === 'string' ? error.error_data : error?.error_data?.details;
  const extra = details?.trim() || error?.error_user_msg?.trim();
  return extra && !title.includes(extra) ? `${title}: ${extra}` : title;
}

/** Seconds or an HTTP date in a Retry-After header, as milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
