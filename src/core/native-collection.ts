import type { Model, mongo } from 'mongoose';

/**
 * The model's collection typed with its stored records (schema fields plus `_id` and the
 * timestamps), for the sending path's bulk writes that skip mongoose's document casting.
 * mongoose types `Model.collection` with the driver's untyped default; it is the same driver
 * collection, behind mongoose's connection buffering.
 */
export function nativeCollection<TSchema, TRecord extends TSchema & mongo.Document>(model: Model<TSchema>): mongo.Collection<TRecord> {
  return model.collection as unknown as mongo.Collection<TRecord>;
}
