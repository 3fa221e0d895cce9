import { InputValidationException } from '@app/common';
import { WHATSAPP_LOG_FIELDS } from './whatsapp-log.fields';
import { parseCountBody, parseDateTime, parseItemBody, parseListBody, parseQuery, parseSelect, parseSort } from './whatsapp-log.query';

const ID = '64ac509d05a7cc2b8c2bd9ab';

/** The problems a body raises, as the client would read them. */
function problemsOf(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof InputValidationException) return error.details;
    throw error;
  }
  throw new Error('expected the body to be rejected');
}

function collect<T>(parse: (raw: unknown, problems: string[]) => T, raw: unknown): { result: T; problems: string[] } {
  const problems: string[] = [];
  return { result: parse(raw, problems), problems };
}

describe('WhatsApp log fields', () => {
  it('are the seed model plus our relations, typed from the schema', () => {
    expect(WHATSAPP_LOG_FIELDS.get('_id')).toMatchObject({ kind: 'objectId', nullable: false });
    expect(WHATSAPP_LOG_FIELDS.get('projectId')).toMatchObject({ kind: 'objectId', nullable: false });
    expect(WHATSAPP_LOG_FIELDS.get('incidentId')).toMatchObject({ kind: 'objectId', nullable: true });
    expect(WHATSAPP_LOG_FIELDS.get('broadcastId')).toMatchObject({ kind: 'objectId', nullable: true });
    expect(WHATSAPP_LOG_FIELDS.get('messageLogId')).toMatchObject({ kind: 'objectId', nullable: true });
    expect(WHATSAPP_LOG_FIELDS.get('createdAt')).toMatchObject({ kind: 'date', nullable: false });
    expect(WHATSAPP_LOG_FIELDS.get('whatsAppCostInUSDCents')).toMatchObject({ kind: 'number', nullable: false });
    expect(WHATSAPP_LOG_FIELDS.get('fromNumber')).toMatchObject({ kind: 'string', nullable: true, allowedValues: null });
    expect(WHATSAPP_LOG_FIELDS.get('status')).toMatchObject({ kind: 'string', nullable: false, allowedValues: ['sent', 'delivered', 'read', 'failed'] });
    expect(WHATSAPP_LOG_FIELDS.has('__v')).toBe(false);
    const seedFields = ['toNumber', 'messageText', 'statusMessage', 'whatsAppMessageId', 'updatedAt', 'userId', 'alertId', 'monitorId',
      'scheduledMaintenanceId', 'statusPageId', 'statusPageAnnouncementId', 'teamId', 'onCallDutyPolicyId',
      'onCallDutyPolicyEscalationRuleId', 'onCallDutyPolicyScheduleId'];
    for (const field of seedFields) expect(WHATSAPP_LOG_FIELDS.has(field)).toBe(true);
  });
});

describe('select', () => {
  it('lists the fields given with true', () => {
    expect(collect(parseSelect, { projectId: true, status: true, _id: true })).toEqual({ result: ['projectId', 'status', '_id'], problems: [] });
  });

  it('means every field when absent, null or empty', () => {
    for (const raw of [undefined, null, {}]) expect(collect(parseSelect, raw)).toEqual({ result: null, problems: [] });
  });

  it('rejects values other than true, naming the field', () => {
    expect(collect(parseSelect, { status: false, toNumber: 1, messageText: 'yes' }).problems).toEqual([
      'select.status must be true (list only the fields to return)',
      'select.toNumber must be true (list only the fields to return)',
      'select.messageText must be true (list only the fields to return)',
    ]);
  });

  it('rejects unknown fields, listing the real ones', () => {
    const [problem] = collect(parseSelect, { password: true }).problems;
    expect(problem).toMatch(/^select\.password is not a field of the WhatsApp log \(fields: .*toNumber.*\)$/);
  });

  it("points the seed's relation objects to their id fields", () => {
    expect(collect(parseSelect, { project: true, onCallDutyPolicySchedule: true }).problems).toEqual([
      'select.project is a relation, which this API does not expand (use projectId)',
      'select.onCallDutyPolicySchedule is a relation, which this API does not expand (use onCallDutyPolicyScheduleId)',
    ]);
  });

  it('names $ operators, at the top and inside values', () => {
    expect(collect(parseSelect, { $where: true, status: { $slice: 1 } }).problems).toEqual([
      'select.$where: MongoDB operators ($...) are not allowed',
      'select.status.$slice: MongoDB operators ($...) are not allowed',
    ]);
  });

  it('must be an object', () => {
    for (const raw of [['status'], 'status', 5, true]) {
      expect(collect(parseSelect, raw).problems).toEqual(['select must be an object such as {"status": true}']);
    }
  });

  it('does not take keys of Object.prototype for fields', () => {
    expect(collect(parseSelect, { toString: true, hasOwnProperty: true }).problems).toHaveLength(2);
  });
});

