import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsOptional } from 'class-validator';
import { DEFAULT_PAGE_LIMIT, IsWholeNumberInRange, Limit, Optional } from '@app/common';
import { WHATSAPP_LOG_FIELD_NAMES } from '../whatsapp-log.fields';

const FIELDS = WHATSAPP_LOG_FIELD_NAMES.join(', ');

const SELECT_DESCRIPTION =
  `Fields to return, each with \`true\` (\`_id\` is always returned). Without select (or with \`{}\`), every field. ` +
  `Fields: ${FIELDS}. The seed's relation objects (project, incident, user, ...) are not expanded by this API and ` +
  'naming one is a 400: select its id field (projectId, incidentId, ...) instead.';

const QUERY_DESCRIPTION =
  'Equality on model fields, all of which must hold: plain `{"status": "sent"}` or typed ' +
  '`{"status": {"_type": "EqualTo", "value": "sent"}}`. Values are compared as the field\'s type: ids as 24-hex strings, ' +
  'createdAt/updatedAt as ISO 8601 date-times with a zone, whatsAppCostInUSDCents as a number, status as one of ' +
  'sent/delivered/read/failed; null matches an empty optional field. Unknown fields, `$` operators at any depth and ' +
  'objects or arrays where a value belongs answer 400.';

const SORT_DESCRIPTION =
  'Sort keys in order, each `1`/`"ASC"` (ascending) or `-1`/`"DESC"` (descending). Default `{"createdAt": -1}` ' +
  '(newest first); ties are always broken by `_id`.';

const SELECT_EXAMPLE = { projectId: true, status: true, toNumber: true, whatsAppCostInUSDCents: true, _id: true };
const QUERY_EXAMPLE = { status: 'sent' };
const SORT_EXAMPLE = { createdAt: -1 };

const JsonObjectProperty = (description: string, example: object): PropertyDecorator =>
  ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description, example });

/** `?skip=&limit=` of get-list (seed 002). */
export class WhatsappLogPageQueryDto {
  /** Number of logs to skip, for pagination. */
  @ApiPropertyOptional({ type: Number, minimum: 0, default: 0, example: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsWholeNumberInRange(0)
  skip: number = 0;

  /** Number of logs to return: 10 by default, up to 100. */
  @Limit()
  limit: number = DEFAULT_PAGE_LIMIT;
}

/** Body of GET/POST /api/whatsapp-log/get-list (on GET, send it as JSON all the same). */
export class WhatsappLogListBodyDto {
  @JsonObjectProperty(SELECT_DESCRIPTION, SELECT_EXAMPLE)
  @Optional()
  @IsObject({ message: 'select must be an object such as {"status": true}' })
  select?: Record<string, unknown> | null;

  @JsonObjectProperty(QUERY_DESCRIPTION, QUERY_EXAMPLE)
  @Optional()
  @IsObject({ message: 'query must be an object such as {"status": "sent"}' })
  query?: Record<string, unknown> | null;

  @JsonObjectProperty(SORT_DESCRIPTION, SORT_EXAMPLE)
  @Optional()
  @IsObject({ message: 'sort must be an object such as {"createdAt": -1}' })
  sort?: Record<string, unknown> | null;
}

/** Body of GET/POST /api/whatsapp-log/:id/get-item. */
export class WhatsappLogItemBodyDto {
  @JsonObjectProperty(SELECT_DESCRIPTION, SELECT_EXAMPLE)
  @Optional()
  @IsObject({ message: 'select must be an object such as {"status": true}' })
  select?: Record<string, unknown> | null;
}

/** Body of POST /api/whatsapp-log/count. */
export class WhatsappLogCountBodyDto {
  @JsonObjectProperty(QUERY_DESCRIPTION, QUERY_EXAMPLE)
  @Optional()
  @IsObject({ message: 'query must be an object such as {"status": "sent"}' })
  query?: Record<string, unknown> | null;
}
