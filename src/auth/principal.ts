import type { Request } from 'express';
import type { ProviderName } from '@app/whatsapp';
import type { ApiKeyRateLimits } from './api-key.repository';
import type { Permission, Role } from './permissions';
import type { SessionHealth } from './session.schema';

/** The sending session a request selected with session_id + access_token. */
export interface SessionContext {
  id: string;
  name: string;
  provider: ProviderName;
  phoneNumber: string | null;
  rateLimitPerSecond: number | null;
  health: SessionHealth;
}

/** Who is calling: the client (tenant), the key, what it may do, and the selected session. */
export interface Principal {
  clientId: string;
  keyId: string;
  role: Role;
  permissions: ReadonlySet<Permission>;
  /** The key's own requests-per-minute limits (null: the configured defaults). */
  rateLimits: ApiKeyRateLimits;
  session: SessionContext | null;
}

export interface AuthenticatedRequest extends Request {
  principal: Principal;
}
