import { BadRequestException } from '@nestjs/common';
import { ALL_SESSIONS } from './dto/session-scoped-page-query.dto';
import type { Principal } from './principal';

/**
 * The session a session-scoped list shows: the selected one, or null (every session of
 * the client) with type=all. Neither given is an incomplete request: a 400 that says what to add.
 */
export function sessionScopeOf(principal: Principal, type: typeof ALL_SESSIONS | undefined, what: string): string | null {
  if (type === ALL_SESSIONS) return null;
  if (!principal.session) {
    throw new BadRequestException(
      `Listing one session's ${what} needs session_id and access_token (body, query string, or X-Session-Id/X-Access-Token headers); ` +
        'use type=all for every session of the client',
    );
  }
  return principal.session.id;
}
