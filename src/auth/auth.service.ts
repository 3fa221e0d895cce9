import { Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { Clock } from '../core/clock';
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

/** A key's last_used_at is kept to within this: a busy key costs one write per period, not one per request. */
export const LAST_USED_PRECISION_MS = 60_000;

/** Turns presented API keys and session credentials into a Principal, or a 401. */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly apiKeys: ApiKeyRepository,
    private readonly sessions: SessionRepository,
    private readonly clock: Clock,
  ) {}

  async authenticate(keys: PresentedKey[], session: PresentedSession | null, now: Date = this.clock.now()): Promise<Principal> {
    if (keys.length === 0) {
      throw new UnauthorizedException('Missing API key: send it as "Authorization: Bearer <key>", "ApiKey: <key>" or "x-api-key: <key>"');
    }
    const records = await Promise.all(keys.map((presented) => this.verifyKey(presented, now)));
    const [primary] = records;
    if (records.some((record) => !record.client_id.equals(primary.client_id))) {
      throw new UnauthorizedException(`The API keys in ${keys.map((key) => key.source).join(' and ')} belong to different clients`);
    }
    const clientId = primary.client_id.toHexString();
    const sessionContext = session ? await this.verifySession(clientId, session) : null;
    await this.recordUse(records, now);
    return {
      clientId,
      keyId: primary._id.toHexString(),
      role: primary.role,
      permissions: effectivePermissions(primary.role, primary.permissions),
      rateLimits: { perMinute: primary.rate_limit_per_minute ?? null, expensivePerMinute: primary.expensive_rate_limit_per_minute ?? null },
      session: sessionContext,
    };
  }

  private async verifyKey({ source, key }: PresentedKey, now: Date): Promise<ApiKeyRecord> {
    const parsed = parseApiKey(key);
    const record = parsed ? await this.apiKeys.findById(parsed.keyId) : null;
    if (!parsed || !record || !matchesCurrentOrPrevious(parsed.secret, record, now)) {
      throw new UnauthorizedException(`Invalid API key in ${source}`);
    }
    if (record.revoked_at) throw new UnauthorizedException(`The API key in ${source} has been revoked`);
    if (record.expires_at && record.expires_at.getTime() <= now.getTime()) {
      throw new UnauthorizedException(`The API key in ${source} expired on ${record.expires_at.toISOString()}`);
    }
    return record;
  }

  /** last_used_at of each key that authenticated, when the stored one is older than the precision (read with the key, so usually no write). */
  private async recordUse(records: ApiKeyRecord[], now: Date): Promise<void> {
    const stale = new Map(
      records
        .filter(({ last_used_at }) => !last_used_at || now.getTime() - last_used_at.getTime() >= LAST_USED_PRECISION_MS)
        .map((record) => [record._id.toHexString(), record._id]),
    );
    await Promise.all(
      [...stale.values()].map((id) =>
        this.apiKeys.recordUse(id, now, LAST_USED_PRECISION_MS).catch((error: unknown) => {
          // Bookkeeping only: the request is authenticated either way.
          this.logger.warn({ err: error, keyId: id.toHexString() }, 'Could not record the API key\'s last use');
          return false;
        }),
      ),
    );
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

/** The key's secret, or the one its last rotation replaced while that one's grace period lasts. */
function matchesCurrentOrPrevious(secret: string, record: ApiKeyRecord, now: Date): boolean {
  if (secretMatches(secret, record.secret_hash)) return true;
  const graceEnds = record.previous_secret_expires_at;
  return Boolean(record.previous_secret_hash && graceEnds && now.getTime() < graceEnds.getTime() && secretMatches(secret, record.previous_secret_hash));
}
