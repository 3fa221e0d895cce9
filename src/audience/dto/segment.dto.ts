import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import { IsDefined, IsOptional, IsString, Matches } from 'class-validator';
import { Limit, RequiredText } from '@app/common';
import type { SegmentFilter } from '../segment-filter';

/** Largest page of GET /segments/:id/contacts. */
export const MAX_SEGMENT_PAGE = 500;

const FILTER_EXAMPLE = {
  tags: { all: ['vip'], none: ['churned'] },
  attributes: [
    { name: 'city', op: 'in', values: ['Lagos', 'Abuja'] },
    { name: 'orders', op: 'range', gte: 3 },
  ],
  opted_in: true,
  last_inbound_within_days: 90,
};

const FILTER_SCHEMA: ApiPropertyOptions = {
  type: 'object',
  additionalProperties: false,
  description:
    'Every condition given must hold. `tags`: `all` (has every one), `any` (has at least one), `none` (has none of them). `attributes`: comparisons ' +
    '`{ name, op: "equals", value }`, `{ name, op: "in", values: [...] }`, `{ name, op: "range", gte?, gt?, lte?, lt? }` (numbers or ISO 8601 dates), ' +
    '`{ name, op: "exists", exists: true|false }`. `opted_in`: has a current opt-in (or not); `opted_out`; `last_inbound_within_days`: wrote to any of ' +
    'your sessions within N days; `received_broadcast`: `{ broadcast_id, received: true|false }`, in (or not in) that broadcast\'s `sent`.',
  properties: {
    tags: { type: 'object', properties: { all: { type: 'array', items: { type: 'string' } }, any: { type: 'array', items: { type: 'string' } }, none: { type: 'array', items: { type: 'string' } } } },
    attributes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'op'],
        properties: {
          name: { type: 'string' },
          op: { type: 'string', enum: ['equals', 'in', 'range', 'exists'] },
          value: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
          values: { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] } },
          gte: { oneOf: [{ type: 'number' }, { type: 'string', format: 'date-time' }] },
          gt: { oneOf: [{ type: 'number' }, { type: 'string', format: 'date-time' }] },
          lte: { oneOf: [{ type: 'number' }, { type: 'string', format: 'date-time' }] },
          lt: { oneOf: [{ type: 'number' }, { type: 'string', format: 'date-time' }] },
          exists: { type: 'boolean' },
        },
      },
    },
    opted_in: { type: 'boolean' },
    opted_out: { type: 'boolean' },
    last_inbound_within_days: { type: 'integer', minimum: 1, maximum: 3650 },
    received_broadcast: { type: 'object', required: ['broadcast_id', 'received'], properties: { broadcast_id: { type: 'string' }, received: { type: 'boolean' } } },
  },
  example: FILTER_EXAMPLE,
};

/** POST /segments. The filter is checked field by field by the service (checkSegmentFilter). */
export class CreateSegmentDto {
  @ApiProperty({ example: 'Lagos and Abuja VIPs', maxLength: 100 })
  @RequiredText(100)
  name!: string;

  @ApiProperty(FILTER_SCHEMA)
  @IsDefined({ message: 'filter is required' })
  filter!: SegmentFilter;
}

/** PATCH /segments/:id: a new name, a new filter, or both. */
export class UpdateSegmentDto {
  @ApiPropertyOptional({ example: 'Lagos VIPs', maxLength: 100 })
  @IsOptional()
  @RequiredText(100)
  name?: string;

  @ApiPropertyOptional(FILTER_SCHEMA)
  @IsOptional()
  filter?: SegmentFilter;
}

/** GET /segments/:id/contacts: a page after the cursor of the previous one. */
export class SegmentContactsQueryDto {
  @ApiPropertyOptional({ description: 'The `next_cursor` of the previous page; absent: the first page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'cursor must be the next_cursor of a previous page' })
  cursor?: string;

  @Limit(MAX_SEGMENT_PAGE, 100)
  limit: number = 100;
}
