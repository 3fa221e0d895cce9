import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './console.css';
import { api, ApiError, storedKey, storeKey } from './api';
import { BroadcastPage } from './broadcast-page';
import { BroadcastsPage } from './broadcasts-page';
import { SessionsPage } from './sessions-page';
import { TemplatesPage } from './templates-page';
import { messageOf, Problem } from './widgets';

/** The page the location's hash names: #/broadcasts, #/broadcasts/<id>, #/sessions, #/templates. */
function useRoute(): string {
  const [route, setRoute] = useState(location.hash.slice(1) || '/broadcasts');
  useEffect(() => {
    const follow = () => setRoute(location.hash.slice(1) || '/broadcasts');
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  return route;
}

/** The key is checked against the API, then kept in this tab's session storage only (gone when the tab closes). */
function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const signIn = async (event: Event) => {
    event.preventDefault();
    try {
      await api('GET', '/broadcast?type=all&fields=summary&limit=1', undefined, { key: key.trim() });
      storeKey(key.trim());
      onSignedIn();
    } catch (failure) {
      setError(failure instanceof ApiError && failure.status === 401 ? 'That API key is not valid.' : messageOf(failure));
    }
  };
  return (
    <form class="card sign-in" onSubmit={(event) => void signIn(event)}>
      <h1>WhatsApp console</h1>
      <label>
        API key
        <input name="api_key" type="password" autocomplete="off" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
      </label>
      <Problem error={error} />
      <button type="submit">Sign in</button>
      <p class="muted">The key stays in this tab only.</p>
    </form>
  );
}

function Page({ route }: { route: string }) {
  const broadcast = /^\/broadcasts\/([0-9a-f]{24})$/.exec(route);
  if (broadcast) return <BroadcastPage id={broadcast[1]} />;
  if (route === '/sessions') return <SessionsPage />;
  if (route === '/templates') return <TemplatesPage />;
  return <BroadcastsPage />;
}

function App() {
  const [signedIn, setSignedIn] = useState(storedKey() !== null);
  const route = useRoute();
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  return (
    <>
      <nav>
        <a href="#/broadcasts" class={route.startsWith('/broadcasts') ? 'active' : ''}>
          Broadcasts
        </a>
        <a href="#/sessions" class={route === '/sessions' ? 'active' : ''}>
          Sessions
        </a>
        <a href="#/templates" class={route === '/templates' ? 'active' : ''}>
          Templates
        </a>
        <a href="/docs">API docs</a>
        <button
          type="button"
          class="link"
          onClick={() => {
            storeKey(null);
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </nav>
      <main>
        <Page route={route} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('console')!);
