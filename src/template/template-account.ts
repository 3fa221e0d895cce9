import type { SessionRecord } from '../auth/session.schema';

const SANDBOX_PREFIX = 'sandbox:';
const WABA_PREFIX = 'waba:';

/**
 * The catalogue a session sends from: its WhatsApp Business Account's (`waba:<id>`), or for the
 * sandbox its own (`sandbox:<session id>`). Null for a cloud-api session without a waba_id:
 * it sends templates unchecked.
 */
export function catalogueAccountOf(session: Pick<SessionRecord, '_id' | 'provider' | 'waba_id'>): string | null {
  switch (session.provider) {
    case 'sandbox':
      return `${SANDBOX_PREFIX}${session._id.toHexString()}`;
    case 'cloud-api':
      return session.waba_id ? `${WABA_PREFIX}${session.waba_id}` : null;
  }
}

export function wabaAccount(wabaId: string): string {
  return `${WABA_PREFIX}${wabaId}`;
}

export function isSandboxAccount(account: string): boolean {
  return account.startsWith(SANDBOX_PREFIX);
}

/** The WABA id of a `waba:` account, or null for a sandbox one. */
export function wabaIdOf(account: string): string | null {
  return account.startsWith(WABA_PREFIX) ? account.slice(WABA_PREFIX.length) : null;
}
