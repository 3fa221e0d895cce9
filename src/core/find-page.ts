import type { FilterQuery, Model, ProjectionType } from 'mongoose';
import type { ReadPreferenceMode } from '../config';
import { PageRequest, PageResult, skipFor } from '@app/common';

/** Newest first, with _id breaking ties so that pages never overlap. */
export const NEWEST_FIRST = { createdAt: -1, _id: -1 } as const;

/**
 * One page of a collection's records (plain objects) and the total that match: the query
 * behind every `page`/`limit` list. Repositories call it with their own filter (and a read view
 * with its read preference).
 */
export async function findPage<TSchema, TRecord>(
  model: Model<TSchema>,
  filter: FilterQuery<TSchema>,
  page: PageRequest,
  readPreference: ReadPreferenceMode = 'primary',
  projection: ProjectionType<TSchema> | null = null,
): Promise<PageResult<TRecord>> {
  const [items, total] = await Promise.all([
    model.find(filter, projection).sort(NEWEST_FIRST).skip(skipFor(page)).limit(page.limit).read(readPreference).lean<TRecord[]>().exec(),
    model.countDocuments(filter).read(readPreference).exec(),
  ]);
  return { items, total };
}
