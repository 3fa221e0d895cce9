import { Injectable } from '@nestjs/common';
import { InputValidationException, nextUtcDay, paginate, utcDayStart } from '@app/common';
import { deliveryFlags } from '../message-status/message-status';
import { ApiRequestsQueryDto } from './dto/api-requests-query.dto';
import { ApiRequestLogDto, ApiRequestsDataDto, PaginationDetailsDto } from './dto/api-requests-response.dto';
import { ApiRequestFilter, ApiRequestLogRepository, ApiRequestRow } from './api-request-log.repository';

/** Seed 004: the messages a client sent through POST /v1/messages, with filters and counts. */
@Injectable()
export class ApiRequestLogService {
  constructor(private readonly logs: ApiRequestLogRepository) {}

  async list(clientId: string, query: ApiRequestsQueryDto): Promise<ApiRequestsDataDto> {
    const { page, limit } = query;
    const { counts, items } = await this.logs.findApiRequests(clientId, toFilter(query), { page, limit });
    return { ...counts, logs: items.map(toLog), paginationDetails: paginationDetails(page, limit, counts.totalMessages) };
  }
}

/** Converts the validated query into repository terms; the one cross-field rule lives here. */
export function toFilter(query: ApiRequestsQueryDto): ApiRequestFilter {
  const start = query.start_date === undefined ? null : utcDayStart(query.start_date);
  const end = query.end_date === undefined ? null : utcDayStart(query.end_date);
  if (start && end && end < start) {
    throw new InputValidationException([`end_date (${query.end_date}) must not be before start_date (${query.start_date})`]);
  }
  return {
    sent: query.sent,
    read: query.read,
    templateName: query.template_name,
    messageUid: query.message_uid,
    createdFrom: start ?? undefined,
    // Dates are whole UTC days, both ends included.
    createdBefore: end ? nextUtcDay(end) : undefined,
    contactNumberDigits: query.contact_number?.replace(/\D/g, ''),
    contactName: query.contact_name,
  };
}

function toLog(row: ApiRequestRow): ApiRequestLogDto {
  return {
    template_name: row.template_name,
    message_uid: row.message_uid,
    contact_number: `+${row.recipient}`,
    contact_name: row.contact?.name ?? null,
    ...deliveryFlags(row.status),
    createdAt: row.createdAt.toISOString(),
  };
}

/** Seed 004's paginationDetails: the standard pagination arithmetic under the seed's names. */
export function paginationDetails(currentPage: number, limit: number, totalCount: number): PaginationDetailsDto {
  const { totalPages, nextPage, prevPage } = paginate({ page: currentPage, limit }, totalCount);
  return { totalCount, totalPages, currentPage, nextPage, prevPage };
}
