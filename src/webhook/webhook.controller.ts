import { Body, Controller, Get, Header, Headers, HttpCode, HttpStatus, Post, Query, Req } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiForbiddenResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ok, StandardEnvelope } from '@app/common';
import { WEBHOOK_SIGNATURE_HEADER } from '@app/whatsapp';
import { Public } from '../auth/auth.decorators';
import { WebhookHandshakeQuery } from './dto/webhook-handshake.query';
import { WebhookOutcome, WhatsappWebhookService } from './whatsapp-webhook.service';

const STATUS_WEBHOOK_EXAMPLE = {
  object: 'whatsapp_business_account',
  entry: [
    {
      id: '102290129340398',
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
            statuses: [
              {
                id: 'wamid.HBgLMjM0ODE3OTgwMzc0MxUCABEYEjdBMzY3QkY0QjQ5RjMwRkI3NwA=',
                status: 'delivered',
                timestamp: '1700000005',
                recipient_id: '2348179803743',
                pricing: { billable: true, pricing_model: 'PMP', category: 'marketing' },
              },
            ],
          },
        },
      ],
    },
  ],
};

/** Meta calls these: no API key, authenticated by the verify token and the body signature instead. */
@ApiTags('webhooks')
@Public()
@Controller('webhooks/whatsapp')
export class WebhookController {
  constructor(private readonly webhooks: WhatsappWebhookService) {}

  @Get()
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({ summary: "Answer Meta's webhook subscription handshake by echoing hub.challenge" })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The hub.challenge, as plain text', schema: { type: 'string', example: '1158201444' } })
  @ApiBadRequestResponse({ description: 'hub.mode is not "subscribe", or a parameter is missing' })
  @ApiForbiddenResponse({ description: 'hub.verify_token matches no cloud-api session' })
  handshake(@Query() query: WebhookHandshakeQuery): Promise<string> {
    return this.webhooks.answerHandshake(query['hub.verify_token'], query['hub.challenge']);
  }

  @Post()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: "Receive Cloud API status updates (sent, delivered, read, failed) and customers' messages",
    description:
      "Verified with X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the session's app secret). " +
      'Repeated or out-of-order updates are harmless: a status never moves backwards. Messages (text, media, location, ' +
      'contacts, button and list replies, reactions) become inbound entries of the ledger, once per wamid; media files are ' +
      "fetched from the Graph API into attachments; the sender becomes a contact; opt-out keywords opt the number out.",
  })
  @ApiHeader({ name: 'X-Hub-Signature-256', required: true, description: 'sha256=<hex HMAC of the raw body>' })
  @ApiBody({ schema: { type: 'object', example: STATUS_WEBHOOK_EXAMPLE } })
  @ApiOkResponse({ description: 'Webhook processed', schema: { example: { status: true, message: 'Webhook processed', data: { updates: 1, messages: 0 } } } })
  @ApiUnauthorizedResponse({ description: 'Missing or wrong signature, or a phone_number_id of no session; nothing is written' })
  @ApiBadRequestResponse({ description: 'The body is not JSON' })
  async receive(
    @Req() request: RawBodyRequest<Request>,
    @Headers(WEBHOOK_SIGNATURE_HEADER) signature: string | undefined,
    @Body() payload: unknown,
  ): Promise<StandardEnvelope<WebhookOutcome>> {
    return ok('Webhook processed', await this.webhooks.receive(request.rawBody, signature, payload));
  }
}
