import type { SessionCredentials } from './api';

/**
 * The two fields of a session's credentials, for the pages that act through one session (a new
 * broadcast, the template catalogue). What was entered last is kept in this tab with the key.
 */
export function SessionFields({ session, onChange }: { session: SessionCredentials; onChange: (session: SessionCredentials) => void }) {
  return (
    <>
      <label>
        Session id
        <input name="session_id" required value={session.session_id} onInput={(e) => onChange({ ...session, session_id: e.currentTarget.value })} />
      </label>
      <label>
        Session access token
        <input name="access_token" type="password" required value={session.access_token} onInput={(e) => onChange({ ...session, access_token: e.currentTarget.value })} />
      </label>
    </>
  );
}
