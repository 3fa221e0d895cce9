import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { Types } from 'mongoose';
import { InputValidationException } from '@app/common';
import { missingCloudApiCredentials, ProviderName, readCloudApiCredentials, wabaIdProblem } from '@app/whatsapp';
import { AppConfig } from '../config';
import { Clock } from '../core/clock';
import { ApiKeyRateLimits, ApiKeyRepository } from './api-key.repository';
import { ClientRepository } from './client.repository';
import { CredentialsCipher } from './credentials-cipher';
import { effectivePermissions, Permission, Role, ROLE_RANK } from './permissions';
import { MAX_GRACE_PERIOD_SECONDS } from './rotation';
import type { Principal } from './principal';
import { formatApiKey, generateSecret, hashSecret } from './secrets';
import { SessionRepository } from './session.repository';
import type { ApiKeyRecord } from './api-key.schema';
import type { ClientRecord } from './client.schema';
import { enforcesServiceWindow, portfolioOf } from './session.schema';
import { PORTFOLIO_ID_PATTERN } from './dto/create-session.dto';
import type { SessionHealth, SessionRecord } from './session.schema';
import { isDuplicateKeyError } from '../core/mongo-errors';

export interface IssuedApiKey {
  id: string;
  client_id: string;
  name: string;
  role: Role;
  permissions: Permission[];
  expires_at: Date | null;
  rate_limit_per_minute: number | null;
  expensive_rate_limit_per_minute: number | null;
  /** Shown once; only its hash is stored. */
  key: string;
}

/** What may be shown of a key: never its secret or hash. */
export interface ApiKeySummary {
  id: string;
  name: string;
  role: Role;
  permissions: Permission[];
  expires_at: Date | null;
  expired: boolean;
  /** To within a minute. */
  last_used_at: Date | null;
  /** The key's own limits; null: the configured defaults. */
  rate_limit_per_minute: number | null;
  expensive_rate_limit_per_minute: number | null;
  revoked_at: Date | null;
  /** When its secret was last rotated (null: never), and until when the secret that rotation replaced still works. */
  rotated_at: Date | null;
  previous_key_valid_until: Date | null;
  createdAt: Date;
}

/** A rotated key: its new secret, shown once, and until when the old one still works (null: it stopped at once). */
export interface RotatedApiKey extends IssuedApiKey {
  previous_key_valid_until: Date | null;
}

/** What a key asks for when it issues another over HTTP. */
export interface NewKeyRequest {
  name: string;
  role: Role;
  permissions: Permission[];
  expiresAt: Date | null;
  rateLimits: Partial<ApiKeyRateLimits>;
}

export interface ApiKeyOptions {
  /** null or absent: the key never expires. */
  expiresAt?: Date | null;
  rateLimits?: Partial<ApiKeyRateLimits>;
}

export interface CreatedSession {
  session_id: string;
  client_id: string;
  name: string;
  provider: ProviderName;
  phone_number: string | null;
  /** Shown once; only its hash is stored. */
  access_token: string;
}

/** What may be shown of a session: never its token hash or credentials. */
export interface SessionSummary {
  session_id: string;
  name: string;
  provider: ProviderName;
  phone_number: string | null;
  rate_limit_per_second: number | null;
  health: SessionHealth;
  health_reason: string | null;
  /** Whether free-form messages need the recipient to have written in the last 24 hours. */
  enforce_service_window: boolean;
  /** A cloud-api session's WhatsApp Business Account (its template catalogue); null: none, its template sends are not checked. */
  waba_id: string | null;
  /** The business portfolio whose messaging limit it shares (its own id when it was given none). */
  portfolio_id: string;
  /** The number's last quality event from Meta (FLAGGED, UNFLAGGED, UPGRADE, DOWNGRADE); null: none yet. */
  quality: { event: string; at: Date } | null;
  /** A FLAGGED number pauses its running marketing broadcasts. */
  pause_on_flag: boolean;
  createdAt: Date;
}

export interface NewSessionInput {
  clientId: string;
  name: string;
  provider: ProviderName;
  phoneNumber?: string | null;
  credentials?: Record<string, string> | null;
  rateLimitPerSecond?: number | null;
  /** null or absent: the provider's rule (cloud-api enforces the 24-hour window, the sandbox does not). */
  enforceServiceWindow?: boolean | null;
  /** Sessions of one business portfolio share its messaging limit; null or absent: a portfolio of its own. */
  portfolioId?: string | null;
  /** null or absent: on. */
  pauseOnFlag?: boolean | null;
}

