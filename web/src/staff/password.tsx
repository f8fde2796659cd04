/**
 * Password pages: set a password from an emailed link (staff invite or reset; the token is in the
 * URL fragment, which never reaches the server's logs), "forgot password" from the sign-in page, and
 * changing one's own password.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { Link } from './router.tsx';

function useTitle(t: string) {
  useEffect(() => void (document.title = `${t} · worksample`), [t]);
}

function ErrorLine({ error }: { error: string | null }) {
  return error ? (
    <p class="field-error" role="alert" data-testid="password-error">
      {error}
    </p>
  ) : null;
}

/** /login/set-password#token=… */
export function SetPassword() {
  useTitle('Set your password');
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
  const [who, setWho] = useState<{ email: string; name: string; purpose: 'invite' | 'reset' } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pw, setPw] = useState('');
  const [pw2, setPw2] = useState('');
  const [done, setDone] = useState<string | null>(null);
  useEffect(() => {
    if (!token) return setError('This link is incomplete; open the whole link from the email.');
    api<typeof who>('POST', '/api/auth/password-reset/check', { token }).then(setWho, (e: Error) =>
      setError(e.message),
    );
  }, [token]);

  if (done)
    return (
      <main class="center staff-login">
        <h1>Password set</h1>
        <p role="status" data-testid="password-set">
          Your password for {done} is set. <Link href="/login">Sign in</Link>.
        </p>
      </main>
    );
  return (
    <main class="center staff-login">
      <h1>{who?.purpose === 'reset' ? 'Choose a new password' : 'Set your password'}</h1>
      {who && (
        <p class="muted" data-testid="password-for">
          For {who.name} &lt;{who.email}&gt;. At least 10 characters.
        </p>
      )}
      <form
        data-testid="set-password-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (pw !== pw2) return setError('The two passwords differ.');
          setError(null);
          api<{ email: string }>('POST', '/api/auth/password-reset/complete', { token, password: pw }).then(
            (r) => {
              // The token is spent: drop it from the address bar and history.
              history.replaceState(null, '', '/login/set-password');
              setDone(r.email);
            },
            (err: Error) => setError(err.message),
          );
        }}
      >
        <label for="new-pw">New password</label>
        <input
          id="new-pw"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          value={pw}
          onInput={(e) => setPw(e.currentTarget.value)}
        />
        <label for="new-pw2">Repeat it</label>
        <input
          id="new-pw2"
          type="password"
          autoComplete="new-password"
          required
          value={pw2}
          onInput={(e) => setPw2(e.currentTarget.value)}
        />
        <ErrorLine error={error} />
        <div class="row end">
          <button type="submit" class="primary" disabled={!who} data-testid="set-password-submit">
            Set password
          </button>
        </div>
      </form>
    </main>
  );
}

/** /login/forgot */
export function ForgotPassword() {
  useTitle('Forgot password');
  const [email, setEmail] = useState('');
  const [answer, setAnswer] = useState<{ message: string; emailEnabled: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <main class="center staff-login">
      <h1>Forgot your password?</h1>
      {answer ? (
        <div role="status" data-testid="forgot-answer">
          {answer.emailEnabled ? (
            <p>{answer.message}</p>
          ) : (
            <p class="banner warn" data-testid="email-off">
              This server cannot send email (no <code>SMTP_URL</code>). Ask an admin for a set-password link:
              they can copy one from the Staff page.
            </p>
          )}
          <p>
            <Link href="/login">Back to sign-in</Link>
          </p>
        </div>
      ) : (
        <form
          data-testid="forgot-form"
          onSubmit={(e) => {
            e.preventDefault();
            setError(null);
            api<{ message: string; emailEnabled: boolean }>('POST', '/api/auth/password-reset', {
              email,
            }).then(setAnswer, (err: Error) => setError(err.message));
          }}
        >
          <p class="muted">We email a link to choose a new password. It works once, for an hour.</p>
          <label for="forgot-email">Email</label>
          <input
            id="forgot-email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
          <ErrorLine error={error} />
          <div class="row end">
            <button type="submit" class="primary" data-testid="forgot-submit">
              Email me a link
            </button>
          </div>
        </form>
      )}
    </main>
  );
}

/** /admin/account: change my own password (my other sessions end). */
export function ChangePassword() {
  useTitle('Account');
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [msg, setMsg] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <section aria-labelledby="acct-h">
      <h1 id="acct-h">Account</h1>
      <form
        class="card"
        data-testid="change-password"
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          setMsg(null);
          api('POST', '/api/auth/password', { currentPassword: current, newPassword: next }).then(
            () => {
              setCurrent('');
              setNext('');
              setMsg('Password changed. You were signed out everywhere else.');
            },
            (err: Error) => setError(err.message),
          );
        }}
      >
        <h2>Change password</h2>
        <label for="cur-pw">Current password</label>
        <input
          id="cur-pw"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onInput={(e) => setCurrent(e.currentTarget.value)}
        />
        <label for="next-pw">New password (at least 10 characters)</label>
        <input
          id="next-pw"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          value={next}
          onInput={(e) => setNext(e.currentTarget.value)}
        />
        <ErrorLine error={error} />
        {msg && (
          <p role="status" data-testid="password-changed">
            {msg}
          </p>
        )}
        <div class="row end">
          <button type="submit" class="primary">
            Change password
          </button>
        </div>
      </form>
    </section>
  );
}
