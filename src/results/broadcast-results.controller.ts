import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { IdParamDto, ok, StandardEnvelope } from '@app/common';
import { CurrentPrincipal, Permission, Principal, RequirePermission } from '../auth';
import { NoRequestDeadline } from '../http';
import { ExpensiveRoute } from '../rate-limit';
import type { BroadcastReport } from './broadcast-report';
import { BroadcastResultsService } from './broadcast-results.service';
import { RECIPIENT_EXPORT_COLUMNS, RecipientExportService } from './recipient-export.service';

const REPORT_EXAMPLE: BroadcastReport = {
  broadcast_id: '64ac509d05a7cc2b8c2bd9ab',
  status: 'completed_with_errors',
  recipients: 500,
  pending: 0,
  sent: 497,
  delivered: 490,
  read: 312,
  replied: 41,
  failed: 3,
  opted_out: 1,
  waiting_for_limit: 0,
  failures: [
    { code: '131026', title: 'Message undeliverable', message: 'Message undeliverable', count: 2 },
    { code: 'opted_out', title: 'Opted out', message: 'The recipient opted out of messages from this client', count: 1 },
  ],
  cost: {
    billed_usd_cents: 490,
    estimated_usd_cents: 497,
    planned: { currency: 'USD', rate_card_effective_from: '2026-10-01', category: 'utility', estimated_total: 4.4, by_market: { Nigeria: { messages: 400, free: 12, amount: 3.88 }, Other: { messages: 97, free: 45, amount: 0.52 } } },
  },
  first_sent_at: '2026-12-07T10:00:00.412Z',
  last_sent_at: '2026-12-07T10:00:07.031Z',
  time_to_delivered: { p50_seconds: 4.2, p90_seconds: 8.9 },
  series: [
    { minute: '2026-12-07T10:00:00.000Z', sent: 497, delivered: 471, read: 120, failed: 3 },
    { minute: '2026-12-07T10:01:00.000Z', sent: 0, delivered: 19, read: 192, failed: 0 },
  ],
  generated_at: '2026-12-07T10:05:00.000Z',
};

/** A broadcast's results: its report and its per-recipient export (beside /broadcast's own routes). */
@ApiTags('broadcast')
@Controller('broadcast')
export class BroadcastResultsController {
  constructor(
    private readonly results: BroadcastResultsService,
    private readonly exports: RecipientExportService,
  ) {}

  @Get(':id/report')
  @RequirePermission(Permission.BroadcastRead)
  @ApiOperation({
    summary: "A broadcast's funnel: sent, delivered, read, replied, failed by reason, cost, timing and a per-minute series",
    description:
      'Computed from the ledger on each call (a few aggregations over the broadcast\'s messages, found by index). ' +
      '`recipients`, `pending`, `sent` and `failed` are those of GET /broadcast/:id (`sent + pending + failed = recipients`); ' +
      '`delivered`, `read` and `replied` count sent messages, held to `read ≤ delivered ≤ sent` and `replied ≤ sent`. ' +
      '`failures` groups every failed recipient by code (refused at creation, or failed sends), with Meta\'s title of the code. ' +
      '`cost.billed_usd_cents` sums the prices of pricing webhooks; `estimated_usd_cents` adds, for each sent message not yet priced, ' +
      "the rate of its template's category (CLOUD_API_PRICES_USD_CENTS). `cost.planned` is the estimate of the plan the broadcast was created with, " +
      "at the rate card in force then (by market, in the card's currency; null when no card was loaded). `time_to_delivered`: seconds from the first send until " +
      "50% and 90% of the sent messages were delivered (null until then). `series`: per minute (UTC), how many messages reached each status.\n\n" +
      '```\ncurl "$BASE/broadcast/$ID/report" -H "Authorization: Bearer $KEY"\n```',
  })
  @ApiOkResponse({ description: 'Broadcast report fetched successfully!', schema: { example: { status: true, message: 'Broadcast report fetched successfully!', data: REPORT_EXAMPLE } } })
  @ApiNotFoundResponse({ description: 'No such broadcast for this client' })
  async report(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<BroadcastReport>> {
    return ok('Broadcast report fetched successfully!', await this.results.report(principal.clientId, id));
  }

  @Get(':id/recipients.csv')
  @ExpensiveRoute()
  @NoRequestDeadline()
  @RequirePermission(Permission.BroadcastRead)
  @ApiOperation({
    summary: 'One CSV line per recipient: number, contact name, status, sent/delivered/read/replied times, failure code and reason, cost',
    description:
      `Columns: ${RECIPIENT_EXPORT_COLUMNS.join(', ')}. Streamed as it is read (sent recipients first, then failed, then pending); ` +
      'times are ISO 8601 UTC, empty when not reached. A recipient without a message yet shows where the broadcast holds them ' +
      '(`pending`, or `failed` with the reason it was refused). A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return ' +
      "is written after a `'` so that a spreadsheet never runs it as a formula.\n\n" +
      '```\ncurl "$BASE/broadcast/$ID/recipients.csv" -H "Authorization: Bearer $KEY" -o recipients.csv\n```',
  })
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'The CSV file', content: { 'text/csv': { schema: { type: 'string' } } } })
  @ApiNotFoundResponse({ description: 'No such broadcast for this client' })
  async recipients(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto, @Res() response: Response): Promise<void> {
    // A 404 is still an ordinary JSON answer: the stream starts only once the broadcast is known to be the client's.
    await this.results.requireOwned(principal.clientId, id);
    await this.exports.write(principal.clientId, id, response);
  }
}
