import { Injectable, NotFoundException } from '@nestjs/common';
import { PageRequest, PageResult } from '@app/common';
import { ALL_SESSIONS, sessionScopeOf } from '../auth';
import type { Principal } from '../auth';
import { MessageLogRepository } from './message-log.repository';
import { MessageLogRecord } from './message-log.schema';

/** Seed 000: message logs of the selected session, or of every session with type=all. */
@Injectable()
export class MessageLogService {
  constructor(private readonly logs: MessageLogRepository) {}

  async list(principal: Principal, type: typeof ALL_SESSIONS | undefined, page: PageRequest): Promise<PageResult<MessageLogRecord>> {
    const sessionId = sessionScopeOf(principal, type, 'message logs');
    return this.logs.listForScope({ clientId: principal.clientId, sessionId }, page);
  }

  async get(clientId: string, id: string): Promise<MessageLogRecord> {
    const log = await this.logs.findForClient(clientId, id);
    if (!log) throw new NotFoundException(`Message log ${id} not found`);
    return log;
  }
}
