import { Injectable, UnauthorizedException } from '@nestjs/common';
import { ApiKeyRepository } from './api-key.repository';
import { effectivePermissions } from './permissions';
import { Principal, SessionContext } from './principal';
import { parseApiKey, secretMatches } from './secrets';
import { SessionRepository } from './session.repository';
import type { ApiKeyRecord } from './api-key.schema';

export interface PresentedKey {
  /** Where the key came from, for error messages: "Authorization", "ApiKey" or "x-api-key". */
  source: string;
  key: string;
}

export interface PresentedSession {
  sessionId: string;
  accessToken: string;
}

/** Turns presented API keys and session credentials into a Principal, or a 401. */
@Injectable()
export class AuthService {
  constructor(
    private readonly apiKeys: ApiKeyRepository,
    private readonly sessions: SessionRepository,
  ) {}

  async authenticate(keys: PresentedKey[], session: PresentedSession | null): Promise<Principal> {
    if (keys.length === 0) {
      throw new UnauthorizedException('Missing API key: send it as "Authorization: Bearer <key>", "ApiKey: <key>" or "x-api-key: <key>"');
    }
    const records = await Promise.all(keys.map((presented) => this.verifyKey(presented)));
    const [primary] = records;
    if (records.some((record) => !record.client_id.equals(primary.client_id))) {
      throw new UnauthorizedException(`The API keys in ${keys.map((key) => key.source).join(' and ')} belong to different clients`);
    }
    const clientId = primary.client_id.toHexString();
    return {
      clientId,
      keyId: primary._id.toHexString(),
      role: primary.role,
      permissions: effectivePermissions(primary.role, primary.permissions),
      session: session ? await this.verifySession(clientId, session) : null,
    };
  }

  private async verifyKey({ source, key }: PresentedKey): Promise<ApiKeyRecord> {
    const parsed = parseApiKey(key);
    const record = parsed ? await this.apiKeys.findById(parsed.keyId) : null;
    if (!parsed || !record || !secretMatches(parsed.secret, record.secret_hash)) {
      throw new UnauthorizedException(`Invalid API key in ${source}`);
    }
    if (record.revoked_at) throw new UnauthorizedException(`The API key in ${source} has been revoked`);
    return record;
  }

  private async verifySession(clientId: string, { sessionId, accessToken }: PresentedSession): Promise<SessionContext> {
    const session = await this.sessions.findForClient(clientId, sessionId);
    if (!session || !secretMatches(accessToken, session.access_token_hash)) {
      throw new UnauthorizedException('Invalid session_id or access_token');
    }
    return {
      id: session._id.toHexString(),
      name: session.name,
      provider: session.provider,
      phoneNumber: session.phone_number,
      rateLimitPerSecond: session.rate_limit_per_second,
      health: session.health,
    };
  }
}
