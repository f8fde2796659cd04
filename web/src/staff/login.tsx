/** Staff sign-in. Wrong passwords and throttling come back as the server's message. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import type { Me } from './types.ts';
import { Link } from './router.tsx';

export function Login({ onSignedIn }: { onSignedIn(me: Me): void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => {
    document.title = 'Sign in · worksample';
    first.current?.focus();
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api<Me>('POST', '/api/auth/login', { email, password }));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="center staff-login">
      <h1>Staff sign-in</h1>
      <p class="muted">
        For reviewers, task authors and admins. Candidates use the link from their invitation.
      </p>
      <form onSubmit={submit} data-testid="login-form">
        <label for="login-email">Email</label>
        <input
          id="login-email"
          ref={first}
          type="email"
          autoComplete="username"
          required
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
        <label for="login-password">Password</label>
        <input
          id="login-password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {error && (
          <p class="field-error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <div class="row end">
          <Link href="/login/forgot" testId="forgot-link">
            Forgot password?
          </Link>
          <button type="submit" class="primary" disabled={busy} data-testid="login-submit">
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </main>
  );
}
