import { Inject, Injectable, Logger, Optional, UnauthorizedException } from '@nestjs/common';
import { parseNumberQualityWebhook, verifyWebhookSignature } from '@app/whatsapp';
import { portfolioOf, SessionRecord } from '../auth';
import { SessionRepository } from '../auth/session.repository';
import { CloudApiAccounts } from '../cloud-api/cloud-api-accounts';
import { Clock } from '../core/clock';
import type { OutboxedEvents } from '../event-webhook/document-outbox';
import { EventPublisher } from '../event-webhook/event-publisher';
import { FLAGGED_NUMBER_BROADCASTS, FlaggedNumberBroadcasts } from '../messaging-limit/flagged-number-broadcasts';
import { MessagingLimits } from '../messaging-limit/messaging-limits';
import { flaggedPauseEvent, qualityChangedEvent } from '../messaging-limit/number-quality-events';

/**
 * Meta's number-quality and capability notifications (`phone_number_quality_update`,
 * `business_capability_update`), which name the Business Account: applied to the sessions of
 * that account whose app secret signed the body. The quality event is kept on the session, the
 * limit it gives is set on the session's portfolio, a FLAGGED number pauses its marketing
 * broadcasts unless the session says otherwise (pause_on_flag), and the client hears of it
 * (`session.quality_changed`, and `broadcast.paused` for each broadcast paused).
 */
@Injectable()
export class NumberQualityReceiver {
  private readonly logger = new Logger(NumberQualityReceiver.name);

  constructor(
    private readonly sessions: SessionRepository,
    private readonly accounts: CloudApiAccounts,
    private readonly limits: MessagingLimits,
    private readonly clock: Clock,
    @Inject(FLAGGED_NUMBER_BROADCASTS) private readonly flagged: FlaggedNumberBroadcasts,
    @Optional() private readonly events?: EventPublisher,
  ) {}

  /** How many sessions the notifications reached; null when the payload holds none. */
  async receive(rawBody: Buffer, signature: string, payload: unknown): Promise<number | null> {
    const events = parseNumberQualityWebhook(payload);
    if (events.length === 0) return null;
    const signedByWaba = new Map<string, SessionRecord[]>();
    for (const wabaId of new Set(events.map((event) => event.wabaId))) {
      const signed = (await this.sessions.listByWabaId(wabaId)).filter((session) => verifyWebhookSignature(rawBody, signature, this.accounts.credentialsOf(session).app_secret));
      if (signed.length === 0) {
        this.logger.warn(`Refused a number-quality webhook for WABA ${wabaId}: no session of that account signed it`);
        throw new UnauthorizedException('Invalid X-Hub-Signature-256 signature');
      }
      signedByWaba.set(wabaId, signed);
    }
    const at = this.clock.now();
    const recorded: OutboxedEvents[] = [];
    let reached = 0;
    for (const event of events) {
      const sessions = (signedByWaba.get(event.wabaId) ?? []).filter((session) => event.phoneNumber === null || session.phone_number === event.phoneNumber);
      const portfolios = new Set<string>();
      for (const session of sessions) {
        const clientId = session.client_id.toHexString();
        reached += 1;
        const portfolio = `${clientId}:${portfolioOf(session)}`;
        if (event.messagingLimit !== undefined && !portfolios.has(portfolio)) {
          portfolios.add(portfolio);
          await this.limits.setLimit(clientId, portfolioOf(session), event.messagingLimit, 'webhook');
        }
        if (!event.event) continue;
        const change = { session, quality: event.event, messagingLimit: event.messagingLimit, metaTime: event.time, at };
        let paused: string[] = [];
        if (event.event === 'FLAGGED' && session.pause_on_flag !== false) {
          // Each broadcast's pause records its own broadcast.paused.
          paused = await this.flagged.pauseMarketingOf(clientId, session._id.toHexString(), (broadcastId) => flaggedPauseEvent(change, broadcastId));
          this.logger.log({ sessionId: session._id, paused }, 'Number FLAGGED by Meta: its marketing broadcasts paused');
        }
        // The quality is kept with its event (an older notification than the one kept changes nothing, and tells nothing).
        const changed = qualityChangedEvent({ ...change, pausedBroadcasts: paused });
        if (await this.sessions.setQuality(session._id.toHexString(), event.event, at, [changed])) {
          recorded.push({ outbox: this.sessions.outbox, id: session._id, events: [changed] });
        }
      }
    }
    // What was applied stays applied: an event that cannot be published now is left to the outbox sweep, not retried by Meta.
    await this.events?.clientEventsRecorded(recorded);
    return reached;
  }
}
