import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { MediaIdCache, ResolvedMediaId } from '@app/whatsapp';
import { AppConfig } from '../config';
import { RedisClient } from '../core/redis-connection';
import { REDIS } from '../core/redis.module';
import { RELEASE_IF_HELD } from '../core/redis-lock';

const KEY_PREFIX = 'cloud-api:media:';
/** How often a worker waiting for another's upload looks for the id. */
const UPLOAD_POLL_MS = 100;

/** An id and its upload lock share a hash tag, so that one MULTI reads both on a Redis Cluster. */
const idKeyOf = (key: string): string => `${KEY_PREFIX}{${key}}`;
const lockKeyOf = (key: string): string => `${idKeyOf(key)}:uploading`;

/**
 * Cloud API media ids in Redis, shared by every worker: an attachment is uploaded once
 * per sender and its id reused until shortly before it expires. While one worker
 * uploads, the others wait for its id instead of uploading the same file again.
 */
@Injectable()
export class RedisMediaIdCache implements MediaIdCache {
  /** An upload holds its lock at most this long; a crashed uploader never blocks others for longer. */
  private readonly lockMs: number;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    config: AppConfig,
  ) {
    this.lockMs = config.cloudApi.uploadTimeoutMs + 5_000;
  }

  async resolve(key: string, ttlMs: number, upload: () => Promise<string>): Promise<ResolvedMediaId> {
    const idKey = idKeyOf(key);
    const cached = await this.redis.get(idKey);
    if (cached) return { mediaId: cached, uploaded: false };

    const lockKey = lockKeyOf(key);
    const lockToken = randomUUID();
    const locked = (await this.redis.set(lockKey, lockToken, 'PX', this.lockMs, 'NX')) === 'OK';
    if (!locked) {
      const uploadedByOther = await this.waitForOtherUpload(idKey, lockKey);
      if (uploadedByOther) return { mediaId: uploadedByOther, uploaded: false };
      // The other upload failed or its worker died: upload here rather than fail the message.
    }
    try {
      const mediaId = await upload();
      await this.redis.set(idKey, mediaId, 'PX', ttlMs);
      return { mediaId, uploaded: true };
    } finally {
      if (locked) await this.redis.eval(RELEASE_IF_HELD, 1, lockKey, lockToken);
    }
  }

  async invalidate(key: string): Promise<void> {
    await this.redis.del(idKeyOf(key));
  }

  private async waitForOtherUpload(idKey: string, lockKey: string): Promise<string | null> {
    const deadline = Date.now() + this.lockMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, UPLOAD_POLL_MS));
      const [[, mediaId], [, lockHeld]] = (await this.redis.multi().get(idKey).exists(lockKey).exec()) as [
        [Error | null, string | null],
        [Error | null, number],
      ];
      if (mediaId) return mediaId;
      if (!lockHeld) return null;
    }
    return null;
  }
}
