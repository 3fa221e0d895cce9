import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `wak_<24 hex key id>_<43 base64url secret>`: the id finds the record, the secret proves possession. */
const API_KEY_PATTERN = /^wak_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/;

export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares a presented secret with a stored hash in time independent of where they differ. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

export function formatApiKey(keyId: string, secret: string): string {
  return `wak_${keyId}_${secret}`;
}

export function parseApiKey(key: string): { keyId: string; secret: string } | null {
  const match = API_KEY_PATTERN.exec(key);
  return match ? { keyId: match[1], secret: match[2] } : null;
}
