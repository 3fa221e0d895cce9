import { Injectable } from '@nestjs/common';
import { portfolioOf, SessionRecord } from '../auth';
import { AppConfig } from '../config';
import { ContactService } from '../contact/contact.service';
import { SERVICE_WINDOW_MS } from '../inbound/contact-recipient-policy';
import type { MessageContent } from '../message-content/message-content.schema';
import { LIMIT_WINDOW_MS } from '../messaging-limit/messaging-limit-counter';
import { MessagingLimits } from '../messaging-limit/messaging-limits';
import { countryOf } from '../rate-card/country-of';
import { CostEstimate, PlanCost, pricedCategory } from '../rate-card/cost-estimate';
import { RateCards } from '../rate-card/rate-cards';
import { isFreeForm } from '../sending/recipient-policy';
import type { RecipientFailure } from './broadcast.schema';

/** Contacts read in one query while planning. */
const PLAN_LOOKUP_CHUNK_SIZE = 2000;
/** Why a plan has no cost when no rate card is in force. */
export const NO_RATE_CARD_NOTE = 'No rate card is loaded (or none is effective yet): the operator loads Meta\'s with `cli rate-card:load --file <csv>`.';
/** The invalid numbers a plan lists by name (it counts them all). */
export const PLAN_LISTED_INVALID = 100;

/** What POST /broadcast/plan answers, and what a broadcast keeps of it (`plan`) to compare its results with. */
export interface DeliveryPlan {
  /** When the plan was made. */
  planned_at: Date;
  recipients: {
    /** Numbers given (or contacts in the audience). */
    given: number;
    /** Distinct valid numbers. */
    valid: number;
    /** Given more than once (after normalisation). */
    duplicates: number;
    invalid: number;
    /** The first PLAN_LISTED_INVALID invalid inputs with their reason (POST /broadcast refuses them unless skip_invalid). */
    invalid_numbers: Array<{ input: string; reason: string }>;
  };
  /** Valid recipients that get nothing, by reason. */
  refused: { opted_out: number; marketing_stopped: number; without_opt_in: number; outside_window_free_form: number };
  /** The customer-service window (the person wrote to this session in the last 24 hours): free-form is delivered inside, fails outside. */
  window: { inside: number; outside: number };
  messaging_limit: {
    portfolio_id: string;
    /** null: none enforced. */
    limit: number | null;
    reached_in_window: number;
    /** Business-initiated messages (outside the window) this broadcast would send. */
    business_initiated: number;
    /** Of those, how many go at once, and how many wait for the moving window to free room. */
    within_limit: number;
    waiting: number;
    first_waiting_starts_at: Date | null;
    last_waiting_starts_at: Date | null;
  };
  /** Messages that will be sent (now or after waiting) and that will fail before any provider call. */
  will_send: number;
  will_fail: number;
  duration: { messages_per_second: number; expected_seconds: number; expected_end: Date };
  /** The messages that will be sent, priced at the rate card in force by market and window; null when no card is. */
  cost: PlanCost | null;
  /** Why cost is null (null when it is not). */
  cost_note: string | null;
}

/** What a plan is made from: the request already checked and its recipients resolved, as POST /broadcast would store them. */
export interface PlanInput {
  clientId: string;
  session: SessionRecord;
  message: Pick<MessageContent, 'text' | 'attachments' | 'location' | 'contactId'> & { template?: { category?: string } | null };
  given: number;
  valid: string[];
  invalid: Array<{ input: string; reason: string }>;
  /** Valid recipients refused before sending (no opt-in where it is required). */
  refused: RecipientFailure[];
}

/**
 * The delivery plan of a broadcast before it sends: who gets what (opt-outs, the stopped
 * marketing, the customer-service window), who waits for the portfolio's messaging limit and
 * until when, and how long it takes at the session's rate. It reads the contacts and the limit's
 * count and writes nothing.
 */
@Injectable()
export class DeliveryPlanner {
  constructor(
    private readonly contacts: ContactService,
    private readonly limits: MessagingLimits,
    private readonly config: AppConfig,
    private readonly rateCards: RateCards,
  ) {}

