/**
 * The API speaks four response dialects, one per seed document (SPEC section 3).
 * Which one a request gets is decided by its path, so that errors raised before a
 * controller runs (body parsing, unknown routes, guards) still answer in the right shape.
 */
export enum EnvelopeFamily {
  /** `/broadcast`, `/attachment`, `/message-log`, `/contacts`, ... (seeds 000, 001) */
  Standard = 'standard',
  /** `/api/whatsapp-log/*` (seed 002) */
  WhatsappLog = 'whatsapp-log',
  /** `/v1/contacts/:identifier/messages` (seed 003) */
  ContactMessages = 'contact-messages',
  /** `/api/v1/external/*` (seed 004) */
  External = 'external',
}

// Case-insensitive because Express routes case-insensitively: /API/whatsapp-log/count reaches the same handler.
const FAMILY_BY_PATH: ReadonlyArray<[RegExp, EnvelopeFamily]> = [
  [/^\/api\/whatsapp-log(\/|$)/i, EnvelopeFamily.WhatsappLog],
  [/^\/v1\/contacts\/[^/]+\/messages\/?$/i, EnvelopeFamily.ContactMessages],
  [/^\/api\/v1\/external(\/|$)/i, EnvelopeFamily.External],
];

export function envelopeFamilyForPath(path: string): EnvelopeFamily {
  const match = FAMILY_BY_PATH.find(([pattern]) => pattern.test(path));
  return match ? match[1] : EnvelopeFamily.Standard;
}
