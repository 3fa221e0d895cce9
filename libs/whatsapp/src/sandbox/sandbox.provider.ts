import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InboundMessageSink } from '../inbound';
import { describeOutgoingMessage } from '../message';
import { ProviderError, SendRequest, SendResult, StatusUpdateSink, WhatsappProvider } from '../provider';

/**
 * Recipients with these endings behave the same way every time, so that tests and demos
 * can exercise failures deterministically (any valid number works, e.g. 2348031239999):
 * - ending in 9999: always fails permanently (131026, "message undeliverable");
 * - ending in 7777: the first attempt of each wire message fails transiently (130429,
 *   "rate limit hit"); the retry succeeds;
 * - ending in 1010: the customer answers each message with "Echo: <what was sent>";
 * - ending in 2020: the customer answers each message with "STOP".
 * Replies arrive after the status delay, through the same path as Cloud API webhooks' messages.
 */
export const SANDBOX_ALWAYS_FAILS_SUFFIX = '9999';
export const SANDBOX_FAILS_ONCE_SUFFIX = '7777';
export const SANDBOX_ECHO_SUFFIX = '1010';
export const SANDBOX_OPT_OUT_SUFFIX = '2020';
/** What the customer behind a number ending in SANDBOX_OPT_OUT_SUFFIX answers. */
export const SANDBOX_OPT_OUT_REPLY = 'STOP';
export const SANDBOX_PERMANENT_ERROR_CODE = '131026';
export const SANDBOX_TRANSIENT_ERROR_CODE = '130429';
export const SANDBOX_RANDOM_FAILURE_CODE = 'sandbox_random_failure';
/** Price the sandbox reports with its `delivered` update, like Cloud API pricing webhooks. */
export const SANDBOX_PRICE_IN_USD_CENTS = 1;

/** The 32 hex digits of a random UUID, from Node's pooled entropy (a randomBytes call per send costs ten times as much). */
function sandboxId(): string {
  return randomUUID().replaceAll('-', '');
}

export interface SandboxOptions {
  /** Delay of every send. */
  latencyMs: number;
  /** Share of sends (0..1) that fail transiently at random, besides the magic numbers. */
  failureRate: number;
  /** Delay before `delivered`, and again before `read`; 0 disables status updates. */
  statusDelayMs: number;
  /** Where delivered/read updates go: the same service real webhooks use. */
  statusSink?: StatusUpdateSink;
  /** Where simulated replies go (numbers ending in 1010 and 2020): the same service Cloud API webhooks' messages use. */
  inboundSink?: InboundMessageSink;
  random?: () => number;
  onStatusError?: (error: unknown) => void;
}

/**
 * The default provider: no network. Counts accepted sends per idempotency key (one key
 * per wire message of one recipient), so that tests can prove nothing was sent twice.
 */
export class SandboxProvider implements WhatsappProvider {
  readonly name = 'sandbox' as const;
  private readonly accepted = new Map<string, number>();
  private readonly attempts = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sessionViews = new Map<string, WhatsappProvider>();
  private closed = false;

  constructor(private readonly options: SandboxOptions) {}

  /** This provider as one session sees it (the same object each time): simulated replies reach that session. */
  forSession(sessionId: string): WhatsappProvider {
    let view = this.sessionViews.get(sessionId);
    if (!view) {
      view = { name: this.name, send: (request) => this.send(request, sessionId) };
      this.sessionViews.set(sessionId, view);
    }
    return view;
  }

  async send(request: SendRequest, sessionId?: string): Promise<SendResult> {
    if (this.options.latencyMs > 0) await sleep(this.options.latencyMs);
    const attempt = (this.attempts.get(request.idempotencyKey) ?? 0) + 1;
    this.attempts.set(request.idempotencyKey, attempt);
    if (request.to.endsWith(SANDBOX_ALWAYS_FAILS_SUFFIX)) {
      throw new ProviderError(
        'permanent',
        SANDBOX_PERMANENT_ERROR_CODE,
        `Message undeliverable: sandbox numbers ending in ${SANDBOX_ALWAYS_FAILS_SUFFIX} never receive messages`,
      );
    }
    if (request.to.endsWith(SANDBOX_FAILS_ONCE_SUFFIX) && attempt === 1) {
      throw new ProviderError(
        'transient',
        SANDBOX_TRANSIENT_ERROR_CODE,
        `Rate limit hit: sandbox numbers ending in ${SANDBOX_FAILS_ONCE_SUFFIX} fail their first attempt`,
      );
    }
    if (this.options.failureRate > 0 && (this.options.random ?? Math.random)() < this.options.failureRate) {
      throw new ProviderError('transient', SANDBOX_RANDOM_FAILURE_CODE, 'Simulated transient failure (SANDBOX_FAILURE_RATE)');
    }
    const providerMessageId = `wamid.sandbox.${sandboxId()}`;
    this.accepted.set(request.idempotencyKey, (this.accepted.get(request.idempotencyKey) ?? 0) + 1);
    this.scheduleStatusUpdates(providerMessageId, request.to);
    if (sessionId) this.scheduleReply(sessionId, request);
    return { providerMessageId };
  }

  /** How many times the wire message with this idempotency key was accepted. */
  sendCount(idempotencyKey: string): number {
    return this.accepted.get(idempotencyKey) ?? 0;
  }

  /** Accepted sends per idempotency key. */
  sendCounts(): ReadonlyMap<string, number> {
    return this.accepted;
  }

  /** Idempotency keys accepted more than once (should always be empty). */
  duplicateSends(): string[] {
    return [...this.accepted].filter(([, count]) => count > 1).map(([key]) => key);
  }

  /** Stops pending status updates (process shutdown). */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private later(delayMs: number, action: () => Promise<void>): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action().catch((error: unknown) => this.options.onStatusError?.(error));
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** The simulated customer's answer, for the numbers that answer. */
  private scheduleReply(sessionId: string, request: SendRequest): void {
    const { inboundSink, statusDelayMs } = this.options;
    const text = request.to.endsWith(SANDBOX_ECHO_SUFFIX)
      ? `Echo: ${describeOutgoingMessage(request.message)}`
      : request.to.endsWith(SANDBOX_OPT_OUT_SUFFIX)
        ? SANDBOX_OPT_OUT_REPLY
        : null;
    if (!inboundSink || text === null) return;
    this.later(statusDelayMs, () =>
      inboundSink.receive(sessionId, [
        {
          providerMessageId: `wamid.sandbox.in.${sandboxId()}`,
          from: request.to,
          timestamp: new Date(),
          profileName: null,
          type: 'text',
          text,
          media: null,
          location: null,
          contacts: null,
          reply: null,
          reaction: null,
          replyTo: null,
        },
      ]),
    );
  }

  private scheduleStatusUpdates(providerMessageId: string, recipient: string): void {
    const { statusSink, statusDelayMs } = this.options;
    if (!statusSink || statusDelayMs <= 0) return;
    const later = (delayMs: number, action: () => Promise<void>): void => this.later(delayMs, action);
    later(statusDelayMs, async () => {
      await statusSink.apply({
        providerMessageId,
        status: 'delivered',
        timestamp: new Date(),
        recipient,
        costInUsdCents: SANDBOX_PRICE_IN_USD_CENTS,
      });
      later(statusDelayMs, () => statusSink.apply({ providerMessageId, status: 'read', timestamp: new Date(), recipient }));
    });
  }
}
