import { BadRequestException, ForbiddenException, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { parseStatusWebhook, verifyWebhookSignature, webhookPhoneNumberIds } from '@app/whatsapp';
import { SessionRepository } from '../auth/session.repository';
import { hashSecret } from '../auth/secrets';
import { CloudApiAccounts } from '../cloud-api/cloud-api-accounts';
import { AppConfig } from '../config';
import { DeliveryStatusService } from '../delivery-status/delivery-status.service';

export interface WebhookOutcome {
  /** Status updates handed to the ledger (repeated or stale ones included: applying them is harmless). */
  updates: number;
}

/**
 * Cloud API webhooks: the subscription handshake, and status updates that are applied to
 * the ledger only once their signature proves they come from the session's Meta app.
 */
@Injectable()
export class WhatsappWebhookService {
  private readonly logger = new Logger(WhatsappWebhookService.name);

  constructor(
    private readonly accounts: CloudApiAccounts,
    private readonly sessions: SessionRepository,
    private readonly deliveryStatus: DeliveryStatusService,
    private readonly config: AppConfig,
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
    // Account-level notifications name no sender: no session's secret can check them, and nothing is written.
    if (phoneNumberIds.length === 0) return { updates: 0 };

    // Every sender the payload names must be ours and must have signed it; else nothing is applied.
    for (const phoneNumberId of phoneNumberIds) {
      const account = await this.accounts.findByPhoneNumberId(phoneNumberId);
      if (!account || !verifyWebhookSignature(rawBody, signature, account.credentials.app_secret)) {
        this.logger.warn(`Refused a webhook for phone_number_id ${phoneNumberId}: ${account ? 'bad signature' : 'no such session'}`);
        throw new UnauthorizedException('Invalid X-Hub-Signature-256 signature');
      }
    }

    let updates = 0;
    for (const batch of parseStatusWebhook(payload, this.config.cloudApi.pricesUsdCents)) {
      for (const update of batch.updates) {
        await this.deliveryStatus.apply(update);
        updates += 1;
      }
    }
    return { updates };
  }
}
