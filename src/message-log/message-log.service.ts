import { Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { PageRequest, PageResult } from '@app/common';
import type { Principal } from '../auth';
import { ALL_SESSIONS } from './dto/message-log-query.dto';
import { MessageLogRepository } from './message-log.repository';
import { MessageLogRecord } from './message-log.schema';

/** Seed 000: message logs of the selected session, or of every session with type=all. */
@Injectable()
export class MessageLogService {
  constructor(private readonly logs: MessageLogRepository) {}

  async list(principal: Principal, type: typeof ALL_SESSIONS | undefined, page: PageRequest): Promise<PageResult<MessageLogRecord>> {
    if (type !== ALL_SESSIONS && !principal.session) {
      throw new UnauthorizedException(
        'Listing one session\'s message logs needs session_id and access_token (body, query string, or X-Session-Id/X-Access-Token headers); ' +
          'use type=all for every session of the client',
      );
    }
    const sessionId = type === ALL_SESSIONS ? null : (principal.session?.id ?? null);
    return this.logs.listForScope({ clientId: principal.clientId, sessionId }, page);
  }

  async get(clientId: string, id: string): Promise<MessageLogRecord> {
    const log = await this.logs.findForClient(clientId, id);
    if (!log) throw new NotFoundException(`Message log ${id} not found`);
    return log;
  }
}