  async plan({ clientId, session, message, given, valid, invalid, refused }: PlanInput): Promise<DeliveryPlan> {
    const now = this.limits.now();
    const sessionKey = session._id.toHexString();
    const marketing = message.template?.category?.toUpperCase() === 'MARKETING';
    const freeForm = isFreeForm(message);
    const enforcesWindow = session.enforce_service_window ?? session.provider === 'cloud-api';
    const refusedForConsent = new Set(refused.map(({ recipient }) => recipient));
    const card = await this.rateCards.inForce(new Date(now));
    const cost = card ? new CostEstimate(card, pricedCategory(message.template?.category, freeForm)) : null;
    const counts = { optedOut: 0, marketingStopped: 0, outsideFreeForm: 0, inside: 0, outside: 0 };
    /** Recipients whose message is business-initiated, in send order. */
    const businessInitiated: string[] = [];
    for (let start = 0; start < valid.length; start += PLAN_LOOKUP_CHUNK_SIZE) {
      const chunk = valid.slice(start, start + PLAN_LOOKUP_CHUNK_SIZE);
      const states = new Map((await this.contacts.recipientStates(clientId, chunk)).map((state) => [state.phone, state]));
      for (const recipient of chunk) {
        const state = states.get(recipient);
        const lastInbound = state?.lastInboundBySession.get(sessionKey);
        const inside = lastInbound !== undefined && now - new Date(lastInbound).getTime() <= SERVICE_WINDOW_MS;
        if (inside) counts.inside++;
        else counts.outside++;
        if (refusedForConsent.has(recipient)) continue;
        if (state?.optedOut) counts.optedOut++;
        else if (marketing && state?.marketingStopped) counts.marketingStopped++;
        else if (!inside && freeForm && enforcesWindow) counts.outsideFreeForm++;
        else {
          if (!inside) businessInitiated.push(recipient);
          cost?.add(countryOf(recipient), inside);
        }
      }
    }
    const portfolioId = portfolioOf(session);
    const { limit, standing } = await this.limits.standing(clientId, portfolioId);
    // Someone reached in the window already counts; the others take the room left, then wait in order.
    const newcomers = limit === null ? 0 : businessInitiated.filter((recipient) => !standing.reached.has(recipient)).length;
    const room = limit === null ? Infinity : Math.max(0, limit - standing.times.length);
    const waiting = Math.max(0, newcomers - room);
    const starts = waiting > 0 && limit !== null ? waitingStarts(standing.times, room, waiting, now) : null;
    const willFail = refused.length + counts.optedOut + counts.marketingStopped + counts.outsideFreeForm;
    const willSend = valid.length - willFail;
    const perSecond = session.rate_limit_per_second ?? this.config.sending.sessionRateLimitPerSecond;
    const sendingMs = (willSend / perSecond) * 1000;
    const end = Math.max(now + sendingMs, starts ? starts.last : 0);
    return {
      planned_at: new Date(now),
      recipients: { given, valid: valid.length, duplicates: Math.max(0, given - valid.length - invalid.length), invalid: invalid.length, invalid_numbers: invalid.slice(0, PLAN_LISTED_INVALID) },
      refused: { opted_out: counts.optedOut, marketing_stopped: counts.marketingStopped, without_opt_in: refused.length, outside_window_free_form: counts.outsideFreeForm },
      window: { inside: counts.inside, outside: counts.outside },
      messaging_limit: {
        portfolio_id: portfolioId,
        limit,
        reached_in_window: standing.times.length,
        business_initiated: businessInitiated.length,
        within_limit: businessInitiated.length - waiting,
        waiting,
        first_waiting_starts_at: starts ? new Date(starts.first) : null,
        last_waiting_starts_at: starts ? new Date(starts.last) : null,
      },
      will_send: willSend,
      will_fail: willFail,
      duration: { messages_per_second: perSecond, expected_seconds: Math.ceil((end - now) / 1000), expected_end: new Date(end) },
      cost: cost?.result() ?? null,
      cost_note: cost ? null : NO_RATE_CARD_NOTE,
    };
  }
}

/**
 * When the first and last of `waiting` recipients past the room left can go: places free up as
 * reaches leave the moving window, oldest first (those counted now, then the `room` taken at
 * once by this broadcast, then the waiters themselves a window after they went).
 */
export function waitingStarts(times: number[], room: number, waiting: number, now: number): { first: number; last: number } {
  const starts: number[] = [];
  const ahead = times.length + room;
  for (let k = 0; k < waiting; k++) {
    const freedBy = k < times.length ? times[k] : k < ahead ? now : starts[k - ahead];
    starts.push(freedBy + LIMIT_WINDOW_MS);
  }
  return { first: starts[0], last: starts[starts.length - 1] };
}
