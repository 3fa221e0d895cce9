import { Types } from 'mongoose';
import { contactQueryOf } from '../contact/contact.repository';
import { checkSegmentFilter } from './segment-filter';

describe('checkSegmentFilter', () => {
  const clientId = new Types.ObjectId().toHexString();

  it('translates every operator into a MongoDB filter of literal values', () => {
    const problems: string[] = [];
    const checked = checkSegmentFilter(
      {
        tags: { all: ['VIP'], any: ['a', 'b'], none: ['churned'] },
        attributes: [
          { name: 'city', op: 'equals', value: 'Lagos' },
          { name: 'plan', op: 'in', values: ['gold', 2] },
          { name: 'joined', op: 'range', gte: '2024-01-01', lt: 5 },
          { name: 'email_ok', op: 'exists', exists: false },
        ],
        opted_in: true,
        opted_out: false,
        last_inbound_within_days: 7,
      },
      problems,
    );
    expect(problems).toEqual([]);
    const now = new Date('2026-12-07T00:00:00Z');
    expect(contactQueryOf(clientId, checked!.contacts, now)).toEqual({
      client_id: new Types.ObjectId(clientId),
      $and: [
        { tags: { $all: ['vip'] } },
        { tags: { $in: ['a', 'b'] } },
        { tags: { $nin: ['churned'] } },
        { 'attributes.city': 'Lagos' },
        { 'attributes.plan': { $in: ['gold', 2] } },
        { 'attributes.joined': { $gte: new Date('2024-01-01'), $lt: 5 } },
        { 'attributes.email_ok': { $exists: false } },
        { opt_in: { $ne: null }, opted_out: { $ne: true } },
        { opted_out: { $ne: true } },
        { last_inbound_at: { $gte: new Date('2026-11-30T00:00:00Z') } },
      ],
    });
  });

  it('names every unknown field, operator and non-literal value, and translates nothing then', () => {
    const problems: string[] = [];
    const checked = checkSegmentFilter(
      {
        tags: { all: 'vip', some: [] },
        attributes: [{ name: 'city', op: 'equals', value: { $ne: 1 } }, { name: '$where', op: 'exists', exists: true }, { name: 'n', op: 'in', values: [] }],
        opted_in: 'yes',
        received_broadcast: { broadcast_id: 'x', received: true },
      },
      problems,
    );
    expect(checked).toBeUndefined();
    expect(problems).toEqual([
      'filter.tags has unknown field(s) "some"; allowed: all, any, none',
      'filter.tags.all must be an array of tags',
      'filter.attributes[0].value must be a string, a number, a boolean or an ISO 8601 date',
      'filter.attributes[1].name must be an attribute name (a lower-case letter, then up to 39 lower-case letters, digits or _; not constructor or prototype)',
      'filter.attributes[2].values must be an array of 1 to 100 values',
      'filter.opted_in must be true or false',
      'filter.received_broadcast.broadcast_id must be a 24-character hexadecimal id',
    ]);
  });

  it('refuses a range bound that is text', () => {
    const problems: string[] = [];
    checkSegmentFilter({ attributes: [{ name: 'city', op: 'range', gte: 'Lagos' }] }, problems);
    expect(problems).toEqual(['filter.attributes[0].gte must be a number or an ISO 8601 date']);
  });
});
