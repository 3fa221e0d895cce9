import { Body, Controller, Headers, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiHeader,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { InputValidationException, ok, StandardEnvelope } from '@app/common';
import { CurrentPrincipal, Permission, Principal, RequirePermission, RequireSession } from '../auth';
import { SendMessageDto } from './dto/send-message.dto';
import { MessageService, QueuedMessage } from './message.service';

/** Idempotency keys are opaque to us; this keeps them to something a client would plausibly send. */
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
      'These are the "API requests" of GET /api/v1/external/api-requests.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Repeating a request with the same key and body within 24 hours answers the first answer again and sends nothing more',
  })
  @ApiAcceptedResponse({
    description: 'Message queued successfully!',
    schema: { example: { status: true, message: 'Message queued successfully!', data: { message_uid: '3f9a1c2b7d4e8f60', status: 'queued' } } },
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
}
