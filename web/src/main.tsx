/**
 * The candidate's app. The shell (this chunk) is small: it asks the server which invitation this
 * browser holds and renders the landing page, the workspace, or the confirmation. Monaco arrives
 * later in its own chunk (editor/load.ts).
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, setCsrf, type Attempt, type CandidateView } from './lib/api.ts';
import { syncClock } from './lib/clock.ts';
import { Landing } from './pages/landing.tsx';
import { Done, NoInvitation, Problem } from './pages/done.tsx';
import { Workspace } from './workspace/workspace.tsx';
import { loadMonaco } from './editor/load.ts';

type View =
  | { page: 'loading' }
  | { page: 'none' }
  | { page: 'error'; message: string; title?: string }
  | { page: 'landing' | 'workspace' | 'done'; cand: CandidateView; attempt: Attempt | null; note?: string };

function App() {
  const [view, setView] = useState<View>({ page: 'loading' });

  const load = async () => {
    try {
      const cand = await api<CandidateView>('GET', '/api/candidate');
      setCsrf(cand.csrfToken);
      syncClock(cand.serverNow);
      const a = cand.attempt;
      if (!a) setView({ page: 'landing', cand, attempt: null });
      else if (a.status === 'started' && a.writable) setView({ page: 'workspace', cand, attempt: a });
      else setView({ page: 'done', cand, attempt: a });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setView({ page: 'none' });
      else if (e instanceof ApiError && e.code === 'open_elsewhere')
        setView({ page: 'error', title: 'This attempt is open in another browser', message: e.message });
      else setView({ page: 'error', message: e instanceof Error ? e.message : String(e) });
    }
  };
  useEffect(() => void load(), []);

  useEffect(() => {
    document.title =
      view.page === 'landing' || view.page === 'workspace'
        ? `${view.cand.task.title} · worksample`
        : 'worksample';
    // Fetch the editor while the candidate reads the landing page or as soon as the workspace shows.
    if (view.page === 'workspace' || view.page === 'landing') {
      const idle = window.requestIdleCallback ?? ((f: () => void) => setTimeout(f, 50));
      idle(() => void loadMonaco());
    }
  }, [view.page]);

  switch (view.page) {
    case 'loading':
      return (
        <main class="center" aria-busy="true">
          <p>Loading…</p>
        </main>
      );
    case 'none':
      return <NoInvitation />;
    case 'error':
      return <Problem message={view.message} title={view.title} retry={load} />;
    case 'landing':
      return (
        <Landing
          cand={view.cand}
          onStarted={(attempt) => {
            syncClock(attempt.serverNow);
            setView({ page: 'workspace', cand: view.cand, attempt });
          }}
        />
      );
    case 'workspace':
      return (
        <Workspace
          cand={view.cand}
          attempt={view.attempt!}
          onDone={(attempt, note) => setView({ page: 'done', cand: view.cand, attempt, note })}
        />
      );
    case 'done':
      return <Done cand={view.cand} attempt={view.attempt!} note={view.note} />;
  }
}

// Staff pages (sign-in, review, admin) live in their own lazily loaded chunk: nothing of them is in
// the candidate's initial JS.
const STAFF_PATH = /^\/(login|review|admin)(\/|$)/;
const root = document.getElementById('app')!;
if (STAFF_PATH.test(location.pathname)) void import('./staff/index.tsx').then((m) => m.mountStaff(root));
else render(<App />, root);
