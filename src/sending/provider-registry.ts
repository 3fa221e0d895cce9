import { Inject, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import { InboundMessageSink, ProviderError, SandboxProvider, WhatsappProvider } from '@app/whatsapp';
import { CredentialsCipher, SessionRecord } from '../auth';
import { CloudApiAccounts } from '../cloud-api/cloud-api-accounts';
import { AppConfig } from '../config';
import { DeliveryStatusService } from '../delivery-status/delivery-status.service';
import { AppMetrics, MeteredProvider } from '../metrics';

/** Where the sandbox's simulated replies go (the inbound module provides it); without one, the sandbox never answers. */
export const SANDBOX_INBOUND_SINK = Symbol('SANDBOX_INBOUND_SINK');

/**
 * Builds the provider a session sends through, from its `provider` name and its decrypted
 * credentials. Worker side only. Add a provider by adding a case below.
 */
@Injectable()
export class ProviderRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger(ProviderRegistry.name);
  /** The sandbox has no credentials: one instance serves every session (and counts every send). */
  readonly sandbox: SandboxProvider;
  /** Each provider instance handed out is counted and timed by its metered wrapper. */
  private readonly metered = new WeakMap<WhatsappProvider, MeteredProvider>();

  constructor(
    config: AppConfig,
    statuses: DeliveryStatusService,
    private readonly cipher: CredentialsCipher,
    private readonly cloudApi: CloudApiAccounts,
    private readonly metrics: AppMetrics,
    @Optional() @Inject(SANDBOX_INBOUND_SINK) inbound?: InboundMessageSink,
  ) {
    this.sandbox = new SandboxProvider({
      latencyMs: config.sandbox.latencyMs,
      failureRate: config.sandbox.failureRate,
      statusDelayMs: config.sandbox.statusDelayMs,
      statusSink: statuses,
      inboundSink: inbound,
      onStatusError: (error) => this.logger.warn({ err: error }, 'Sandbox status update could not be applied'),
    });
  }

  /** The session's provider, metered; a ProviderError (permanent) when it cannot be built. */
  providerFor(session: Pick<SessionRecord, '_id' | 'provider' | 'credentials_encrypted'>): WhatsappProvider {
    const provider = this.build(session);
    let metered = this.metered.get(provider);
    if (!metered) {
      metered = new MeteredProvider(provider, this.metrics);
      this.metered.set(provider, metered);
    }
    return metered;
  }

  onApplicationShutdown(): void {
    this.sandbox.close();
  }

  private build(session: Pick<SessionRecord, '_id' | 'provider' | 'credentials_encrypted'>): WhatsappProvider {
    switch (session.provider) {
      case 'sandbox':
        // Bound to the session, so that its simulated replies reach that session.
        return this.sandbox.forSession(session._id.toHexString());
      case 'cloud-api':
        return this.cloudApi.providerFor(this.credentialsOf(session));
    }
  }

  private credentialsOf(session: Pick<SessionRecord, '_id' | 'credentials_encrypted'>): Record<string, string> {
    if (!session.credentials_encrypted) {
      throw new ProviderError('permanent', 'session_credentials_missing', 'The session has no provider credentials', { sessionUnusable: true });
    }
    try {
      return this.cipher.decrypt(session.credentials_encrypted);
    } catch {
      throw new ProviderError('permanent', 'session_credentials_unreadable', 'The session credentials cannot be decrypted with the configured key', {
        sessionUnusable: true,
      });
    }
  }
}
