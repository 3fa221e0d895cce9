import type { OutgoingMessage } from './message';

export const PROVIDER_NAMES = ['sandbox', 'cloud-api'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** Everything a provider needs to send one wire message for one session. */
export interface SendRequest {
  /** Recipient, digits-only international form (e.g. 2348179803743). */
  to: string;
  message: OutgoingMessage;
  /** Stable across retries of the same wire message; providers may use it to deduplicate. */
  idempotencyKey: string;
}

export interface SendResult {
  /** The provider's id for the message (Cloud API `wamid.*`). */
  providerMessageId: string;
  /** Price, when the provider reports it at send time. */
  costInUsdCents?: number;
}

/** A session's way of reaching WhatsApp. Implementations know nothing of Nest, MongoDB or tenants. */
export interface WhatsappProvider {
  readonly name: ProviderName;
  send(request: SendRequest): Promise<SendResult>;
}

export type ProviderFailureKind = 'transient' | 'permanent';

/**
 * A failed provider call. `transient` failures are retried with backoff; `permanent`
 * ones fail the recipient at once with the provider's code and message.
 */
export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderFailureKind,
    readonly code: string,
    message: string,
    readonly options: {
      /** The provider asked for this delay before the next attempt. */
      retryAfterMs?: number;
      /** The session's credentials are unusable (e.g. expired token): stop sending for it. */
      sessionUnusable?: boolean;
      /**
       * A limit of the whole sender was hit, not only of this message: `throughput` (messages per
       * second, 130429) or `spam_rate` (Meta's spam rate limit, 131048); the session's sends wait.
       */
      throttled?: 'throughput' | 'spam_rate';
      /** The recipient stopped marketing messages (131050): remembered on the contact. */
      marketingStopped?: boolean;
    } = {},
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  get isTransient(): boolean {
    return this.kind === 'transient';
  }
}

/** Delivery states a provider reports after the send, in the order they can happen. */
export const DELIVERY_STATUSES = ['sent', 'delivered', 'read', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A status report for a sent message: from a webhook, or emitted by the sandbox. */
export interface StatusUpdate {
  providerMessageId: string;
  status: DeliveryStatus;
  timestamp: Date;
  recipient?: string;
  error?: { code: string; message: string };
  costInUsdCents?: number;
}

/** Where providers hand status updates; the application implements it once for all sources. */
export interface StatusUpdateSink {
  apply(update: StatusUpdate): Promise<void>;
}
