import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { AppConfig } from '../config';
import { AppMetrics } from '../metrics';
import { LEDGER_EVENTS, LedgerEvents } from '../message-log/ledger-events';
import { BroadcastFanOut } from './broadcast-fan-out';
import { BroadcastRepository, FanOutPosition, RecipientMoves } from './broadcast.repository';
import { BroadcastSendContext } from './broadcast.schema';

/** Outcomes buffered before a flush is forced regardless of the timer. */
const MAX_BUFFERED_OUTCOMES = 2000;
const CONTEXT_TTL_MS = 60_000;
const MAX_CACHED_CONTEXTS = 1000;

/**
 * Worker side of a broadcast's progress. Recipient outcomes are buffered and written many
 * per update (one $pull/$addToSet per broadcast per flush, on a short timer): one update
 * per recipient on a document holding a 100,000-element array would be quadratic. After
 * each flush the broadcast is finished if nothing is pending, or else its fan-out's window is
 * topped up if it has fallen below half (in the background: other broadcasts' outcomes need
 * not wait for it). Outcomes lost with a dying worker are recovered by the sweep (the message
 * logs keep them).
 */
@Injectable()
export class BroadcastProgress implements OnModuleDestroy {
  private readonly logger = new Logger(BroadcastProgress.name);
  /** Per broadcast: its client (the broadcast's shard key starts with it) and the outcomes to write. */
  private buffer = new Map<string, { clientId: string; moves: RecipientMoves }>();
  private buffered = 0;
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private readonly contexts = new Map<string, { loading: Promise<BroadcastSendContext | null>; loadedAt: number }>();
  private readonly topUps = new Set<Promise<void>>();

  constructor(
    private readonly broadcasts: BroadcastRepository,
    private readonly fanOut: BroadcastFanOut,
    private readonly config: AppConfig,
    private readonly metrics: AppMetrics,
    @Optional() @Inject(LEDGER_EVENTS) private readonly events?: LedgerEvents,
  ) {}

  record(clientId: string, broadcastId: string, recipient: string, outcome: 'sent' | 'failed'): void {
    const buffered = this.buffer.get(broadcastId) ?? { clientId, moves: { sent: [], failed: [] } };
    buffered.moves[outcome].push(recipient);
    this.buffer.set(broadcastId, buffered);
    this.buffered += 1;
    if (this.buffered >= MAX_BUFFERED_OUTCOMES) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.config.sending.progressFlushMs);
  }

  /** Writes every buffered outcome; flushes run one after another. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushBuffered());
    return this.flushing;
  }

  /**
   * What a send job needs of its broadcast (never its recipient arrays), cached briefly; null
   * when deleted. `maxAgeMs` asks for a fresher copy (a status seen earlier may have changed).
   */
  sendContext(broadcastId: string, maxAgeMs: number = CONTEXT_TTL_MS): Promise<BroadcastSendContext | null> {
    const cached = this.contexts.get(broadcastId);
    if (cached && Date.now() - cached.loadedAt < maxAgeMs) return cached.loading;
    // One read however many of the broadcast's sends ask at once (a group's recipients start together).
    const loading = this.broadcasts.findSendContext(broadcastId);
    // A failed read is not remembered.
    void loading.catch(() => {
      if (this.contexts.get(broadcastId)?.loading === loading) this.contexts.delete(broadcastId);
    });
    this.contexts.delete(broadcastId);
    if (this.contexts.size >= MAX_CACHED_CONTEXTS) this.contexts.delete(this.contexts.keys().next().value!);
    this.contexts.set(broadcastId, { loading, loadedAt: Date.now() });
    return loading;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
    await Promise.all(this.topUps);
  }

  private async flushBuffered(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = new Map();
    this.buffered = 0;
    for (const [broadcastId, { clientId, moves }] of batch) {
      try {
        const position = await this.broadcasts.moveRecipients(clientId, broadcastId, moves);
        this.metrics.recordBroadcastRecipients('sent', moves.sent.length);
        this.metrics.recordBroadcastRecipients('failed', moves.failed.length);
        const completion = await this.broadcasts.finishIfDone(clientId, broadcastId);
        if (completion) this.events?.broadcastFinished(broadcastId, completion);
        else if (position) this.topUpInBackground(position);
      } catch (error) {
        this.logger.warn({ err: error, broadcastId }, 'Could not record broadcast progress; retrying');
        for (const outcome of ['sent', 'failed'] as const) for (const recipient of moves[outcome]) this.record(clientId, broadcastId, recipient, outcome);
      }
    }
  }

  private topUpInBackground(position: FanOutPosition): void {
    const running = this.fanOut.topUpIfLow(position).then(
      () => undefined,
      (error: unknown) => this.logger.warn({ err: error, broadcastId: position.broadcastId }, "Could not top up the broadcast's send jobs; the next flush or the sweep will"),
    );
    this.topUps.add(running);
    void running.finally(() => this.topUps.delete(running));
  }
}
