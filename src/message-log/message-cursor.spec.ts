import { BadRequestException } from '@nestjs/common';
import { decodeCursor, encodeCursor, MessageCursor, pageCursors } from './message-cursor';

describe('message cursors', () => {
  const position: MessageCursor = {
    createdAt: new Date('2025-07-02T04:25:49.001Z'),
    id: '64ac509d05a7cc2b8c2bd9ab',
    direction: 'older',
  };

  it('round-trips a position and a direction', () => {
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    const newer = { ...position, direction: 'newer' as const };
    expect(decodeCursor(encodeCursor(newer))).toEqual(newer);
  });

  it('is opaque: URL-safe text without the raw id or time in sight', () => {
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(position.id);
  });

  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

  it.each([
    ['garbage', 'not a cursor!'],
    ['base64 of non-JSON', Buffer.from('hello').toString('base64url')],
    ['JSON that is not an object', encode(42)],
    ['a missing id', encode({ t: '2025-07-02T04:25:49.001Z', d: 'o' })],
    ['an id that is not an ObjectId', encode({ t: '2025-07-02T04:25:49.001Z', id: '{"$gt":""}', d: 'o' })],
    ['an impossible date', encode({ t: '2025-13-45T00:00:00.000Z', id: position.id, d: 'o' })],
    ['an unknown direction', encode({ t: '2025-07-02T04:25:49.001Z', id: position.id, d: 'x' })],
    ['something far too long', 'a'.repeat(500)],
  ])('rejects %s with a 400', (_name, text) => {
    expect(() => decodeCursor(text)).toThrow(BadRequestException);
    expect(() => decodeCursor(text)).toThrow(/cursor is not valid/);
  });

  it('rejects a cursor whose last character was changed', () => {
    const cursor = encodeCursor(position);
    const tampered = cursor.slice(0, -3) + (cursor.endsWith('A') ? 'BBB' : 'AAA');
    expect(() => decodeCursor(tampered)).toThrow(BadRequestException);
  });
});

describe('pageCursors', () => {
  const item = (minute: number, id: string) => ({
    createdAt: new Date(Date.UTC(2025, 6, 2, 4, minute)),
    _id: { toHexString: () => id },
  });
  const page = [item(30, 'b'.repeat(24)), item(20, 'a'.repeat(24))];

  it('gives an empty page no cursors', () => {
    expect(pageCursors([], null, false)).toEqual({ nextCursor: null, prevCursor: null });
  });

  it('starts the first page at the newest end: no prevCursor, nextCursor only when more exist', () => {
    expect(pageCursors(page, null, false)).toEqual({ nextCursor: null, prevCursor: null });
    const { nextCursor, prevCursor } = pageCursors(page, null, true);
    expect(prevCursor).toBeNull();
    expect(decodeCursor(nextCursor!)).toEqual({ createdAt: page[1].createdAt, id: 'a'.repeat(24), direction: 'older' });
  });

  it('going older, points back to newer from the first item and on from the last', () => {
    const from = decodeCursor(encodeCursor({ createdAt: new Date(Date.UTC(2025, 6, 2, 5)), id: 'c'.repeat(24), direction: 'older' }));
    const { nextCursor, prevCursor } = pageCursors(page, from, false);
    expect(nextCursor).toBeNull();
    expect(decodeCursor(prevCursor!)).toEqual({ createdAt: page[0].createdAt, id: 'b'.repeat(24), direction: 'newer' });
  });

  it('going newer, always points back to older, and on to newer only when more exist', () => {
    const from = { createdAt: new Date(Date.UTC(2025, 6, 2, 4)), id: 'c'.repeat(24), direction: 'newer' as const };
    const end = pageCursors(page, from, false);
    expect(end.prevCursor).toBeNull();
    expect(decodeCursor(end.nextCursor!).direction).toBe('older');
    expect(pageCursors(page, from, true).prevCursor).not.toBeNull();
  });
});
