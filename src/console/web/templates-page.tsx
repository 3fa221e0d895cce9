import { useEffect, useState } from 'preact/hooks';
import { TEMPLATE_CATEGORIES, TEMPLATE_STATUSES } from '../../../libs/whatsapp/src/template/template-definition';
import { api, SessionCredentials, storedSession, storeSession } from './api';
import { SessionFields } from './session-fields';
import { TemplateSummary } from './types';
import { messageOf, Problem } from './widgets';

/** The API's largest page: a catalogue is rarely longer, and the filters narrow it. */
const PAGE_SIZE = 100;

/** The body's text, where the template has one (what a recipient reads). */
const bodyOf = (template: TemplateSummary): string => template.components.find((component) => component.type === 'BODY')?.text ?? '';

/** A filter: one of `choices`, or any (the empty value). */
function AnyOf(props: { label: string; name: string; choices: readonly string[]; value: string; onChange: (value: string) => void }) {
  return (
    <label>
      {props.label}
      <select name={props.name} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">any</option>
        {props.choices.map((choice) => (
          <option key={choice}>{choice}</option>
        ))}
      </select>
    </label>
  );
}

/**
 * One session's template catalogue (GET /templates through that session): status, category,
 * quality and why Meta refused one, filtered by status and category.
 */
export function TemplatesPage() {
  const [session, setSession] = useState<SessionCredentials>(storedSession() ?? { session_id: '', access_token: '' });
  const [filter, setFilter] = useState({ status: '', category: '' });
  const [templates, setTemplates] = useState<TemplateSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = async (from: SessionCredentials) => {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (filter.status) query.set('status', filter.status);
    if (filter.category) query.set('category', filter.category);
    try {
      setTemplates(await api<TemplateSummary[]>('GET', `/templates?${query.toString()}`, undefined, { session: from }));
      setError(null);
      storeSession(from);
    } catch (failure) {
      setTemplates(null);
      setError(messageOf(failure));
    }
  };
  useEffect(() => {
    if (session.session_id && session.access_token) void load(session);
  }, [filter.status, filter.category]);

  return (
    <section>
      <h1>Templates</h1>
      <form
        class="card template-filter"
        onSubmit={(event) => {
          event.preventDefault();
          void load(session);
        }}
      >
        <SessionFields session={session} onChange={setSession} />
        <AnyOf label="Status" name="status" choices={TEMPLATE_STATUSES} value={filter.status} onChange={(status) => setFilter({ ...filter, status })} />
        <AnyOf label="Category" name="category" choices={TEMPLATE_CATEGORIES} value={filter.category} onChange={(category) => setFilter({ ...filter, category })} />
        <button type="submit">Show the catalogue</button>
      </form>
      <Problem error={error} />
      {templates && templates.length === 0 && <p class="muted">No template matches.</p>}
      {templates && templates.length > 0 && (
        <table class="templates">
          <thead>
            <tr>
              <th>Name</th>
              <th>Language</th>
              <th>Category</th>
              <th>Status</th>
              <th>Quality</th>
              <th>Body</th>
            </tr>
          </thead>
          <tbody>
            {templates.map((template) => (
              <tr key={template._id} data-template={`${template.name}:${template.language}`}>
                <td>{template.name}</td>
                <td>{template.language}</td>
                <td>{template.category}</td>
                <td title={template.rejected_reason ?? ''}>
                  <span class={`status status-${template.status.toLowerCase()}`}>{template.status}</span>
                </td>
                <td>{template.quality_score ?? '—'}</td>
                <td class="message-cell" title={bodyOf(template)}>
                  {bodyOf(template)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
