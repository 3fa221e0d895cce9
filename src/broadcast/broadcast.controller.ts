import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { IdParamDto, InputValidationException, ok, okPage, paginate, StandardEnvelope } from '@app/common';
import { CurrentPrincipal, Permission, Principal, RequirePermission, RequireSession, sessionScopeOf } from '../auth';
import { AcceptsMultipart, NoRequestDeadline, writeEventStream } from '../http';
import { ExpensiveRoute } from '../rate-limit';
import { BroadcastRecord } from './broadcast.schema';
import { BroadcastService, BroadcastSummaryView, BroadcastWithFailures, RetryResult } from './broadcast.service';
import { GetBroadcastQueryDto, ListBroadcastsQueryDto, RetryBroadcastDto, SUMMARY_FIELDS } from './dto/broadcast-query.dto';
import { CreateBroadcastCsvDto } from './dto/create-broadcast-csv.dto';
import { CreateBroadcastDto } from './dto/create-broadcast.dto';
import type { DeliveryPlan } from './delivery-plan';
import { CSV_FILE_FIELD, MAX_CSV_BYTES, NUMBER_COLUMNS, UploadedRecipientCsv } from './recipient-csv';

const CREATED_EXAMPLE = {
  status: true,
  message: 'Broadcast group created successfully!',
  data: {
    client_id: '649ff7e0e6046617c8aeabf0',
    session_id: '649ff7e0e6046617c8aeabf1',
    send_type: 'individual',
    to: '2348179803743,2349048988056',
    message: {
      text: 'New Test Broadcasts text',
      attachments: ['64ac311eee05a1a2c27fbdb5', '64ac265749240c35b96cb78c'],
      location: { name: 'optional', address: null, lat: 6.556452, lng: 3.2774487 },
      contactId: '64a00ec7c5e487d95dcb0d5e',
    },
    status: 'sending',
    sent: [],
    pending: ['2348179803743', '2349048988056'],
    failed: [],
    failures: [],
    finished_at: null,
    _id: '64ac509d05a7cc2b8c2bd9ab',
    createdAt: '2023-07-10T18:40:29.784Z',
    updatedAt: '2023-07-10T18:40:29.784Z',
    __v: 0,
  },
};

/** The session of the example bodies: Swagger UI users put theirs in place of these. */
const SESSION_EXAMPLE = { session_id: '649ff7e0e6046617c8aeabf1', access_token: 'st_your_access_token' };

/** Pre-filled in Swagger UI, so each works as it stands once the session is filled in (nothing names ids of another client). */
const CREATE_EXAMPLES = {
  text: {
    summary: 'A text to two numbers (seed 001)',
    value: { ...SESSION_EXAMPLE, send_type: 'individual', to: '2348179803743,2349048988056', message: { text: 'New Test Broadcasts text' } },
  },
  personalised: {
    summary: 'Per-recipient variables',
    value: {
      ...SESSION_EXAMPLE,
      send_type: 'individual',
      to: [
        { number: '2348179803743', variables: { name: 'Ada', order: '1042' } },
        { number: '2349048988056', variables: { order: '1043' } },
      ],
      message: { text: 'Hello {{name|friend}}, order {{order}} is ready' },
    },
  },
  location: {
    summary: 'A text and a location',
    value: {
      ...SESSION_EXAMPLE,
      send_type: 'individual',
      to: '2348179803743',
      message: { text: 'Our new shop', location: { name: 'optional', lat: '6.556452', lng: '3.2774487' } },
    },
  },
};

const COUNTS_EXAMPLE = { recipients: 3, pending: 1, sent: 1, failed: 1, delivered: 1, read: 0, waiting_for_limit: 0, next_waiting_at: null };

