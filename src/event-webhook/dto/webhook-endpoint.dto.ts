import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsObjectIdParam, OptionalNotNull, PageQueryDto, RequiredText } from '@app/common';
import { CLIENT_EVENT_TYPES, ClientEventType } from '../client-events';
import { DELIVERY_STATUSES, WebhookDeliveryStatus } from '../webhook-delivery.schema';
import { MAX_WEBHOOK_URL_LENGTH } from '../webhook-url-guard';

const URL_DOC = {
  description: 'Where events are POSTed: http(s), resolving to public addresses only (unless WEBHOOK_ALLOW_PRIVATE_URLS=true)',
  example: 'https://example.com/hooks/whatsapp',
  maxLength: MAX_WEBHOOK_URL_LENGTH,
};

/** The fields both bodies share; given, `events` and `enabled` must be what they say (null is refused: it means nothing). */
class WebhookEndpointFieldsDto {
  @ApiPropertyOptional({
    description: 'The events this endpoint receives; absent or empty: every event',
    enum: CLIENT_EVENT_TYPES,
    isArray: true,
    example: ['message.delivered', 'message.read', 'message.failed', 'message.received'],
  })
  @OptionalNotNull()
  @IsArray({ message: 'events must be an array of event names' })
  @ArrayUnique({ message: 'events must not repeat an event' })
  @IsIn(CLIENT_EVENT_TYPES, { each: true, message: `each of events must be one of: ${CLIENT_EVENT_TYPES.join(', ')}` })
  events?: ClientEventType[];

  @ApiPropertyOptional({ example: 'CRM sync', maxLength: 500, nullable: true })
  @IsOptional()
  @IsString({ message: 'description must be text' })
  @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({ description: 'Whether events are delivered to it (default true)', example: true })
  @OptionalNotNull()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;
}

export class CreateWebhookEndpointDto extends WebhookEndpointFieldsDto {
  @ApiProperty(URL_DOC)
  @RequiredText(MAX_WEBHOOK_URL_LENGTH)
  url!: string;
}

/** Any subset of an endpoint's fields; `enabled: true` also clears why the service disabled it. `description: null` clears it. */
export class UpdateWebhookEndpointDto extends WebhookEndpointFieldsDto {
  @ApiPropertyOptional(URL_DOC)
  @OptionalNotNull()
  @RequiredText(MAX_WEBHOOK_URL_LENGTH)
  url?: string;
}

export class ListDeliveriesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, description: 'Only deliveries in this state' })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES, { message: `status must be one of: ${DELIVERY_STATUSES.join(', ')}` })
  status?: WebhookDeliveryStatus;
}

/** An endpoint as the API shows it (never its secret, except once in the creation answer). */
export class WebhookEndpointView {
  @ApiProperty({ example: '6571f1b2c3d4e5f6a7b8c9d0' }) _id!: string;
  @ApiProperty({ example: '61a7bd6ea34282366c025764' }) client_id!: string;
  @ApiProperty({ example: 'https://example.com/hooks/whatsapp' }) url!: string;
  @ApiProperty({ type: String, nullable: true, example: 'CRM sync' }) description!: string | null;
  @ApiProperty({ enum: CLIENT_EVENT_TYPES, isArray: true, description: 'Empty: every event', example: [] }) events!: string[];
  @ApiProperty({ example: true }) enabled!: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why the service disabled it (deliveries kept failing); null otherwise',
    example: null,
  })
  disabled_reason!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) disabled_at!: Date | null;
  @ApiProperty({ type: String, nullable: true, example: '2026-12-03T12:00:00.000Z' }) last_success_at!: Date | null;
  @ApiProperty({ type: String, nullable: true, example: null }) last_failure_at!: Date | null;
  @ApiProperty({ type: String, nullable: true, description: 'When its signing secret was last rotated; null: never', example: null }) rotated_at!: Date | null;
  @ApiProperty({ example: '2026-12-03T11:00:00.000Z' }) createdAt!: Date;
  @ApiProperty({ example: '2026-12-03T11:00:00.000Z' }) updatedAt!: Date;
}

export class CreatedWebhookEndpointView extends WebhookEndpointView {
  @ApiProperty({
    description: 'The signing secret: shown in this answer only. Verify each delivery with it (docs/tenancy.md).',
    example: 'whsec_3q2+7w…',
  })
  secret!: string;
}

export class WebhookDeliveryAttemptView {
  @ApiProperty({ example: '2026-12-03T12:00:00.000Z' }) at!: Date;
  @ApiProperty({ type: Number, nullable: true, description: 'HTTP status of the answer; null when none came', example: 503 }) response_code!: number | null;
  @ApiProperty({ example: 87 }) latency_ms!: number;
  @ApiProperty({ type: String, nullable: true, example: 'HTTP 503: upstream unavailable' }) error!: string | null;
}

export class WebhookDeliveryView {
  @ApiProperty({ example: '6571f1b2c3d4e5f6a7b8c9d1' }) _id!: string;
  @ApiProperty({ example: '6571f1b2c3d4e5f6a7b8c9d0' }) endpoint_id!: string;
  @ApiProperty({ example: 'evt_9f2c1e0b7a6d5c4b3a291807' }) event_id!: string;
  @ApiProperty({ enum: CLIENT_EVENT_TYPES, example: 'message.delivered' }) event_type!: string;
  @ApiProperty({ enum: DELIVERY_STATUSES, example: 'succeeded' }) status!: WebhookDeliveryStatus;
  @ApiProperty({ example: 1 }) attempt_count!: number;
  @ApiProperty({ type: Number, nullable: true, example: 200 }) response_code!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: 87 }) latency_ms!: number | null;
  @ApiProperty({ type: String, nullable: true, example: null }) error!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2026-12-03T12:00:00.000Z' }) last_attempt_at!: Date | null;
  @ApiProperty({ type: String, nullable: true, description: 'When the next try is due (retrying)', example: null }) next_attempt_at!: Date | null;
  @ApiProperty({ type: [WebhookDeliveryAttemptView], description: 'The latest tries, oldest first' }) attempts!: WebhookDeliveryAttemptView[];
  @ApiProperty({ example: '2026-12-03T12:00:00.000Z' }) createdAt!: Date;
}

/** `/:id/deliveries/:deliveryId`. */
export class DeliveryParamsDto {
  @IsObjectIdParam('Webhook endpoint id (24 hex characters)')
  id!: string;

  @IsObjectIdParam('Delivery id (24 hex characters)')
  deliveryId!: string;
}

export class RotatedWebhookSecretView extends CreatedWebhookEndpointView {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Until when deliveries also carry the old secret\'s signature (null: they stopped at once)',
    example: '2026-12-08T12:00:00.000Z',
  })
  previous_secret_valid_until!: Date | null;
}
