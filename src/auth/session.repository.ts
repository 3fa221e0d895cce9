import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isValidObjectId, Model, Types } from 'mongoose';
import { ProviderName } from '@app/whatsapp';
import { nativeCollection } from '../core/native-collection';
import type { PublishedEvent } from '../event-webhook/client-events';
import { DocumentOutbox, recordingClientEvents } from '../event-webhook/document-outbox';
import { Session, SessionHealth, SessionRecord } from './session.schema';

export interface NewSession {
  clientId: string;
  name: string;
  provider: ProviderName;
  phoneNumber: string | null;
  accessTokenHash: string;
  providerAccountId: string | null;
  webhookVerifyTokenHash: string | null;
  /** Cloud API sessions that send templates: their Business Account. */
  wabaId?: string | null;
  credentialsEncrypted: string | null;
  rateLimitPerSecond: number | null;
  /** null: the provider's rule (see enforcesServiceWindow). */
  enforceServiceWindow?: boolean | null;
  /** null: a portfolio of its own. */
  portfolioId?: string | null;
  pauseOnFlag?: boolean | null;
}

@Injectable()
export class SessionRepository {
  /** Where `session.quality_changed` waits until published (setQuality). */
  readonly outbox: DocumentOutbox;

  constructor(@InjectModel(Session.name) private readonly sessions: Model<Session>) {
    this.outbox = DocumentOutbox.of('sessions', nativeCollection(sessions));
  }

  async create(session: NewSession): Promise<SessionRecord> {
    // The unique sender index must exist before the first insert it guards (indexes build in the background at start-up).
    await this.sessions.init();
    const created = await this.sessions.create({
      client_id: new Types.ObjectId(session.clientId),
      name: session.name,
      provider: session.provider,
      phone_number: session.phoneNumber,
      access_token_hash: session.accessTokenHash,
      // Left out when null: the sparse indexes skip sessions without them.
      provider_account_id: session.providerAccountId ?? undefined,
      webhook_verify_token_hash: session.webhookVerifyTokenHash ?? undefined,
      waba_id: session.wabaId ?? undefined,
      credentials_encrypted: session.credentialsEncrypted,
      rate_limit_per_second: session.rateLimitPerSecond,
      enforce_service_window: session.enforceServiceWindow ?? null,
      portfolio_id: session.portfolioId ?? null,
      pause_on_flag: session.pauseOnFlag ?? null,
    });
    return created.toObject<SessionRecord>();
  }

  async findById(id: string): Promise<SessionRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.sessions.findById(id).lean<SessionRecord>().exec();
  }

  /** The session of a provider's sender (e.g. the Cloud API phone_number_id a webhook names). */
  async findByProviderAccount(provider: ProviderName, providerAccountId: string): Promise<SessionRecord | null> {
    return this.sessions.findOne({ provider, provider_account_id: providerAccountId }).lean<SessionRecord>().exec();
  }

  /** Every session of the provider (for checks that no single sender identifies, such as an account-level webhook's signature). */
  async listByProvider(provider: ProviderName): Promise<SessionRecord[]> {
    return this.sessions.find({ provider }).lean<SessionRecord[]>().exec();
  }

  /** Every cloud-api session of a WhatsApp Business Account (template webhooks name the account, not a sender). */
  async listByWabaId(wabaId: string): Promise<SessionRecord[]> {
    return this.sessions.find({ provider: 'cloud-api', waba_id: wabaId }).lean<SessionRecord[]>().exec();
  }

  /** The client's cloud-api sessions of a WhatsApp Business Account. */
  async listByClientAndWabaId(clientId: string, wabaId: string): Promise<SessionRecord[]> {
    return this.sessions.find({ client_id: new Types.ObjectId(clientId), provider: 'cloud-api', waba_id: wabaId }).lean<SessionRecord[]>().exec();
  }

  /** Whether any session of the provider was set up with this webhook verify token (by its hash). */
  async existsWithWebhookVerifyTokenHash(provider: ProviderName, hash: string): Promise<boolean> {
    return (await this.sessions.exists({ provider, webhook_verify_token_hash: hash }).exec()) !== null;
  }

  /** The session only if it belongs to the client; another client's id reads as missing. */
  async findForClient(clientId: string, id: string): Promise<SessionRecord | null> {
    if (!isValidObjectId(id)) return null;
    return this.sessions
      .findOne({ _id: new Types.ObjectId(id), client_id: new Types.ObjectId(clientId) })
      .lean<SessionRecord>()
      .exec();
  }

  async listByClient(clientId: string): Promise<SessionRecord[]> {
    return this.sessions
      .find({ client_id: new Types.ObjectId(clientId) })
      .sort({ createdAt: 1 })
      .lean<SessionRecord[]>()
      .exec();
  }

  /** Records the number's latest quality event (an older one arriving late is ignored). */
  /**
   * Keeps the number's quality event from Meta unless a later one is kept already, recording
   * `events` (the client's, see DocumentOutbox) in the same update; false when it was older.
   */
  async setQuality(id: string, event: string, at: Date, events: PublishedEvent[] = []): Promise<boolean> {
    const result = await this.sessions
      .updateOne(
        { _id: new Types.ObjectId(id), $or: [{ 'quality.at': { $exists: false } }, { quality: null }, { 'quality.at': { $lte: at } }] },
        { $set: { quality: { event, at } }, ...recordingClientEvents(events, at) },
      )
      .exec();
    return result.matchedCount === 1;
  }

  async setHealth(id: string, health: SessionHealth, reason: string | null): Promise<void> {
    await this.sessions.updateOne({ _id: new Types.ObjectId(id) }, { $set: { health, health_reason: reason } }).exec();
  }
}