/** Administration of tenants: clients, their API keys and sessions (used by the CLI). */
@Injectable()
export class TenancyService {
  constructor(
    private readonly clients: ClientRepository,
    private readonly apiKeys: ApiKeyRepository,
    private readonly sessions: SessionRepository,
    private readonly cipher: CredentialsCipher,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  createClient(name: string): Promise<ClientRecord> {
    if (!name.trim()) throw new BadRequestException('A client needs a name');
    return this.clients.create(name.trim());
  }

  listClients(): Promise<ClientRecord[]> {
    return this.clients.list();
  }

  async issueApiKey(
    clientId: string,
    name: string,
    role: Role,
    permissions: Permission[] = [],
    options: ApiKeyOptions = {},
  ): Promise<IssuedApiKey> {
    const expiresAt = options.expiresAt ?? null;
    if (expiresAt && expiresAt.getTime() <= this.clock.now().getTime()) throw new BadRequestException('A key cannot expire in the past');
    const rateLimits = { perMinute: null, expensivePerMinute: null, ...checkedRateLimits(options.rateLimits ?? {}) };
    await this.requireClient(clientId);
    const id = new Types.ObjectId();
    const secret = generateSecret();
    await this.apiKeys.create({ id, clientId, name, role, permissions, secretHash: hashSecret(secret), expiresAt, rateLimits });
    return {
      id: id.toHexString(),
      client_id: clientId,
      name,
      role,
      permissions,
      expires_at: expiresAt,
      rate_limit_per_minute: rateLimits.perMinute,
      expensive_rate_limit_per_minute: rateLimits.expensivePerMinute,
      key: formatApiKey(id.toHexString(), secret),
    };
  }

  /**
   * A key issued over HTTP by another key of the client: never a role above the issuer's, never a
   * permission the issuer lacks, and per-minute limits within the configured ones (the operator's
   * ceiling; only the CLI goes above it).
   */
  async issueApiKeyAs(actor: Principal, request: NewKeyRequest): Promise<IssuedApiKey> {
    assertRoleWithin(actor, request.role, 'issue');
    const beyond = [...effectivePermissions(request.role, request.permissions)].filter((permission) => !actor.permissions.has(permission));
    if (beyond.length > 0) {
      throw new ForbiddenException(`A key cannot grant what it does not hold itself: ${beyond.join(', ')}`);
    }
    const { perKey, expensivePerKey } = this.config.rateLimits;
    const { perMinute, expensivePerMinute } = request.rateLimits;
    const problems = [
      ...(perMinute != null && perMinute > perKey ? [`rate_limit_per_minute must be at most ${perKey} (RATE_LIMIT_PER_MINUTE)`] : []),
      ...(expensivePerMinute != null && expensivePerMinute > expensivePerKey
        ? [`expensive_rate_limit_per_minute must be at most ${expensivePerKey} (RATE_LIMIT_EXPENSIVE_PER_MINUTE)`]
        : []),
    ];
    if (problems.length > 0) throw new InputValidationException(problems);
    return this.issueApiKey(actor.clientId, request.name, request.role, request.permissions, {
      expiresAt: request.expiresAt,
      rateLimits: request.rateLimits,
    });
  }

  /**
   * A new secret for a key of the client (same id, role and limits); the old secret keeps working
   * for `graceMs` (0: stops at once, at most 7 days). Only the last rotation's secret has a grace
   * period: rotating again ends the one before. `actor` (null: the CLI) may not rotate a key above its role.
   */
  async rotateApiKey(clientId: string, keyId: string, graceMs: number, actor: Principal | null): Promise<RotatedApiKey> {
    if (!Number.isInteger(graceMs) || graceMs < 0 || graceMs > MAX_GRACE_PERIOD_SECONDS * 1000) {
      throw new BadRequestException('The grace period must be from 0 seconds to 7 days');
    }
    const now = this.clock.now();
    const key = await this.apiKeys.findOwned(clientId, keyId);
    if (!key || key.revoked_at) throw new NotFoundException(`No active API key with id ${keyId}`);
    if (actor) assertRoleWithin(actor, key.role, 'rotate');
    if (key.expires_at && key.expires_at.getTime() <= now.getTime()) {
      throw new ConflictException(`API key ${keyId} expired on ${key.expires_at.toISOString()}; issue a new key instead`);
    }
    const secret = generateSecret();
    const previousExpiresAt = graceMs > 0 ? new Date(now.getTime() + graceMs) : null;
    const rotated = await this.apiKeys.rotate(clientId, keyId, {
      expectedHash: key.secret_hash,
      secretHash: hashSecret(secret),
      previousHash: previousExpiresAt ? key.secret_hash : null,
      previousExpiresAt,
      at: now,
    });
    if (!rotated) throw new ConflictException(`API key ${keyId} was rotated or revoked meanwhile; list the keys and try again`);
    return {
      ...issuedView(rotated),
      key: formatApiKey(keyId, secret),
      previous_key_valid_until: previousExpiresAt,
    };
  }

  /**
   * Revokes a key of the actor's client: never one above the actor's role, and never the client's
   * last active owner key (the client would be left without anyone to manage its keys).
   */
  async revokeApiKeyAs(actor: Principal, keyId: string): Promise<void> {
    const key = await this.apiKeys.findOwned(actor.clientId, keyId);
    if (!key || key.revoked_at) throw new NotFoundException(`No active API key with id ${keyId}`);
    assertRoleWithin(actor, key.role, 'revoke');
    const at = this.clock.now();
    if (!(await this.apiKeys.revoke(keyId, at))) throw new NotFoundException(`No active API key with id ${keyId}`);
    // Checked after the write, so that two owner keys revoking each other at once cannot both succeed.
    if (key.role === Role.Owner && (await this.apiKeys.countActiveOwners(actor.clientId, at)) === 0) {
      await this.apiKeys.restore(keyId, at);
      throw new ConflictException("This is the client's last active owner key: issue another owner key before revoking it");
    }
  }

  async listApiKeys(clientId: string): Promise<ApiKeySummary[]> {
    await this.requireClient(clientId);
    const now = this.clock.now();
    return (await this.apiKeys.listByClient(clientId)).map((key) => summarizeKey(key, now));
  }

  /** Changes a key's own requests-per-minute limits; null sets one back to the configured default. */
  async setApiKeyRateLimits(keyId: string, changes: Partial<ApiKeyRateLimits>): Promise<ApiKeySummary> {
    const key = await this.apiKeys.setRateLimits(keyId, checkedRateLimits(changes));
    if (!key) throw new NotFoundException(`No API key with id ${keyId}`);
    return summarizeKey(key, this.clock.now());
  }

  /** The client a key belongs to (the CLI names keys by id alone). */
  async clientOfApiKey(keyId: string): Promise<string> {
    const key = await this.apiKeys.findById(keyId);
    if (!key) throw new NotFoundException(`No API key with id ${keyId}`);
    return key.client_id.toHexString();
  }

  async revokeApiKey(keyId: string): Promise<void> {
    if (!(await this.apiKeys.revoke(keyId))) throw new NotFoundException(`No active API key with id ${keyId}`);
  }

  async createSession(input: NewSessionInput): Promise<CreatedSession> {
    await this.requireClient(input.clientId);
    // The HTTP body is checked by its DTO; the CLI's --portfolio is checked here.
    if (input.portfolioId != null && !PORTFOLIO_ID_PATTERN.test(input.portfolioId)) {
      throw new BadRequestException('portfolio_id must be 1 to 64 letters, digits, dashes or underscores');
    }
    const { providerAccountId, webhookVerifyToken, wabaId } = this.providerIdentity(input.provider, input.credentials ?? null);
    const accessToken = `st_${generateSecret()}`;
    const session = await this.sessions
      .create({
        clientId: input.clientId,
        name: input.name,
        provider: input.provider,
        phoneNumber: input.phoneNumber ?? null,
        accessTokenHash: hashSecret(accessToken),
        providerAccountId,
        webhookVerifyTokenHash: webhookVerifyToken ? hashSecret(webhookVerifyToken) : null,
        wabaId,
        credentialsEncrypted: input.credentials ? this.cipher.encrypt(input.credentials) : null,
        rateLimitPerSecond: input.rateLimitPerSecond ?? null,
        enforceServiceWindow: input.enforceServiceWindow ?? null,
        portfolioId: input.portfolioId ?? null,
        pauseOnFlag: input.pauseOnFlag ?? null,
      })
      .catch((error: unknown) => {
        if (isDuplicateKeyError(error)) {
          throw new ConflictException(`Another session already sends from ${input.provider} account ${providerAccountId}`);
        }
        throw error;
      });
    return {
      session_id: session._id.toHexString(),
      client_id: input.clientId,
      name: session.name,
      provider: session.provider,
      phone_number: session.phone_number,
      access_token: accessToken,
    };
  }

  async listSessions(clientId: string): Promise<SessionSummary[]> {
    await this.requireClient(clientId);
    return (await this.sessions.listByClient(clientId)).map(summarize);
  }

  /** One of the client's sessions; another client's id reads as missing. */
  async getSession(clientId: string, sessionId: string): Promise<SessionSummary> {
    const session = await this.sessions.findForClient(clientId, sessionId);
    if (!session) throw new NotFoundException(`Session ${sessionId} not found`);
    return summarize(session);
  }

  /**
   * Checks the provider's credentials and answers what webhooks identify the session by:
   * the sender id they name and the handshake's verify token (none for the sandbox).
   */
  private providerIdentity(
    provider: ProviderName,
    credentials: Record<string, string> | null,
  ): { providerAccountId: string | null; webhookVerifyToken: string | null; wabaId: string | null } {
    switch (provider) {
      case 'sandbox':
        return { providerAccountId: null, webhookVerifyToken: null, wabaId: null };
      case 'cloud-api': {
        const problems = missingCloudApiCredentials(credentials).map((field) => `credentials.${field} is required for a cloud-api session`);
        const wabaId = wabaIdProblem(credentials);
        if (wabaId) problems.push(wabaId);
        if (problems.length > 0) throw new InputValidationException(problems);
        const cloudApi = readCloudApiCredentials(credentials);
        return { providerAccountId: cloudApi.phone_number_id, webhookVerifyToken: cloudApi.verify_token, wabaId: cloudApi.waba_id ?? null };
      }
    }
  }

  private async requireClient(clientId: string): Promise<ClientRecord> {
    const client = await this.clients.findById(clientId);
    if (!client) throw new NotFoundException(`No client with id ${clientId}`);
    return client;
  }
}

/** A key may act only on keys (and give roles) at or below its own role. */
function assertRoleWithin(actor: Principal, role: Role, action: 'issue' | 'rotate' | 'revoke'): void {
  if (ROLE_RANK[role] > ROLE_RANK[actor.role]) {
    const what = action === 'issue' ? `issue a key with role ${role}` : `${action} a key with role ${role}`;
    throw new ForbiddenException(`A ${actor.role} key cannot ${what}: that role is above its own`);
  }
}

/** A key as an issuing or rotating answer shows it (the secret is added by the caller). */
function issuedView(key: ApiKeyRecord): Omit<IssuedApiKey, 'key'> {
  return {
    id: key._id.toHexString(),
    client_id: key.client_id.toHexString(),
    name: key.name,
    role: key.role,
    permissions: key.permissions,
    expires_at: key.expires_at ?? null,
    rate_limit_per_minute: key.rate_limit_per_minute ?? null,
    expensive_rate_limit_per_minute: key.expensive_rate_limit_per_minute ?? null,
  };
}

/** Limits are whole requests per minute, 1 or more (or null for the default). */
function checkedRateLimits(limits: Partial<ApiKeyRateLimits>): Partial<ApiKeyRateLimits> {
  const bad = Object.entries(limits).filter(([, value]) => value !== null && value !== undefined && !(Number.isInteger(value) && value >= 1));
  if (bad.length > 0) throw new InputValidationException(bad.map(([name]) => `${name} must be a whole number of requests per minute, 1 or more`));
  return limits;
}

function summarizeKey(key: ApiKeyRecord, now: Date): ApiKeySummary {
  const expiresAt = key.expires_at ?? null;
  return {
    id: key._id.toHexString(),
    name: key.name,
    role: key.role,
    permissions: key.permissions,
    expires_at: expiresAt,
    expired: expiresAt !== null && expiresAt.getTime() <= now.getTime(),
    last_used_at: key.last_used_at ?? null,
    rate_limit_per_minute: key.rate_limit_per_minute ?? null,
    expensive_rate_limit_per_minute: key.expensive_rate_limit_per_minute ?? null,
    revoked_at: key.revoked_at,
    rotated_at: key.rotated_at ?? null,
    previous_key_valid_until:
      key.previous_secret_expires_at && key.previous_secret_expires_at.getTime() > now.getTime() ? key.previous_secret_expires_at : null,
    createdAt: key.createdAt,
  };
}

/** What may be shown of a session: credentials and token hashes never leave this service. */
function summarize(session: SessionRecord): SessionSummary {
  const { _id, name, provider, phone_number, rate_limit_per_second, health, health_reason, createdAt } = session;
  const enforce_service_window = enforcesServiceWindow(session);
  const waba_id = session.waba_id ?? null;
  const portfolio_id = portfolioOf(session);
  const quality = session.quality ?? null;
  const pause_on_flag = session.pause_on_flag ?? true;
  return { session_id: _id.toHexString(), name, provider, phone_number, rate_limit_per_second, health, health_reason, enforce_service_window, waba_id, portfolio_id, quality, pause_on_flag, createdAt };
}
