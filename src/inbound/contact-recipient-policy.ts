import { Injectable } from '@nestjs/common';
import { enforcesServiceWindow } from '../auth';
import { AppConfig } from '../config';
import { ContactService } from '../contact/contact.service';
import type { RecipientState } from '../contact/contact.repository';
import { Batcher } from '../core/batcher';
import type { MessageFailure } from '../message-log/message-log.repository';
import { MessagingLimits } from '../messaging-limit/messaging-limits';
import { isFreeForm, MessageToCheck, RecipientPolicy, RecipientWait } from '../sending/recipient-policy';

/** WhatsApp's customer-service window: free-form messages only within 24 hours of the customer's last message. */
export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

export const OPTED_OUT_FAILURE: MessageFailure = {
  code: 'opted_out',
  message: 'The recipient opted out (an opt-out keyword such as STOP); nothing is sent to them until they write START',
};

export const OUTSIDE_WINDOW_FAILURE: MessageFailure = {
  code: 'outside_customer_service_window',
  message:
    'The recipient has not written to this session in the last 24 hours: outside the customer-service window WhatsApp only delivers template messages (error 131047)',
};

export const MARKETING_STOPPED_FAILURE: MessageFailure = {
  code: 'marketing_stopped',
  message: 'The recipient stopped marketing messages from this business (WhatsApp error 131050): marketing templates are not sent to them; utility and authentication templates still are',
};

/** Why a message waits for the portfolio's messaging limit. */
export const WAITING_FOR_LIMIT = 'waiting_for_limit';

/** Lookups gathered into one query (per client): sends of one worker share it, like the ledger's writes. */
const LOOKUP_BATCH_SIZE = 100;
const LOOKUP_BATCH_DELAY_MS = 5;

interface Lookup {
  clientId: string;
  phone: string;
}

/**
 * The recipient policy of two-way messaging, checked once per message before it is sent:
 * an opted-out number gets nothing, and a free-form message needs the recipient to have
 * written to the session within 24 hours where the session enforces the window. A message to
 * someone outside that window is business-initiated: it counts against the portfolio's
 * messaging limit, and waits while the limit is reached. Contacts
 * are read fresh (a STOP counts from the next message on), in one query per batch of
 * concurrent sends rather than one per message.
 */
@Injectable()
export class ContactRecipientPolicy implements RecipientPolicy {
  private readonly lookups = new Batcher<Lookup, RecipientState | null>((lookups) => this.read(lookups), {
    maxBatchSize: LOOKUP_BATCH_SIZE,
    maxDelayMs: LOOKUP_BATCH_DELAY_MS,
  });

  constructor(
    private readonly contacts: ContactService,
    private readonly limits: MessagingLimits,
    private readonly config: AppConfig,
  ) {}

  async verdict({ clientId, session, recipient, content }: MessageToCheck, now: Date = new Date(this.limits.now())): Promise<MessageFailure | RecipientWait | null> {
    const state = await this.lookups.submit({ clientId, phone: recipient });
    if (state?.optedOut) return OPTED_OUT_FAILURE;
    if (state?.marketingStopped && content.template?.category?.toUpperCase() === 'MARKETING') return MARKETING_STOPPED_FAILURE;
    const lastInbound = state?.lastInboundBySession.get(session._id.toHexString());
    const insideWindow = lastInbound !== undefined && now.getTime() - new Date(lastInbound).getTime() <= SERVICE_WINDOW_MS;
    if (insideWindow) return null;
    if (isFreeForm(content) && enforcesServiceWindow(session)) return OUTSIDE_WINDOW_FAILURE;
    const wait = await this.limits.admit(session, recipient);
    if (!wait) return null;
    const retryInMs = Math.min(Math.max(wait.waitUntil.getTime() - this.limits.now(), 0), this.config.sending.messagingLimitRecheckMs);
    return { reason: WAITING_FOR_LIMIT, waitUntil: wait.waitUntil, retryInMs };
  }

  async marketingStopped(clientId: string, recipient: string, at: Date): Promise<void> {
    await this.contacts.setMarketingStopped(clientId, recipient, at);
  }

  private async read(lookups: Lookup[]): Promise<Array<RecipientState | null>> {
    const phonesByClient = new Map<string, Set<string>>();
    for (const { clientId, phone } of lookups) phonesByClient.set(clientId, (phonesByClient.get(clientId) ?? new Set()).add(phone));
    const states = new Map<string, RecipientState>();
    await Promise.all(
      [...phonesByClient].map(async ([clientId, phones]) => {
        for (const state of await this.contacts.recipientStates(clientId, [...phones])) states.set(`${clientId}:${state.phone}`, state);
      }),
    );
    return lookups.map(({ clientId, phone }) => states.get(`${clientId}:${phone}`) ?? null);
  }
}
