import { BadRequestException, ForbiddenException, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { parseInboundWebhook, parseStatusWebhook, verifyWebhookSignature, webhookPhoneNumberIds } from '@app/whatsapp';
import { SessionRepository } from '../auth/session.repository';
import { hashSecret } from '../auth/secrets';
import { CloudApiAccount, CloudApiAccounts } from '../cloud-api/cloud-api-accounts';
import { AppConfig } from '../config';
import { DeliveryStatusService } from '../delivery-status/delivery-status.service';
import { InboundService } from '../inbound/inbound.service';
import { TemplateWebhookReceiver } from '../template/template-webhook.receiver';
import { NumberQualityReceiver } from './number-quality.receiver';

export interface WebhookOutcome {
  /** Status updates handed to the ledger (repeated or stale ones included: applying them is harmless). */
  updates: number;
  /** Customers' messages recorded for the first time (a redelivered one is not counted again). */
  messages: number;
  /** Template catalogue entries changed by template notifications (present only on such a webhook). */
  templates?: number;
  /** Sessions reached by number-quality or capability notifications (present only on such a webhook). */
  numbers?: number;
}

type StatusBatch = ReturnType<typeof parseStatusWebhook>[number];

/**
 * Cloud API webhooks: the subscription handshake, status updates and customers' messages,
 * applied to the ledger only once their signature proves they come from the session's Meta app.
 */
@Injectable()
export class WhatsappWebhookService {
  private readonly logger = new Logger(WhatsappWebhookService.name);

  constructor(
    private readonly accounts: CloudApiAccounts,
    private readonly sessions: SessionRepository,
    private readonly deliveryStatus: DeliveryStatusService,
    private readonly inbound: InboundService,
    private readonly config: AppConfig,
    private readonly templateEvents: TemplateWebhookReceiver,
    private readonly numberQuality: NumberQualityReceiver,
  ) {}

  /** The challenge to echo when a cloud-api session was set up with this verify token. */
  async answerHandshake(verifyToken: string, challenge: string): Promise<string> {
    const known = await this.sessions.existsWithWebhookVerifyTokenHash('cloud-api', hashSecret(verifyToken));
    if (!known) throw new ForbiddenException('hub.verify_token matches no cloud-api session');
    return challenge;
  }

  async receive(rawBody: Buffer | undefined, signature: string | undefined, payload: unknown): Promise<WebhookOutcome> {
    if (!signature) throw new UnauthorizedException('Missing X-Hub-Signature-256 header');
    if (!rawBody) throw new BadRequestException('The webhook body must be JSON sent as application/json');

    const phoneNumberIds = webhookPhoneNumberIds(payload);
    // Account-level notifications (or junk) name no sender: accepted, writing nothing, only when some session's app secret signed them.
    if (phoneNumberIds.length === 0) {
      // Number-quality and capability notifications name the Business Account too.
      const numbers = await this.numberQuality.receive(rawBody, signature, payload);
      if (numbers !== null) return { updates: 0, messages: 0, numbers };
      // Template notifications name the Business Account: verified against its sessions' app secrets.
      const templates = await this.templateEvents.receive(rawBody, signature, payload);
      if (templates !== null) return { updates: 0, messages: 0, templates };
      if (!(await this.accounts.signedByAnyAccount(rawBody, signature))) {
        this.logger.warn('Refused a webhook that names no phone_number_id: no session signed it');
        throw new UnauthorizedException('Invalid X-Hub-Signature-256 signature');
      }
      return { updates: 0, messages: 0 };
    }

    // Every sender the payload names must be ours and must have signed it; else nothing is applied.
    const accounts = new Map<string, CloudApiAccount>();
    for (const phoneNumberId of phoneNumberIds) {
      const account = await this.accounts.findByPhoneNumberId(phoneNumberId);
      if (!account || !verifyWebhookSignature(rawBody, signature, account.credentials.app_secret)) {
        this.logger.warn(`Refused a webhook for phone_number_id ${phoneNumberId}: ${account ? 'bad signature' : 'no such session'}`);
        throw new UnauthorizedException('Invalid X-Hub-Signature-256 signature');
      }
      accounts.set(phoneNumberId, account);
    }

    let updates = 0;
    for (const batch of parseStatusWebhook(payload, this.config.cloudApi.pricesUsdCents)) {
      const account = accounts.get(batch.phoneNumberId);
      if (account) updates += await this.applyForSession(account, batch);
    }
    let messages = 0;
    for (const batch of parseInboundWebhook(payload)) {
      const account = accounts.get(batch.phoneNumberId);
      if (account) messages += await this.inbound.receiveForSession(account.session, batch.messages);
    }
    return { updates, messages };
  }

  /**
   * Applies the updates about messages this session sent. A session's app secret vouches
   * for its own messages only: an update naming another session's message is skipped.
   */
  private async applyForSession(account: CloudApiAccount, batch: StatusBatch): Promise<number> {
    let applied = 0;
    for (const update of batch.updates) {
      // Another session's call is left alone; an unknown id (the webhook beat our write) waits for this session's call only.
      await this.deliveryStatus.apply(update, account.session._id.toHexString());
      applied += 1;
    }
    return applied;
  }
}
