import { Injectable } from '@nestjs/common';
import {
  CloudApiCredentials,
  CloudApiProvider,
  missingCloudApiCredentials,
  ProviderError,
  readCloudApiCredentials,
  verifyWebhookSignature,
} from '@app/whatsapp';
import { CredentialsCipher } from '../auth/credentials-cipher';
import { SessionRepository } from '../auth/session.repository';
import type { SessionRecord } from '../auth/session.schema';
import { AppConfig } from '../config';
import { RedisMediaIdCache } from './redis-media-id-cache';

/** Code of a send refused because the session's stored credentials are incomplete. */
export const INVALID_CREDENTIALS_CODE = 'session_credentials_invalid';

export interface CloudApiAccount {
  session: SessionRecord;
  credentials: CloudApiCredentials;
}

/**
 * The sessions that send through the Cloud API, with their decrypted credentials: the
 * webhook finds one by the phone_number_id Meta names, the worker builds its provider.
 * Credentials stay in memory only for the call that needs them.
 */
@Injectable()
export class CloudApiAccounts {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly cipher: CredentialsCipher,
    private readonly mediaIdCache: RedisMediaIdCache,
    private readonly config: AppConfig,
  ) {}

  /** The cloud-api session of a sender, or null when no session sends from that number. */
  async findByPhoneNumberId(phoneNumberId: string): Promise<CloudApiAccount | null> {
    const session = await this.sessions.findByProviderAccount('cloud-api', phoneNumberId);
    return session ? { session, credentials: this.credentialsOf(session) } : null;
  }

  /** Whether the body was signed with the app secret of any cloud-api session (for payloads that name no sender). */
  async signedByAnyAccount(rawBody: Buffer, signature: string): Promise<boolean> {
    const sessions = await this.sessions.listByProvider('cloud-api');
    return sessions.some((session) => verifyWebhookSignature(rawBody, signature, this.credentialsOf(session).app_secret));
  }

  credentialsOf(session: SessionRecord): CloudApiCredentials {
    if (session.provider !== 'cloud-api' || !session.credentials_encrypted) {
      throw new Error(`Session ${session._id.toHexString()} has no Cloud API credentials`);
    }
    return readCloudApiCredentials(this.cipher.decrypt(session.credentials_encrypted));
  }

  /** The provider of a cloud-api session (to fetch its customers' media, for one). */
  providerForSession(session: SessionRecord): CloudApiProvider {
    if (session.provider !== 'cloud-api' || !session.credentials_encrypted) {
      throw new ProviderError('permanent', INVALID_CREDENTIALS_CODE, `Session ${session._id.toHexString()} has no Cloud API credentials`);
    }
    return this.providerFor(this.cipher.decrypt(session.credentials_encrypted));
  }

  /**
   * A provider sending with these (decrypted) session credentials, sharing uploaded media
   * ids with every worker. Incomplete credentials make the session unusable.
   */
  providerFor(decrypted: Record<string, string>): CloudApiProvider {
    const missing = missingCloudApiCredentials(decrypted);
    if (missing.length > 0) {
      throw new ProviderError('permanent', INVALID_CREDENTIALS_CODE, `The session's Cloud API credentials lack ${missing.join(', ')}`, {
        sessionUnusable: true,
      });
    }
    const credentials = readCloudApiCredentials(decrypted);
    return new CloudApiProvider({
      baseUrl: this.config.cloudApi.baseUrl,
      version: this.config.cloudApi.version,
      timeoutMs: this.config.cloudApi.timeoutMs,
      uploadTimeoutMs: this.config.cloudApi.uploadTimeoutMs,
      phoneNumberId: credentials.phone_number_id,
      accessToken: credentials.access_token,
      mediaIdCache: this.mediaIdCache,
    });
  }
}
