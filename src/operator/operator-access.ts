import { Injectable, UnauthorizedException } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { Request, Response } from 'express';
import { AuthFailureLimiter } from '../rate-limit/auth-failure-limiter';
import { OperatorCredentialService, OperatorPrincipal } from './operator-credential.service';

/** What a browser shows when it asks for the credential: it goes in the password field. */
export const OPERATOR_CHALLENGE = 'Basic realm="Operator: any user name, your operator credential as the password", charset="UTF-8"';

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

/**
 * The credential a request carries: `Authorization: Bearer`, HTTP Basic with it as the password
 * (what a browser sends by itself on every request of a page once asked), or the API's other two
 * key headers, so that whatever a client already sends reaches the same check.
 */
export function presentedOperatorCredential(headers: IncomingHttpHeaders): string | null {
  const authorization = header(headers, 'authorization') ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+(\S+)$/i.exec(authorization);
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1) || null;
  }
  return header(headers, 'apikey') ?? header(headers, 'x-api-key') ?? null;
}

/**
 * Who may open the operator's pages (/admin/queues, /metrics): an operator credential, never a
 * tenant's key. Failed authentications count towards the address's limit, as on every other route.
 */
@Injectable()
export class OperatorAccess {
  constructor(
    private readonly operators: OperatorCredentialService,
    private readonly authFailures: AuthFailureLimiter,
  ) {}

  /** Resolves with the operator when the request may go on; otherwise throws the 401 or 429 to answer. */
  async check(request: Request, response: Response): Promise<OperatorPrincipal> {
    await this.authFailures.assertAllowed(request, response);
    try {
      return await this.operators.authenticate(presentedOperatorCredential(request.headers));
    } catch (error) {
      if (error instanceof UnauthorizedException) await this.authFailures.recordFailure(request);
      throw error;
    }
  }
}
