import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AuthService, PresentedKey } from '../auth/auth.service';
import { presentedKeys } from '../auth/api-key.guard';
import { Role } from '../auth/permissions';
import { AppConfig } from '../config';
import { AuthFailureLimiter } from '../rate-limit/auth-failure-limiter';

/** Roles whose keys may open the dashboard: it can retry and remove any job. */
const DASHBOARD_ROLES: ReadonlySet<Role> = new Set([Role.Owner, Role.Admin]);

/** What a browser shows when it asks for credentials: the key goes in the password field. */
export const DASHBOARD_CHALLENGE = 'Basic realm="Queue dashboard: any user name, your API key as the password", charset="UTF-8"';

/**
 * The key a request to the dashboard carries: one of the API's three headers, as everywhere, or
 * HTTP Basic with the key as the password, which a browser sends by itself on every request of the
 * page (the dashboard's own API calls too) once asked.
 */
export function dashboardKeys(request: Request): PresentedKey[] {
  const basic = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (!basic) return presentedKeys(request);
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  const key = separator === -1 ? decoded : decoded.slice(separator + 1);
  return key ? [{ source: 'Authorization (Basic password)', key }] : [];
}

/**
 * Who may open /admin/queues: an owner or admin key of a client listed in QUEUE_DASHBOARD_CLIENTS
 * (its jobs hold every client's recipients and messages). Failed authentications count towards the
 * address's limit, as on every other route.
 */
@Injectable()
export class QueueDashboardAccess {
  constructor(
    private readonly auth: AuthService,
    private readonly authFailures: AuthFailureLimiter,
    private readonly config: AppConfig,
  ) {}

  /** Resolves when the request may see the dashboard; otherwise throws the 401, 403 or 429 to answer. */
  async check(request: Request, response: Response): Promise<void> {
    await this.authFailures.assertAllowed(request, response);
    const principal = await Promise.resolve()
      .then(() => this.auth.authenticate(dashboardKeys(request), null))
      .catch(async (error: unknown) => {
        if (error instanceof UnauthorizedException) await this.authFailures.recordFailure(request);
        throw error;
      });
    if (!DASHBOARD_ROLES.has(principal.role)) {
      throw new ForbiddenException(`The queue dashboard needs an owner or admin key; this key's role is ${principal.role}`);
    }
    const { clients } = this.config.queueDashboard;
    if (clients !== '*' && !clients.includes(principal.clientId)) {
      throw new ForbiddenException(
        clients.length === 0
          ? "The queue dashboard shows every client's jobs, so it is closed until QUEUE_DASHBOARD_CLIENTS names the clients whose owner and admin keys may open it"
          : "This key's client is not in QUEUE_DASHBOARD_CLIENTS, the clients whose owner and admin keys may open the queue dashboard",
      );
    }
  }
}
