/**
 * Consent: WhatsApp's Business policy asks for an opt-in before business-initiated messages,
 * and a business must be able to show when and how each person gave it. A contact keeps its
 * current opt-in, its opt-out, and the history of both (append-only, the newest kept).
 */

/** How a person opted in (or out). */
export const CONSENT_SOURCES = ['web_form', 'csv_import', 'inbound_keyword', 'api', 'other'] as const;
export type ConsentSource = (typeof CONSENT_SOURCES)[number];

/** Entries of a contact's consent history kept (the oldest are dropped beyond this). */
export const MAX_CONSENT_HISTORY = 100;
/** Longest text of what the person agreed to. */
export const MAX_CONSENT_TEXT_LENGTH = 500;

export type ConsentAction = 'opt_in' | 'opt_out' | 'opt_in_cleared';

/** One change of a contact's consent. */
export interface ConsentEvent {
  action: ConsentAction;
  at: Date;
  source: ConsentSource;
  /** What the person agreed to (opt-ins), or why (others); null when not given. */
  text: string | null;
}

/** A contact's current opt-in. */
export interface OptIn {
  at: Date;
  source: ConsentSource;
  text: string | null;
}

/** Consent a broadcast with require_opt_in accepts: an opt-in, and no opt-out since. */
export function hasCurrentOptIn(contact: { opt_in?: OptIn | null; opted_out?: boolean }): boolean {
  return Boolean(contact.opt_in) && contact.opted_out !== true;
}