describe('query', () => {
  it('takes plain equality on fields of every type', () => {
    const { result, problems } = collect(parseQuery, {
      status: 'sent',
      toNumber: '2348179803743',
      whatsAppCostInUSDCents: 0,
      projectId: ID.toUpperCase(),
      createdAt: '2024-05-01T12:00:00.000Z',
      incidentId: null,
    });
    expect(problems).toEqual([]);
    expect(result).toEqual([
      { field: 'status', kind: 'string', value: 'sent' },
      { field: 'toNumber', kind: 'string', value: '2348179803743' },
      { field: 'whatsAppCostInUSDCents', kind: 'number', value: 0 },
      { field: 'projectId', kind: 'objectId', value: ID },
      { field: 'createdAt', kind: 'date', value: new Date('2024-05-01T12:00:00.000Z') },
      { field: 'incidentId', kind: 'objectId', value: null },
    ]);
  });

  it('takes the typed form {_type: EqualTo, value} the same way', () => {
    expect(collect(parseQuery, { status: { _type: 'EqualTo', value: 'failed' }, fromNumber: { _type: 'EqualTo', value: null } })).toEqual({
      result: [
        { field: 'status', kind: 'string', value: 'failed' },
        { field: 'fromNumber', kind: 'string', value: null },
      ],
      problems: [],
    });
  });

  it('rejects other typed comparisons, extra keys and a missing value', () => {
    expect(collect(parseQuery, { status: { _type: 'Search', value: 'se' } }).problems).toEqual([
      'query.status._type must be "EqualTo" (the only comparison offered)',
    ]);
    expect(collect(parseQuery, { status: { _type: 'EqualTo', value: 'sent', options: 'i' } }).problems).toEqual([
      'query.status.options is not allowed in a typed value (only _type and value)',
    ]);
    expect(collect(parseQuery, { status: { _type: 'EqualTo' } }).problems).toEqual(['query.status.value is required']);
    expect(collect(parseQuery, { status: { _type: 'EqualTo', value: ['sent'] } }).problems).toEqual([
      'query.status.value must be one of: sent, delivered, read, failed',
    ]);
  });

  it.each([
    [{ $where: '1' }, ['query.$where: MongoDB operators ($...) are not allowed']],
    [{ status: { $ne: null } }, ['query.status.$ne: MongoDB operators ($...) are not allowed']],
    [{ status: { $regex: '.*' } }, ['query.status.$regex: MongoDB operators ($...) are not allowed']],
    [{ toNumber: { $gt: '' } }, ['query.toNumber.$gt: MongoDB operators ($...) are not allowed']],
    [{ $or: [{ status: 'sent' }, { projectId: ID }] }, ['query.$or: MongoDB operators ($...) are not allowed']],
    [{ status: { _type: 'EqualTo', value: { $ne: null } } }, ['query.status.value.$ne: MongoDB operators ($...) are not allowed']],
    [{ toNumber: [{ $exists: true }] }, ['query.toNumber[0].$exists: MongoDB operators ($...) are not allowed']],
  ])('rejects the injection %j', (raw, expected) => {
    expect(collect(parseQuery, raw)).toEqual({ result: [], problems: expected });
  });

  it('rejects an object or array where a value belongs', () => {
    expect(collect(parseQuery, { status: { not: 'sent' }, toNumber: ['1', '2'] }).problems).toEqual([
      'query.status must be one of: sent, delivered, read, failed (or {"_type": "EqualTo", "value": ...})',
      'query.toNumber must be a string (or {"_type": "EqualTo", "value": ...})',
    ]);
  });

  it('rejects values of the wrong type for the field', () => {
    expect(
      collect(parseQuery, {
        whatsAppCostInUSDCents: '100',
        toNumber: 2348179803743,
        broadcastId: 'not-an-id',
        createdAt: 1714564800000,
        updatedAt: '2024-05-01',
        status: 42,
      }).problems,
    ).toEqual([
      'query.whatsAppCostInUSDCents must be a number',
      'query.toNumber must be a string',
      'query.broadcastId must be a 24-character hexadecimal id, or null',
      'query.createdAt must be an ISO 8601 date-time such as 2024-05-01T12:00:00.000Z',
      'query.updatedAt must be an ISO 8601 date-time such as 2024-05-01T12:00:00.000Z',
      'query.status must be one of: sent, delivered, read, failed',
    ]);
  });

  it("takes a status no log holds (seed 002's own example), which matches nothing", () => {
    expect(collect(parseQuery, { status: 'Example status of the whatsapp message' })).toEqual({
      result: [{ field: 'status', kind: 'string', value: 'Example status of the whatsapp message' }],
      problems: [],
    });
  });

  it('takes null only for optional fields', () => {
    expect(collect(parseQuery, { projectId: null, toNumber: null, errorCode: null }).problems).toEqual([
      'query.projectId cannot be null: it must be a 24-character hexadecimal id',
      'query.toNumber cannot be null: it must be a string',
    ]);
  });

  it('rejects unknown fields and dotted paths', () => {
    const { problems } = collect(parseQuery, { 'status.length': 4, nope: 1 });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^query\.status\.length is not a field of the WhatsApp log/);
    expect(problems[1]).toBe('query.nope is not a field of the WhatsApp log');
  });

  it('names the model fields once, however many keys are unknown', () => {
    const { problems } = collect(parseQuery, { a: 1, b: 2, c: 3 });
    expect(problems.filter((problem) => problem.includes('(fields: '))).toHaveLength(1);
    expect(problems).toHaveLength(3);
  });

  it('refuses a section with more keys than the model has fields before looking at any key', () => {
    const huge = Object.fromEntries(Array.from({ length: 150_000 }, (_, index) => [`f${index}`, true]));
    const { problems } = collect(parseSelect, huge);
    expect(problems).toEqual([expect.stringMatching(/^select has 150000 keys, more than the \d+ fields of the WhatsApp log$/)]);
  });
});

