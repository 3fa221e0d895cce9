import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { Types } from 'mongoose';
import { InputValidationException } from '@app/common';
import { missingCloudApiCredentials, ProviderName, readCloudApiCredentials } from '@app/whatsapp';
import { ApiKeyRepository } from './api-key.repository';
import { ClientRepository } from './client.repository';
import { CredentialsCipher } from './credentials-cipher';
import { Permission, Role } from './permissions';
import { formatApiKey, generateSecret, hashSecret } from './secrets';
import { SessionRepository } from './session.repository';
import type { ClientRecord } from './client.schema';
import type { SessionHealth, SessionRecord } from './session.schema';

export interface IssuedApiKey {
  id: string;
  client_id: string;
  name: string;
  role: Role;
  permissions: Permission[];
  /** Shown once; only its hash is stored. */
  key: string;
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
  createdAt: Date;
}

export interface NewSessionInput {
  clientId: string;
  name: string;
  provider: ProviderName;
  phoneNumber?: string | null;
  credentials?: Record<string, string> | null;
  rateLimitPerSecond?: number | null;
}

/** Administration of tenants: clients, their API keys and sessions (used by the CLI). */
@Injectable()
export class TenancyService {
  constructor(
    private readonly clients: ClientRepository,
    private readonly apiKeys: ApiKeyRepository,
    private readonly sessions: SessionRepository,
    private readonly cipher: CredentialsCipher,
  ) {}

  createClient(name: string): Promise<ClientRecord> {
    if (!name.trim()) throw new BadRequestException('A client needs a name');
    return this.clients.create(name.trim());
  }

  listClients(): Promise<ClientRecord[]> {
    return this.clients.list();
  }

  async issueApiKey(clientId: string, name: string, role: Role, permissions: Permission[] = []): Promise<IssuedApiKey> {
    await this.requireClient(clientId);
    const id = new Types.ObjectId();
    const secret = generateSecret();
    await this.apiKeys.create({ id, clientId, name, role, permissions, secretHash: hashSecret(secret) });
    return { id: id.toHexString(), client_id: clientId, name, role, permissions, key: formatApiKey(id.toHexString(), secret) };
  }

  async listApiKeys(clientId: string) {
    await this.requireClient(clientId);
    const keys = await this.apiKeys.listByClient(clientId);
    return keys.map(({ _id, name, role, permissions, revoked_at, createdAt }) => ({
      id: _id.toHexString(),
      name,
      role,
      permissions,
      revoked_at,
      createdAt,
    }));
  }

  async revokeApiKey(keyId: string): Promise<void> {
    if (!(await this.apiKeys.revoke(keyId))) throw new NotFoundException(`No active API key with id ${keyId}`);
  }

  async createSession(input: NewSessionInput): Promise<CreatedSession> {
    await this.requireClient(input.clientId);
    const { providerAccountId, webhookVerifyToken } = this.providerIdentity(input.provider, input.credentials ?? null);
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
        credentialsEncrypted: input.credentials ? this.cipher.encrypt(input.credentials) : null,
        rateLimitPerSecond: input.rateLimitPerSecond ?? null,
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
  ): { providerAccountId: string | null; webhookVerifyToken: string | null } {
    switch (provider) {
      case 'sandbox':
        return { providerAccountId: null, webhookVerifyToken: null };
      case 'cloud-api': {
        const missing = missingCloudApiCredentials(credentials);
        if (missing.length > 0) {
          throw new InputValidationException(missing.map((field) => `credentials.${field} is required for a cloud-api session`));
        }
        const cloudApi = readCloudApiCredentials(credentials);
        return { providerAccountId: cloudApi.phone_number_id, webhookVerifyToken: cloudApi.verify_token };
      }
    }
  }

  private async requireClient(clientId: string): Promise<ClientRecord> {
    const client = await this.clients.findById(clientId);
    if (!client) throw new NotFoundException(`No client with id ${clientId}`);
    return client;
  }
}

function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

/** What may be shown of a session: credentials and token hashes never leave this service. */
function summarize({ _id, name, provider, phone_number, rate_limit_per_second, health, health_reason, createdAt }: SessionRecord): SessionSummary {
  return { session_id: _id.toHexString(), name, provider, phone_number, rate_limit_per_second, health, health_reason, createdAt };
}
