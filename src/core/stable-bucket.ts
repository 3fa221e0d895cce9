import { createHash } from 'node:crypto';

/** Which of `buckets` a key falls in: a hash of the key, the same in every process and version (0 with one bucket). */
export function stableBucketOf(key: string, buckets: number): number {
  if (buckets <= 1) return 0;
  return createHash('sha1').update(key).digest().readUInt32BE(0) % buckets;
}
