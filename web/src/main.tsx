/**
 * The candidate's app. The shell (this chunk) is small: it asks the server which invitation this
 * browser holds and renders the landing page, the workspace, or the confirmation. Monaco arrives
 * later in its own chunk (editor/load.ts).
 */
import { Fragment, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, setCsrf, type Attempt, type CandidateView } from './lib/api.ts';
import { syncClock } from './lib/clock.ts';
import { Landing } from './pages/landing.tsx';
import { Done, NoInvitation, Problem } from './pages/done.tsx';
import { Workspace } from './workspace/workspace.tsx';
import { AssessmentBar } from './workspace/assessment-bar.tsx';
import { loadMonaco } from './editor/load.ts';
import { assessmentOf, assessmentPage } from './lib/assessment.ts';
import { serverNow } from './lib/clock.ts';
import { AssessmentFinal, AssessmentIntro, AssessmentOverview } from './pages/assessment.tsx';

type View =
  | { page: 'loading' }
  | { page: 'none' }
  | { page: 'error'; message: string; title?: string }
  | { page: 'landing' | 'workspace' | 'done'; cand: CandidateView; attempt: Attempt | null; note?: string }
  | { page: 'intro' | 'overview' | 'final'; cand: CandidateView; attempt: null; note?: string };

/** The page for a candidate view: an assessment's own pages, or the single task's as always. */
function viewOf(cand: CandidateView, note?: string): View {
  const a = cand.attempt;
  if (assessmentOf(cand)) {
    const p = assessmentPage(cand, serverNow());
    if (p.page !== 'task') return { page: p.page, cand, attempt: null, ...(note ? { note } : {}) };
    if (!a) return { page: 'landing', cand, attempt: null };
    if (a.status === 'started' && a.writable) return { page: 'workspace', cand, attempt: a };
    return { page: 'overview', cand, attempt: null };
  }
  if (!a) return { page: 'landing', cand, attempt: null };
  if (a.status === 'started' && a.writable) return { page: 'workspace', cand, attempt: a };
  return { page: 'done', cand, attempt: a };
}

function App() {
  const [view, setView] = useState<View>({ page: 'loading' });

  const show = (cand: CandidateView, note?: string) => {
    setCsrf(cand.csrfToken);
    syncClock(cand.serverNow);
    setView(viewOf(cand, note));
  };
  /** An assessment action (start, select, submit all): the server answers with the new view. */
  const act = async (url: string, body?: unknown, note?: string) =>
    show(await api<CandidateView>('POST', url, body), note);
  // After the last task the assessment may already be over (409): reading the view shows the final page.
  const toOverview = (note?: string) =>
    act('/api/candidate/assessment/select', { position: null }, note).catch(() => load(note));

  const load = async (note?: string) => {
    try {
      show(await api<CandidateView>('GET', '/api/candidate'), note);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setView({ page: 'none' });
      else if (e instanceof ApiError && e.code === 'open_elsewhere')
        setView({ page: 'error', title: 'This attempt is open in another browser', message: e.message });
      else setView({ page: 'error', message: e instanceof Error ? e.message : String(e) });
    }
  };
  useEffect(() => void load(), []);

  useEffect(() => {
    const a = 'cand' in view ? assessmentOf(view.cand) : null;
    document.title =
      view.page === 'landing' || view.page === 'workspace'
        ? `${view.cand.task.title} · worksample`
        : a && view.page !== 'final'
          ? `${a.title} · worksample`
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
      return <Problem message={view.message} title={view.title} retry={() => void load()} />;
    case 'intro':
      return (
        <AssessmentIntro
          cand={view.cand}
          a={assessmentOf(view.cand)!}
          onStart={() => act('/api/candidate/assessment/start')}
        />
      );
    case 'overview':
      return (
        <AssessmentOverview
          a={assessmentOf(view.cand)!}
          note={view.note}
          onOpen={(position) => act('/api/candidate/assessment/select', { position })}
          onSubmitAll={() => act('/api/candidate/assessment/submit')}
          onClockOut={() => void load()}
        />
      );
    case 'final':
      return <AssessmentFinal a={assessmentOf(view.cand)!} />;
    case 'landing': {
      const a = assessmentOf(view.cand);
      // Keyed by the task: moving from one task's landing page to the next starts both afresh.
      return (
        <Fragment key={a?.current ?? 'single'}>
          {a && (
            <AssessmentBar
              a={a}
              position={a.current!}
              go={(p) => act('/api/candidate/assessment/select', { position: p })}
              onSubmitAll={() => act('/api/candidate/assessment/submit')}
            />
          )}
          <Landing
            cand={view.cand}
            onStarted={(attempt) => {
              syncClock(attempt.serverNow);
              // In an assessment the view (task statuses) changed too: read it again.
              if (a) void load();
              else setView({ page: 'workspace', cand: view.cand, attempt });
            }}
          />
        </Fragment>
      );
    }
    case 'workspace': {
      const a = assessmentOf(view.cand);
      return (
        <Workspace
          key={view.attempt!.id}
          cand={view.cand}
          attempt={view.attempt!}
          onDone={(attempt, note) =>
            a
              ? // One task of an assessment: back to the overview (or the final page once all is done).
                void (note ? load(note) : toOverview(`“${view.cand.task.title}” was submitted.`))
              : setView({ page: 'done', cand: view.cand, attempt, note })
          }
          assessment={
            a
              ? {
                  view: a,
                  position: a.current!,
                  go: (p) => act('/api/candidate/assessment/select', { position: p }),
                  submitAll: () => act('/api/candidate/assessment/submit'),
                }
              : undefined
          }
        />
      );
    }
    case 'done':
      return <Done cand={view.cand} attempt={view.attempt!} note={view.note} />;
  }
}

// Staff pages (sign-in, review, admin) live in their own lazily loaded chunk: nothing of them is in
// the candidate's initial JS.
const STAFF_PATH = /^\/(login|review|admin)(\/|$)/;
const root = document.getElementById('app')!;
if (STAFF_PATH.test(location.pathname)) void import('./staff/index.tsx').then((m) => m.mountStaff(root));
else {
  // The workspace's address: fetch the editor now, side by side with the candidate's view and
  // files, instead of after they arrive (the landing page at this address needs it next anyway).
  if (location.pathname === '/attempt') void loadMonaco();
  render(<App />, root);
}
