/** Units a key lifetime may be given in (`m` is left out: minutes or months would be a guess). */
const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/** Longest lifetime accepted: far enough for any rotation policy, near enough to catch a typo. */
const MAX_LIFETIME_MS = 10 * 365 * UNIT_MS.d;

/** A key lifetime such as `90d`, `12h` or `2w`, in milliseconds; null when the text is not one. */
export function parseKeyLifetime(text: string): number | null {
  const match = /^\s*(\d{1,6})\s*([hdw])\s*$/i.exec(text);
  if (!match) return null;
  const milliseconds = Number(match[1]) * UNIT_MS[match[2].toLowerCase() as keyof typeof UNIT_MS];
  return milliseconds > 0 && milliseconds <= MAX_LIFETIME_MS ? milliseconds : null;
}
