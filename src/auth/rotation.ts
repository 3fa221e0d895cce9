/** Longest grace period of a rotated secret, in seconds (7 days): API keys and event-webhook secrets alike. */
export const MAX_GRACE_PERIOD_SECONDS = 7 * 86_400;

/** The grace period when the caller gives none, in seconds (24 hours). */
export const DEFAULT_GRACE_PERIOD_SECONDS = 86_400;