describe('parseDateTime', () => {
  it('reads ISO 8601 date-times with a zone', () => {
    expect(parseDateTime('2024-05-01T12:00:00.000Z')).toEqual(new Date('2024-05-01T12:00:00.000Z'));
    expect(parseDateTime('2024-05-01T12:00Z')).toEqual(new Date('2024-05-01T12:00:00.000Z'));
    expect(parseDateTime('2024-05-01T14:30:00.5+02:30')).toEqual(new Date('2024-05-01T12:00:00.500Z'));
    expect(parseDateTime('2024-02-29T23:59:59-01:00')).toEqual(new Date('2024-03-01T00:59:59.000Z'));
  });

  it.each(['2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-05-01T24:00:00Z', '2024-05-01T12:00:00',
    '2024-05-01', 'yesterday', '2024-05-01T12:00:00+15:00', ' 2024-05-01T12:00:00Z'])('rejects %s', (text) => {
    expect(parseDateTime(text)).toBeNull();
  });
});

describe('sort', () => {
  it('keeps the order given, reads every direction spelling and ends with _id', () => {
    expect(collect(parseSort, { status: 'ASC', createdAt: 'desc', whatsAppCostInUSDCents: 1 })).toEqual({
      result: [
        { field: 'status', direction: 1 },
        { field: 'createdAt', direction: -1 },
        { field: 'whatsAppCostInUSDCents', direction: 1 },
        { field: '_id', direction: 1 },
      ],
      problems: [],
    });
  });

  it('is newest first by default', () => {
    for (const raw of [undefined, null, {}]) {
      expect(collect(parseSort, raw).result).toEqual([
        { field: 'createdAt', direction: -1 },
        { field: '_id', direction: -1 },
      ]);
    }
  });

  it('does not add _id twice', () => {
    expect(collect(parseSort, { _id: -1 }).result).toEqual([{ field: '_id', direction: -1 }]);
  });

  it('rejects other directions, unknown fields and operators', () => {
    const { problems } = collect(parseSort, { createdAt: 0, status: 'up', toNumber: '1', $natural: 1, messageText: { $meta: 'textScore' } });
    expect(problems).toEqual([
      'sort.createdAt must be 1, -1, "ASC" or "DESC"',
      'sort.status must be 1, -1, "ASC" or "DESC"',
      'sort.toNumber must be 1, -1, "ASC" or "DESC"',
      'sort.$natural: MongoDB operators ($...) are not allowed',
      'sort.messageText.$meta: MongoDB operators ($...) are not allowed',
    ]);
  });
});

describe('request bodies', () => {
  it('get-list reports the problems of select, query and sort together', () => {
    expect(problemsOf(() => parseListBody({ select: { nope: true }, query: { $where: '1' }, sort: { createdAt: 2 } }))).toEqual([
      expect.stringMatching(/^select\.nope is not a field/),
      'query.$where: MongoDB operators ($...) are not allowed',
      'sort.createdAt must be 1, -1, "ASC" or "DESC"',
    ]);
  });

  it('get-list, get-item and count read their own sections', () => {
    expect(parseListBody({ select: { status: true }, query: { status: 'read' } })).toEqual({
      select: ['status'],
      conditions: [{ field: 'status', kind: 'string', value: 'read' }],
      sort: [
        { field: 'createdAt', direction: -1 },
        { field: '_id', direction: -1 },
      ],
    });
    expect(parseItemBody({ select: { toNumber: true } })).toEqual({ select: ['toNumber'] });
    expect(parseCountBody({})).toEqual({ conditions: [] });
    expect(problemsOf(() => parseCountBody({ query: { status: { $in: ['sent'] } } }))).toEqual([
      'query.status.$in: MongoDB operators ($...) are not allowed',
    ]);
    expect(problemsOf(() => parseItemBody({ select: { user: true } }))).toEqual(['select.user is a relation, which this API does not expand (use userId)']);
  });
});
