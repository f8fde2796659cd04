/**
 * The staff app (reviewers, authors, admins), loaded lazily by main.tsx for /login, /review and
 * /admin paths so none of it reaches the candidate's initial JS. Signs in with the ws_staff cookie;
 * mutations carry the session's CSRF token.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, setCsrf } from '../lib/api.ts';
import { Link, navigate, usePath } from './router.tsx';
import type { Me } from './types.ts';
import { Login } from './login.tsx';
import { Queue } from './queue.tsx';
import { Submission } from './submission/submission.tsx';
import { AdminTasks, TaskPage } from './admin/tasks.tsx';
import { Invitations } from './admin/invitations.tsx';
import { ApiTokens } from './admin/tokens.tsx';
import { Pipeline } from './admin/pipeline.tsx';
import { Webhooks } from './admin/webhooks.tsx';
import { Staff } from './admin/staff.tsx';
import { CandidateSummary } from './assessments/summary.tsx';
import { ChangePassword, ForgotPassword, SetPassword } from './password.tsx';
import './staff.css';

function Shell({
  me,
  onSignOut,
  children,
}: {
  me: Me;
  onSignOut(): void;
  children: preact.ComponentChildren;
}) {
  const staffy = me.user.role !== 'reviewer';
  return (
    <div class="staff">
      <header class="staff-top">
        <a class="skip" href="#main">
          Skip to content
        </a>
        <strong class="brand">worksample</strong>
        <nav aria-label="Staff">
          <Link href="/review">Review queue</Link>
          {me.user.role === 'admin' && <Link href="/admin/candidates">Candidates</Link>}
          {staffy && <Link href="/admin">Tasks</Link>}
          {staffy && <Link href="/admin/invitations">Invitations</Link>}
          {me.user.role === 'admin' && <Link href="/admin/tokens">API tokens</Link>}
          {me.user.role === 'admin' && <Link href="/admin/webhooks">Webhooks</Link>}
          {me.user.role === 'admin' && <Link href="/admin/staff">Staff</Link>}
          <Link href="/admin/account">Account</Link>
        </nav>
        <span class="muted small" data-testid="signed-in">
          {me.user.name} · {me.user.role}
        </span>
        <button type="button" class="small" data-testid="sign-out" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" class="staff-main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

function StaffApp() {
  const path = usePath();
  const [me, setMe] = useState<Me | null | 'loading'>('loading');

  useEffect(() => {
    api<Me>('GET', '/api/auth/me').then(
      (m) => {
        setCsrf(m.csrfToken);
        setMe(m);
      },
      (e) => {
        if (!(e instanceof ApiError && e.status === 401)) console.error(e);
        setMe(null);
      },
    );
  }, []);

  // Reached from an email or the sign-in page, signed in or not.
  const publicPage = path === '/login/set-password' || path === '/login/forgot';
  useEffect(() => {
    if (publicPage) return;
    if (me === null && path !== '/login') navigate(`/login?next=${encodeURIComponent(path)}`);
    if (me && me !== 'loading' && path === '/login') {
      const next = new URLSearchParams(location.search).get('next');
      // An admin lands on the pipeline (every candidate); reviewers and authors on their queue.
      const home = me.user.role === 'admin' ? '/admin/candidates' : '/review';
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : home);
    }
  }, [me, path, publicPage]);

  if (me === 'loading')
    return (
      <main class="center" aria-busy="true">
        <p>Loading…</p>
      </main>
    );
  // After /api/auth/me: a signed-in browser has its CSRF token for these pages' POSTs.
  if (path === '/login/set-password') return <SetPassword />;
  if (path === '/login/forgot') return <ForgotPassword />;
  if (me === null || path === '/login')
    return (
      <Login
        onSignedIn={(m) => {
          setCsrf(m.csrfToken);
          setMe(m);
        }}
      />
    );

  const signOut = async () => {
    await api('POST', '/api/auth/logout').catch(() => {});
    setMe(null);
  };
  const parts = path.split('/').filter(Boolean);
  let page: preact.ComponentChildren;
  if (parts[0] === 'review' && parts[1]) page = <Submission id={decodeURIComponent(parts[1])} me={me} />;
  else if (parts[0] === 'review') page = <Queue />;
  else if (parts[0] === 'admin' && parts[1] === 'invitations' && parts[2])
    page = <CandidateSummary id={decodeURIComponent(parts[2])} />;
  else if (parts[0] === 'admin' && parts[1] === 'invitations') page = <Invitations />;
  else if (parts[0] === 'admin' && parts[1] === 'tokens') page = <ApiTokens />;
  else if (parts[0] === 'admin' && parts[1] === 'candidates') page = <Pipeline />;
  else if (parts[0] === 'admin' && parts[1] === 'webhooks') page = <Webhooks />;
  else if (parts[0] === 'admin' && parts[1] === 'staff') page = <Staff meId={me.user.id} />;
  else if (parts[0] === 'admin' && parts[1] === 'account') page = <ChangePassword />;
  else if (parts[0] === 'admin' && parts[1] === 'tasks' && parts[2])
    page = <TaskPage slug={decodeURIComponent(parts[2])} />;
  else if (parts[0] === 'admin') page = <AdminTasks />;
  else
    page = (
      <p>
        Nothing here. <Link href="/review">Go to the review queue</Link>.
      </p>
    );
  return (
    <Shell me={me} onSignOut={signOut}>
      {page}
    </Shell>
  );
}

/** Renders the staff app into `root` (called by main.tsx after the dynamic import). */
export function mountStaff(root: HTMLElement) {
  render(<StaffApp />, root);
}
