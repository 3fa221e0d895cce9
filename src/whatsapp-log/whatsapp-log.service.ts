import { Injectable, NotFoundException } from '@nestjs/common';
import { WHATSAPP_LOG_FIELD_NAMES } from './whatsapp-log.fields';
import { parseCountBody, parseItemBody, parseListBody } from './whatsapp-log.query';
import { WhatsappLogRepository, WhatsappLogView } from './whatsapp-log.repository';

export interface WhatsappLogPaging {
  skip: number;
  limit: number;
}

/** get-list's answer, exactly as seed 002 shows it: `count` is the total that matches the query. */
export interface WhatsappLogList {
  count: number;
  limit: number;
  skip: number;
  data: WhatsappLogView[];
}

/** The read side of the WhatsApp log: seed 002's get-list, get-item and count for one client. */
@Injectable()
export class WhatsappLogService {
  constructor(private readonly logs: WhatsappLogRepository) {}

  async list(clientId: string, paging: WhatsappLogPaging, body: { select?: unknown; query?: unknown; sort?: unknown }): Promise<WhatsappLogList> {
    const spec = parseListBody(body);
    const page = await this.logs.findPageForClient(clientId, { ...spec, ...paging });
    return {
      count: page.total,
      limit: paging.limit,
      skip: paging.skip,
      data: page.items.map((log) => withEveryField(log, spec.select)),
    };
  }

  async get(clientId: string, id: string, body: { select?: unknown }): Promise<WhatsappLogView> {
    const { select } = parseItemBody(body);
    const log = await this.logs.findOneForClient(clientId, id, select);
    if (!log) throw new NotFoundException(`WhatsApp log ${id} not found`);
    return withEveryField(log, select);
  }

  async count(clientId: string, body: { query?: unknown }): Promise<{ count: number }> {
    const { conditions } = parseCountBody(body);
    return { count: await this.logs.countForClient(clientId, conditions) };
  }
}

/** Every selected field present (null when the stored document lacks it), so the shape never varies. */
function withEveryField(log: WhatsappLogView, select: readonly string[] | null): WhatsappLogView {
  const view: Record<string, unknown> = { ...log };
  for (const field of select ?? WHATSAPP_LOG_FIELD_NAMES) if (!(field in view)) view[field] = null;
  return view;
}
