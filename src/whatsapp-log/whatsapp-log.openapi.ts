import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { FieldKind, FieldSpec, WHATSAPP_LOG_FIELDS } from './whatsapp-log.fields';

/** OpenAPI schemas of seed 002's answers, generated from the same field list the query language uses. */

const SCHEMA_BY_KIND: Record<FieldKind, SchemaObject> = {
  objectId: { type: 'string', pattern: '^[0-9a-f]{24}$', example: '64ac509d05a7cc2b8c2bd9ab' },
  string: { type: 'string' },
  number: { type: 'number' },
  date: { type: 'string', format: 'date-time', example: '2024-05-01T12:00:00.000Z' },
};

function fieldSchema(field: FieldSpec): SchemaObject {
  return {
    ...SCHEMA_BY_KIND[field.kind],
    ...(field.allowedValues ? { enum: [...field.allowedValues] } : {}),
    ...(field.nullable ? { nullable: true } : {}),
  };
}

const EXAMPLE_LOG = {
  _id: '6650c1f2a7cc2b8c2bd9ab01',
  projectId: '64ac509d05a7cc2b8c2bd9ab',
  status: 'sent',
  toNumber: '2348179803743',
  whatsAppCostInUSDCents: 100,
};

export const WHATSAPP_LOG_SCHEMA: SchemaObject = {
  type: 'object',
  description:
    'A WhatsApp log with the selected fields (all fields, and the version key __v, without select). ' +
    'A selected field the stored log lacks is null.',
  properties: Object.fromEntries([...WHATSAPP_LOG_FIELDS.values()].map((field) => [field.name, fieldSchema(field)])),
  example: EXAMPLE_LOG,
};

export const WHATSAPP_LOG_LIST_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['count', 'limit', 'skip', 'data'],
  properties: {
    count: { type: 'integer', description: 'How many logs match the query in all (not only this page)' },
    limit: { type: 'integer' },
    skip: { type: 'integer' },
    data: { type: 'array', items: WHATSAPP_LOG_SCHEMA },
  },
  example: { count: 107, limit: 10, skip: 0, data: [EXAMPLE_LOG] },
};

export const WHATSAPP_LOG_COUNT_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['count'],
  properties: { count: { type: 'integer' } },
  example: { count: 107 },
};

export const WHATSAPP_LOG_ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' } },
  example: { error: 'query.$where: MongoDB operators ($...) are not allowed' },
};
