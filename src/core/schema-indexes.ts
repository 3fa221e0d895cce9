import type { IndexDefinition, IndexOptions, Schema } from 'mongoose';

/** One index of a collection: its keys and options, as `Schema.index` takes them. */
export interface IndexSpec {
  keys: IndexDefinition;
  options?: IndexOptions;
}

/**
 * Adds indexes declared next to the queries they serve (a read view owns its index) to the
 * collection's schema; called once, where the model is registered, before it is compiled.
 */
export function withIndexes<T>(schema: Schema<T>, indexes: readonly IndexSpec[]): Schema<T> {
  for (const { keys, options } of indexes) schema.index(keys, options);
  return schema;
}
