import type { Model, Types } from 'mongoose';

/**
 * Deletes up to `batchSize` documents created before `cutoff`, by id, so that no single
 * delete holds the collection for long; answers how many went (0: none older are left).
 */
export async function deleteOldestBatch<T>(model: Model<T>, cutoff: Date, batchSize: number): Promise<number> {
  const old = await model
    .find({ createdAt: { $lt: cutoff } }, { _id: 1 })
    .limit(batchSize)
    .lean<Array<{ _id: Types.ObjectId }>>()
    .exec();
  if (old.length === 0) return 0;
  const { deletedCount } = await model.deleteMany({ _id: { $in: old.map(({ _id }) => _id) } }).exec();
  return deletedCount;
}
