/** Cloud API media ids stay valid for 30 days after upload. */
export const CLOUD_API_MEDIA_ID_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;
/** Ids are reused a day less than they live, so that none expires between lookup and delivery. */
export const MEDIA_ID_REUSE_MS = CLOUD_API_MEDIA_ID_LIFETIME_MS - 24 * 60 * 60 * 1000;

export interface ResolvedMediaId {
  mediaId: string;
  /** True when `upload` ran for this call; false when the id came from the cache (or a concurrent upload). */
  uploaded: boolean;
}

/**
 * Where uploaded media ids are kept, keyed by sender account and attachment, so that a
 * file is uploaded once and its id reused while valid. Concurrent callers for one key
 * share one upload.
 */
export interface MediaIdCache {
  resolve(key: string, ttlMs: number, upload: () => Promise<string>): Promise<ResolvedMediaId>;
  /** Forgets a key, e.g. when the Cloud API no longer accepts its id. */
  invalidate(key: string): Promise<void>;
}

/** One process's cache: enough for a single worker or tests; the app shares one in Redis. */
export class InMemoryMediaIdCache implements MediaIdCache {
  private readonly entries = new Map<string, { mediaId: string; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(private readonly now: () => number = Date.now) {}

  async resolve(key: string, ttlMs: number, upload: () => Promise<string>): Promise<ResolvedMediaId> {
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > this.now()) return { mediaId: cached.mediaId, uploaded: false };
    this.entries.delete(key);

    const pending = this.inFlight.get(key);
    if (pending) return { mediaId: await pending, uploaded: false };

    const started = upload().then((mediaId) => {
      this.entries.set(key, { mediaId, expiresAt: this.now() + ttlMs });
      return mediaId;
    });
    this.inFlight.set(key, started);
    try {
      return { mediaId: await started, uploaded: true };
    } finally {
      this.inFlight.delete(key);
    }
  }

  async invalidate(key: string): Promise<void> {
    this.entries.delete(key);
  }
}
