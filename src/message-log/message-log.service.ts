import { Injectable, NotFoundException } from '@nestjs/common';
import { PageRequest, PageResult } from '@app/common';
import { MessageLogListRepository, MessageLogScope } from './message-log-list.repository';
import { MessageLogRecord } from './message-log.schema';

/** Seed 000: message logs of one session, or of every session of the client. */
@Injectable()
export class MessageLogService {
  constructor(private readonly logs: MessageLogListRepository) {}

  list(scope: MessageLogScope, page: PageRequest): Promise<PageResult<MessageLogRecord>> {
    return this.logs.listForScope(scope, page);
  }

  async get(clientId: string, id: string): Promise<MessageLogRecord> {
    const log = await this.logs.findForClient(clientId, id);
    if (!log) throw new NotFoundException(`Message log ${id} not found`);
    return log;
  }
}