const SUMMARY_EXAMPLE = {
  _id: '64ac509d05a7cc2b8c2bd9ab',
  client_id: '649ff7e0e6046617c8aeabf0',
  session_id: '649ff7e0e6046617c8aeabf1',
  send_type: 'individual',
  message: { text: 'Hello {{name|friend}}', attachments: [], location: null, contactId: null },
  status: 'sending',
  finished_at: null,
  activated_at: '2023-07-10T18:40:29.784Z',
  personalised: true,
  counts: COUNTS_EXAMPLE,
  createdAt: '2023-07-10T18:40:29.784Z',
  updatedAt: '2023-07-10T18:40:31.102Z',
  __v: 0,
};

const PLAN_EXAMPLE = {
  planned_at: '2026-12-07T10:00:00.000Z',
  recipients: { given: 3, valid: 2, duplicates: 0, invalid: 1, invalid_numbers: [{ input: '12', reason: '"12" is not a valid international phone number' }] },
  refused: { opted_out: 0, marketing_stopped: 0, without_opt_in: 0, outside_window_free_form: 0 },
  window: { inside: 1, outside: 1 },
  messaging_limit: {
    portfolio_id: '506914307656634',
    limit: 250,
    reached_in_window: 250,
    business_initiated: 1,
    within_limit: 0,
    waiting: 1,
    first_waiting_starts_at: '2026-12-08T09:12:40.000Z',
    last_waiting_starts_at: '2026-12-08T09:12:40.000Z',
  },
  will_send: 2,
  will_fail: 0,
  duration: { messages_per_second: 80, expected_seconds: 83560, expected_end: '2026-12-08T09:12:40.000Z' },
  cost: {
    currency: 'USD',
    rate_card_effective_from: '2026-10-01',
    category: 'utility',
    category_source: 'template',
    estimated_total: 0.01,
    by_category: { utility: { messages: 2, free: 1, amount: 0.01 } },
    by_market: { Nigeria: { messages: 2, free: 1, amount: 0.01 } },
  },
  cost_note: null,
};

@ApiTags('broadcast')
@Controller('broadcast')
export class BroadcastController {
  constructor(private readonly broadcasts: BroadcastService) {}

