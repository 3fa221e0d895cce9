import { BadRequestException } from '@nestjs/common';

/** Which way a cursor pages through a newest-first list. */
export type CursorDirection = 'older' | 'newer';

/** A position in a list sorted by (createdAt, _id) descending, and the way to go from it. */
export interface MessageCursor {
  createdAt: Date;
  id: string;
  direction: CursorDirection;
}

interface CursorPayload {
  t: string;
  id: string;
  d: 'o' | 'n';
}

const OBJECT_ID = /^[0-9a-f]{24}$/;
/** A cursor this service made is about 90 characters; anything much longer is not one of ours. */
export const MAX_CURSOR_LENGTH = 200;

/**
 * Cursors are opaque to clients: base64url of a small JSON position. They name the last
 * (or first) item seen rather than an offset, so pages stay correct when new messages
 * arrive between requests.
 */
export function encodeCursor(cursor: MessageCursor): string {
  const payload: CursorPayload = {
    t: cursor.createdAt.toISOString(),
    id: cursor.id,
    d: cursor.direction === 'older' ? 'o' : 'n',
  };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/** Reads a cursor made by encodeCursor; anything else (tampered, truncated, foreign) is a 400. */
export function decodeCursor(text: string): MessageCursor {
  const invalid = new BadRequestException('cursor is not valid: use the nextCursor or prevCursor of a previous answer');
  if (text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (typeof payload !== 'object' || payload === null) throw invalid;
  const { t, id, d } = payload as Partial<CursorPayload>;
  if (typeof t !== 'string' || typeof id !== 'string' || !OBJECT_ID.test(id) || (d !== 'o' && d !== 'n')) throw invalid;
  const createdAt = new Date(t);
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== t) throw invalid;
  return { createdAt, id, direction: d === 'o' ? 'older' : 'newer' };
}

export interface PageCursors {
  /** Older messages; null when this page reaches the oldest. */
  nextCursor: string | null;
  /** Newer messages; null when this page reaches the newest. */
  prevCursor: string | null;
}

interface Positioned {
  createdAt: Date;
  _id: { toHexString(): string };
}

/**
 * The cursors of a newest-first page. `hasMore` says whether more items lie beyond the
 * page in the direction it was read; the other direction has items whenever the page was
 * reached through a cursor (the page it came from).
 */
export function pageCursors(items: readonly Positioned[], cursor: MessageCursor | null, hasMore: boolean): PageCursors {
  const newest = items.at(0);
  const oldest = items.at(-1);
  if (!newest || !oldest) return { nextCursor: null, prevCursor: null };
  const towardsNewer = cursor?.direction === 'newer';
  const olderExist = towardsNewer ? true : hasMore;
  const newerExist = towardsNewer ? hasMore : cursor !== null;
  return {
    nextCursor: olderExist ? encodeCursor({ createdAt: oldest.createdAt, id: oldest._id.toHexString(), direction: 'older' }) : null,
    prevCursor: newerExist ? encodeCursor({ createdAt: newest.createdAt, id: newest._id.toHexString(), direction: 'newer' }) : null,
  };
}
