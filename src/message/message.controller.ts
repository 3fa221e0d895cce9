import { Body, Controller, Delete, Get, Headers, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { InputValidationException, ok, StandardEnvelope } from '@app/common';
import { CurrentPrincipal, Permission, Principal, RequirePermission, RequireSession } from '../auth';
import { MessageIdParamDto } from './dto/message-id-param.dto';
import { SendMessageDto } from './dto/send-message.dto';
import { MessageService, MessageView, QueuedMessage } from './message.service';

const SCHEDULED_VIEW_EXAMPLE = {
  _id: '6571a3c2e4b0f1a2b3c4d5e6',
  message_uid: '3f9a1c2b7d4e8f60',
  status: 'scheduled',
  to: '2348179803743',
  send_at: '2026-12-04T09:00:00.000Z',
  error: null,
  status_times: { queuedAt: '2026-12-03T16:00:00.000Z', sendingAt: null, sentAt: null, deliveredAt: null, readAt: null, failedAt: null },
  createdAt: '2026-12-03T16:00:00.000Z',
  updatedAt: '2026-12-03T16:00:00.000Z',
};

const CANCELLED_VIEW_EXAMPLE = {
  ...SCHEDULED_VIEW_EXAMPLE,
  status: 'cancelled',
  error: { code: 'cancelled', message: 'Cancelled by the client before it was sent' },
  status_times: { ...SCHEDULED_VIEW_EXAMPLE.status_times, cancelledAt: '2026-12-03T16:05:00.000Z' },
  updatedAt: '2026-12-03T16:05:00.000Z',
};

/** Idempotency keys are opaque to us; this keeps them to something a client would plausibly send. */
/** Pre-filled in Swagger UI: each works as it stands once the session is filled in. */
const SEND_EXAMPLES = {
  text: {
    summary: 'A text',
    value: { session_id: '649ff7e0e6046617c8aeabf1', access_token: 'st_your_access_token', to: '2348179803743', message: { text: 'Your order 1042 is ready' } },
  },
  location: {
    summary: 'A location with its name and address',
    value: {
      session_id: '649ff7e0e6046617c8aeabf1',
      access_token: 'st_your_access_token',
      to: '2348179803743',
      message: { location: { name: 'Our shop', address: '1 Marina Road, Lagos', lat: 6.4541, lng: 3.3947 } },
    },
  },
};

const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

@ApiTags('messages')
@Controller('v1/messages')
export class MessageController {
  constructor(private readonly messages: MessageService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @RequireSession()
  @RequirePermission(Permission.MessageSend)
  @ApiOperation({
    summary: 'Send one message to one recipient (text, attachments, location, contact card and/or a template)',
    description:
      'Queued and sent by the worker through the session, like a broadcast recipient, within the same per-session rate limit. ' +
      'These are the "API requests" of GET /api/v1/external/api-requests.\n\n' +
      'With `send_at` (ISO 8601 with an offset, or local time with `timezone`, an IANA name) the message is `scheduled` until then ' +
      '(GET /v1/messages/:id, GET /message-log/:id and the other ledger views say so) and can be cancelled or deleted before it starts:\n\n' +
      '```\ncurl "$BASE/v1/messages" -H "Authorization: Bearer $KEY" -H "X-Session-Id: $SID" -H "X-Access-Token: $TOKEN" \\\n' +
      '  -H "Content-Type: application/json" -d \'{"to": "2348179803743", "message": {"text": "Your appointment is tomorrow"}, ' +
      '"send_at": "\'$(date -u -d \'+1 hour\' +%FT%TZ)\'"}\'\n\n' +
      '{"status": true, "message": "Message queued successfully!", "data": {"message_uid": "3f9a1c2b7d4e8f60", "status": "scheduled", "send_at": "<an hour from now>"}}\n```\n\n' +
      'A local time with `"timezone": "Africa/Lagos"` works too. Attachments and a contact card take ids of your own ' +
      '(`POST /attachment`, `POST /contacts` answer them).',
  })
  @ApiBody({ type: SendMessageDto, examples: SEND_EXAMPLES })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Repeating a request with the same key and body within 24 hours answers the first answer again and sends nothing more',
  })
  @ApiAcceptedResponse({
    schema: { example: { status: true, message: 'Message queued successfully!', data: { message_uid: '3f9a1c2b7d4e8f60', status: 'queued' } } },
    description: 'Message queued successfully! (`status: "scheduled"` and `send_at` with a schedule)',
  })
  @ApiBadRequestResponse({ description: 'Invalid number, empty message, unknown attachment or contact, bad template' })
  @ApiConflictResponse({ description: 'The session is unhealthy (e.g. expired provider token), or the same Idempotency-Key is in flight' })
  @ApiUnprocessableEntityResponse({ description: 'The Idempotency-Key was already used with a different body' })
  async send(
    @CurrentPrincipal() principal: Principal,
    @Body() body: SendMessageDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<StandardEnvelope<QueuedMessage>> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
      throw new InputValidationException(['Idempotency-Key must be 1-255 visible ASCII characters']);
    }
    return ok('Message queued successfully!', await this.messages.send(principal, body, idempotencyKey));
  }

  @Get(':id')
  @RequirePermission(Permission.MessageLogRead)
  @ApiOperation({
    summary: 'Where one message stands: scheduled, queued, sending, sent, delivered, read, failed or cancelled',
    description: 'By the `message_uid` POST /v1/messages answered (or the message log `_id`).\n\n```\ncurl "$BASE/v1/messages/3f9a1c2b7d4e8f60" -H "Authorization: Bearer $KEY"\n```',
  })
  @ApiOkResponse({ description: 'Message fetched successfully!', schema: { example: { status: true, message: 'Message fetched successfully!', data: SCHEDULED_VIEW_EXAMPLE } } })
  @ApiNotFoundResponse({ description: 'No such message of this client' })
  async get(@CurrentPrincipal() principal: Principal, @Param() { id }: MessageIdParamDto): Promise<StandardEnvelope<MessageView>> {
    return ok('Message fetched successfully!', await this.messages.get(principal.clientId, id));
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.OK)
  @RequirePermission(Permission.MessageSend)
  @ApiOperation({
    summary: 'Cancel a message before it starts (scheduled, or queued and not yet taken by a worker): status `cancelled`, nothing is sent',
    description:
      'The entry stays in the ledger as `cancelled` (error code `cancelled`); its job is removed, and should it run anyway nothing is sent. ' +
      'Cancelling again answers the same.\n\n```\ncurl -X POST "$BASE/v1/messages/3f9a1c2b7d4e8f60/cancel" -H "Authorization: Bearer $KEY"\n```',
  })
  @ApiOkResponse({ description: 'Message cancelled successfully!', schema: { example: { status: true, message: 'Message cancelled successfully!', data: CANCELLED_VIEW_EXAMPLE } } })
  @ApiNotFoundResponse({ description: 'No such message of this client' })
  @ApiConflictResponse({ description: 'The message is already being sent, or has finished (sent, delivered, read or failed)' })
  async cancel(@CurrentPrincipal() principal: Principal, @Param() { id }: MessageIdParamDto): Promise<StandardEnvelope<MessageView>> {
    return ok('Message cancelled successfully!', await this.messages.cancel(principal.clientId, id));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.OK)
  @RequirePermission(Permission.MessageSend)
  @ApiOperation({
    summary: 'Delete a message that never started (scheduled, queued or cancelled): its job and its ledger entry go; nothing is sent',
    description: 'A message that started stays in the ledger: 409.\n\n```\ncurl -X DELETE "$BASE/v1/messages/3f9a1c2b7d4e8f60" -H "Authorization: Bearer $KEY"\n```',
  })
  @ApiOkResponse({ description: 'Message deleted successfully!', schema: { example: { status: true, message: 'Message deleted successfully!', data: null } } })
  @ApiNotFoundResponse({ description: 'No such message of this client' })
  @ApiConflictResponse({ description: 'The message is already being sent, or has finished' })
  async delete(@CurrentPrincipal() principal: Principal, @Param() { id }: MessageIdParamDto): Promise<StandardEnvelope<null>> {
    await this.messages.delete(principal.clientId, id);
    return ok('Message deleted successfully!', null);
  }
}