  @Post()
  @ExpensiveRoute()
  @RequireSession()
  @RequirePermission(Permission.BroadcastWrite)
  @ApiOperation({
    summary: 'Create a broadcast: one message to many recipients, sent by the worker through the session',
    description:
      'Numbers are normalised to digits-only international form and deduplicated. Every recipient starts in `pending` and ' +
      'moves to `sent` or `failed`; `failures` gives the reason of each failed one (GET /broadcast/:id has them all).\n\n' +
      "Seed 001's command works as written (`--data` sends the JSON text as a form, which is read as JSON):\n\n" +
      '```\ncurl --location "$BASE/broadcast" -H "Authorization: Bearer $KEY" --data \'{\n"session_id": "\'$SID\'",\n"access_token": "\'$TOKEN\'",\n' +
      '"send_type": "individual",\n"to": "2348179803743,2349048988056",\n"message": { "text": "New Test Broadcasts text" }\n}\'\n```\n\n' +
      "Seed 001's full body also names attachments and a contact: their ids must be your own (`POST /attachment`, `POST /contacts` " +
      'answer them), so it is shown here rather than pre-filled:\n\n' +
      '```json\n{ "session_id": "...", "access_token": "...", "send_type": "individual", "to": "2348179803743,2349048988056",\n' +
      '  "message": { "text": "New Test Broadcasts text", "attachments": ["<your attachment id>", "<another>"],\n' +
      '               "location": { "name": "optional", "lat": "6.556452", "lng": "3.2774487" }, "contactId": "<your contact id>" } }\n```\n\n' +
      'Scheduling: add `"send_at"`, a future time such as an hour from now, with a UTC offset (in a shell: ' +
      "`\"send_at\": \"'$(date -u -d '+1 hour' +%FT%TZ)'\"`), or a local time with `\"timezone\": \"Africa/Lagos\"`. " +
      'The broadcast is `scheduled` until then, then `sending`.\n\n' +
      'A placeholder without a default that some recipient has no value for is a 400 listing those recipients. ' +
      'The text each recipient was sent is what their message log holds.',
  })
  @ApiBody({ type: CreateBroadcastDto, examples: CREATE_EXAMPLES })
  @ApiCreatedResponse({ description: 'Broadcast group created successfully!', schema: { example: CREATED_EXAMPLE } })
  @ApiBadRequestResponse({
    description:
      'Invalid numbers (each named), empty message, unknown attachment or contact, wrong send_type, too many recipients, ' +
      'variables missing for some recipients (listed), a malformed or past send_at, an unknown timezone',
  })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateBroadcastDto,
  ): Promise<StandardEnvelope<BroadcastRecord>> {
    // @RequireSession() guarantees the session.
    const broadcast = await this.broadcasts.create(principal.clientId, principal.session!.id, body);
    return ok('Broadcast group created successfully!', broadcast);
  }

  @Post('plan')
  @HttpCode(200)
  @ExpensiveRoute()
  @RequireSession()
  @RequirePermission(Permission.BroadcastWrite)
  @ApiOperation({
    summary: 'The delivery plan of a broadcast, before sending: takes the body of POST /broadcast and writes nothing',
    description:
      'Answers who gets what and when: valid, invalid (with reasons) and duplicate numbers; opted out and stopped marketing; ' +
      'inside the customer-service window (free-form is delivered) or outside it (free-form fails: send a template); ' +
      "over the portfolio's messaging limit (they wait, with the expected start); how long it takes at the session's rate; " +
      'its `cost` by category and market at the rate card the operator loaded (`cli rate-card:load`; null with `cost_note` when none is). ' +
      'POST /broadcast answers the same plan in its `plan` field and keeps it on the broadcast. See docs/messaging-limits.md.',
  })
  @ApiBody({ type: CreateBroadcastDto, examples: CREATE_EXAMPLES })
  @ApiOkResponse({ description: 'Delivery plan made successfully!', schema: { example: { status: true, message: 'Delivery plan made successfully!', data: PLAN_EXAMPLE } } })
  @ApiBadRequestResponse({ description: 'The problems POST /broadcast answers 400 for, but invalid numbers, which the plan lists' })
  async plan(@CurrentPrincipal() principal: Principal, @Body() body: CreateBroadcastDto): Promise<StandardEnvelope<DeliveryPlan>> {
    // @RequireSession() guarantees the session.
    return ok('Delivery plan made successfully!', await this.broadcasts.plan(principal.clientId, principal.session!.id, body));
  }

  @Post('csv/plan')
  @HttpCode(200)
  @ExpensiveRoute()
  @RequireSession()
  @RequirePermission(Permission.BroadcastWrite)
  @AcceptsMultipart(CSV_FILE_FIELD)
  @NoRequestDeadline()
  @UseInterceptors(FileInterceptor(CSV_FILE_FIELD))
  @ApiOperation({ summary: 'The delivery plan of a CSV broadcast: the upload of POST /broadcast/csv, and nothing written' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: [CSV_FILE_FIELD, 'message'], properties: { [CSV_FILE_FIELD]: { type: 'string', format: 'binary' }, message: { type: 'string', example: '{"text":"Hello {{name|friend}}"}' } } } })
  @ApiOkResponse({ description: 'Delivery plan made successfully!', schema: { example: { status: true, message: 'Delivery plan made successfully!', data: PLAN_EXAMPLE } } })
  @ApiBadRequestResponse({ description: 'No file, no number/phone column, bad rows (each with its line number), missing variables, a bad message' })
  async planFromCsv(
    @CurrentPrincipal() principal: Principal,
    @UploadedFile() file: UploadedRecipientCsv | undefined,
    @Body() fields: CreateBroadcastCsvDto,
  ): Promise<StandardEnvelope<DeliveryPlan>> {
    if (!file) throw new BadRequestException(`Send the recipient list as multipart/form-data in the field "${CSV_FILE_FIELD}"`);
    const { entries, problems } = file.recipients;
    if (problems.length > 0 && entries.length === 0) throw new InputValidationException(problems);
    return ok('Delivery plan made successfully!', await this.broadcasts.planFor(principal.clientId, principal.session!.id, fields, entries, [...problems]));
  }

  @Post('csv')
  @ExpensiveRoute()
  @RequireSession()
  @RequirePermission(Permission.BroadcastWrite)
  @AcceptsMultipart(CSV_FILE_FIELD)
  @NoRequestDeadline()
  @UseInterceptors(FileInterceptor(CSV_FILE_FIELD))
  @ApiOperation({
    summary: 'Create a broadcast from a CSV recipient list (multipart: the file, and the message as JSON)',
    description:
      `The file (field "${CSV_FILE_FIELD}", UTF-8, comma-separated, at most ${MAX_CSV_BYTES / 1024 / 1024} MB) has a header row with one column named ` +
      `${NUMBER_COLUMNS.join(' or ')}; every other column is a variable for the message's {{placeholders}} (an empty cell: no value). ` +
      'It is read row by row as it arrives; a bad row is reported with its line number, and nothing is created. ' +
      'The other form fields are those of POST /broadcast, `message` (and `template`) as JSON text. The session goes in ' +
      'X-Session-Id/X-Access-Token headers or the query string (the body is read after authentication).\n\n' +
      '```\ncurl "$BASE/broadcast/csv" -H "Authorization: Bearer $KEY" -H "X-Session-Id: $SID" -H "X-Access-Token: $TOKEN" \\\n' +
      '  -F file=@customers.csv -F \'message={"text":"Hello {{name|friend}}, order {{order}} is ready"}\' -F skip_invalid=true\n```\n\n' +
      'customers.csv:\n\n```\nnumber,name,order\n2348179803743,Ada,1042\n+234 904 898 8056,,1043\n```',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: [CSV_FILE_FIELD, 'message'],
      properties: {
        [CSV_FILE_FIELD]: { type: 'string', format: 'binary' },
        message: { type: 'string', example: '{"text":"Hello {{name|friend}}"}' },
        template: { type: 'string' },
        send_type: { type: 'string', enum: ['individual'] },
        skip_invalid: { type: 'string', enum: ['true', 'false'] },
        send_at: { type: 'string', example: '2026-12-04T10:00:00+01:00' },
        timezone: { type: 'string', example: 'Africa/Lagos' },
      },
    },
  })
  @ApiCreatedResponse({
    description: 'Broadcast group created successfully! The answer is the summary (no recipient arrays, which may be 100,000 long), with `counts`.',
    schema: { example: { status: true, message: 'Broadcast group created successfully!', data: SUMMARY_EXAMPLE } },
  })
  @ApiBadRequestResponse({ description: 'No file, no number/phone column, bad rows (each with its line number), missing variables, a bad message' })
  @ApiPayloadTooLargeResponse({ description: `The file is larger than ${MAX_CSV_BYTES / 1024 / 1024} MB` })
  async createFromCsv(
    @CurrentPrincipal() principal: Principal,
    @UploadedFile() file: UploadedRecipientCsv | undefined,
    @Body() fields: CreateBroadcastCsvDto,
  ): Promise<StandardEnvelope<BroadcastSummaryView>> {
    if (!file) throw new BadRequestException(`Send the recipient list as multipart/form-data in the field "${CSV_FILE_FIELD}"`);
    const { entries, problems } = file.recipients;
    // A list that could not be read at all says only that; otherwise its rows' problems join the rest.
    if (problems.length > 0 && entries.length === 0) throw new InputValidationException(problems);
    // @RequireSession() guarantees the session.
    const broadcast = await this.broadcasts.createFor(principal.clientId, principal.session!.id, fields, entries, [...problems]);
    return ok('Broadcast group created successfully!', await this.broadcasts.getSummary(principal.clientId, broadcast._id.toHexString()));
  }

  @Get()
  @RequirePermission(Permission.BroadcastRead)
  @ApiOperation({
    summary: "List broadcasts, newest first: the selected session's, or all sessions' with type=all",
    description: 'With `fields=summary` each broadcast comes without its recipient arrays, with `counts` instead.',
  })
  @ApiOkResponse({ description: 'Broadcasts fetched successfully!' })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListBroadcastsQueryDto,
  ): Promise<StandardEnvelope<Array<BroadcastRecord | BroadcastSummaryView>>> {
    const sessionId = sessionScopeOf(principal, query.type, 'broadcasts');
    const page = { page: query.page, limit: query.limit };
    const { items, total }: { items: BroadcastRecord[] | BroadcastSummaryView[]; total: number } =
      query.fields === SUMMARY_FIELDS
        ? await this.broadcasts.listSummaries(principal.clientId, sessionId, page)
        : await this.broadcasts.list(principal.clientId, sessionId, page);
    return okPage<BroadcastRecord | BroadcastSummaryView>('Broadcasts fetched successfully!', items, paginate(page, total));
  }

  @Get(':id')
  @RequirePermission(Permission.BroadcastRead)
  @ApiOperation({
    summary: 'Get one broadcast, with the reason of every failed recipient in `failures` and its `counts`',
    description:
      '`counts`: `recipients`, `pending`, `sent`, `failed`, and of the sent ones `delivered` (delivered or read) and `read`; ' +
      'of the pending ones `waiting_for_limit` (held back by the messaging limit) with `next_waiting_at`, when the first is expected to go. ' +
      'With `fields=summary` the recipient arrays are left out.',
  })
  @ApiOkResponse({ description: 'Broadcast fetched successfully!', schema: { example: { status: true, message: 'Broadcast fetched successfully!', data: SUMMARY_EXAMPLE } } })
  @ApiNotFoundResponse({ description: 'No such broadcast for this client' })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param() { id }: IdParamDto,
    @Query() query: GetBroadcastQueryDto,
  ): Promise<StandardEnvelope<BroadcastWithFailures | BroadcastSummaryView>> {
    const broadcast =
      query.fields === SUMMARY_FIELDS ? await this.broadcasts.getSummary(principal.clientId, id) : await this.broadcasts.get(principal.clientId, id);
    return ok('Broadcast fetched successfully!', broadcast);
  }

  @Get(':id/events')
  @RequirePermission(Permission.BroadcastRead)
  @ApiOperation({
    summary: 'Live progress as Server-Sent Events',
    description:
      'A `progress` event about once a second with `{ _id, status, counts }`, then one `completed` event (same data) once the ' +
      'broadcast has finished (completed, completed_with_errors, failed or cancelled), and the stream ends. A broadcast deleted ' +
      'meanwhile ends it with a `deleted` event. The API key goes in a header, as everywhere.\n\n' +
      '```\ncurl -N "$BASE/broadcast/$ID/events" -H "Authorization: Bearer $KEY"\n\nevent: progress\n' +
      'data: {"_id":"64ac509d05a7cc2b8c2bd9ab","status":"sending","counts":{"recipients":3,"pending":1,"sent":2,"failed":0,"delivered":1,"read":0,"waiting_for_limit":0,"next_waiting_at":null}}\n\n' +
      'event: completed\ndata: {"_id":"64ac509d05a7cc2b8c2bd9ab","status":"completed","counts":{"recipients":3,"pending":0,"sent":3,"failed":0,"delivered":2,"read":1,"waiting_for_limit":0,"next_waiting_at":null}}\n```',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'The event stream', schema: { type: 'string' } })
  @ApiNotFoundResponse({ description: 'No such broadcast for this client' })
  async events(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto, @Req() request: Request, @Res() response: Response): Promise<void> {
    writeEventStream(request, response, await this.broadcasts.progressEvents(principal.clientId, id));
  }

  @Post(':id/pause')
  @HttpCode(200)
  @RequirePermission(Permission.BroadcastWrite)
  @ApiOperation({
    summary: 'Pause sending: queued messages wait (messages already being sent finish); status `paused`',
    description: 'Recipients not yet sent stay in `pending` until POST /broadcast/:id/resume. A paused broadcast can be cancelled.',
  })
  @ApiOkResponse({ description: 'Broadcast paused successfully!' })
  @ApiNotFoundResponse({ description: 'No such broadcast for this client' })
  @ApiConflictResponse({ description: 'The broadcast is not sending (scheduled, finished or cancelled)' })
  async pause(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<BroadcastRecord>> {
    return ok('Broadcast paused successfully!', await this.broadcasts.pause(principal.clientId, id));
  }

  @Post(':id/resume')
  @HttpCode(200)
  @RequirePermission(Permission.BroadcastWrite)
  @ApiOperation({ summary: 'Resume a paused broadcast: what is still pending is sent; status `sending`' })
  @ApiOkResponse({ description: 'Broadcast resumed successfully!' })
  @ApiNotFoundResponse({ description: 'No such broadcast for this client' })
  @ApiConflictResponse({ description: 'The broadcast is not paused' })
  async resume(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<BroadcastRecord>> {
    return ok('Broadcast resumed successfully!', await this.broadcasts.resume(principal.clientId, id));
  }

  @Post(':id/retry')
  @HttpCode(200)
  @RequirePermission(Permission.BroadcastWrite)
  @ApiOperation({
    summary: 'Retry failed recipients: those that failed for a transient reason (or every send failure with include_permanent)',
    description:
      'They move from `failed` back to `pending` in one atomic update (every recipient stays in exactly one array) and are sent ' +
      'again; a finished broadcast is `sending` again, a paused one sends them on resume, a sending one in its current run ' +
      '(each retried recipient gets a new send job of that run, at the end of its window). Numbers refused as invalid are never ' +
      'retried. `data.retried` says how many were queued again (0: nothing to retry).\n\n' +
      '```\ncurl "$BASE/broadcast/$ID/retry" -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" -d \'{"include_permanent": true}\'\n```',
  })
  @ApiOkResponse({
    description: 'Broadcast failures queued again!',
    schema: { example: { status: true, message: 'Broadcast failures queued again!', data: { retried: 1, broadcast: SUMMARY_EXAMPLE } } },
  })
  @ApiNotFoundResponse({ description: 'No such broadcast for this client' })
  @ApiConflictResponse({ description: 'The broadcast is scheduled or cancelled, another retry of it is under way, or it changed during the retry' })
  async retry(
    @CurrentPrincipal() principal: Principal,
    @Param() { id }: IdParamDto,
    @Body() body: RetryBroadcastDto,
  ): Promise<StandardEnvelope<RetryResult>> {
    return ok('Broadcast failures queued again!', await this.broadcasts.retry(principal.clientId, id, body.include_permanent === true));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @RequirePermission(Permission.BroadcastWrite)
  @ApiOperation({ summary: 'Stop sending: queued messages are dropped, the record stays with status `cancelled` (also before a schedule starts, and while paused)' })
  @ApiOkResponse({ description: 'Broadcast cancelled successfully!' })
  @ApiNotFoundResponse({ description: 'No such broadcast for this client' })
  @ApiConflictResponse({ description: 'The broadcast has already finished' })
  async cancel(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<BroadcastRecord>> {
    return ok('Broadcast cancelled successfully!', await this.broadcasts.cancel(principal.clientId, id));
  }

  @Delete(':id')
  @HttpCode(200)
  @RequirePermission(Permission.BroadcastWrite)
  @ApiOperation({ summary: 'Delete a broadcast: its queued jobs are removed first (nothing more is sent); message and WhatsApp logs stay' })
  @ApiOkResponse({ description: 'Broadcast deleted successfully!' })
  @ApiNotFoundResponse({ description: 'No such broadcast for this client' })
  async delete(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<null>> {
    await this.broadcasts.delete(principal.clientId, id);
    return ok('Broadcast deleted successfully!', null);
  }
}
