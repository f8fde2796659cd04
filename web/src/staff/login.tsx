/**
 * Staff sign-in: "Sign in with SSO" when the deployment has an identity provider, the password form
 * when local passwords are on (behind "Emergency sign-in" for break-glass accounts when they are off).
 * Wrong passwords, throttling and refused SSO sign-ins come back as the server's reason.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import type { Me, SignInOptions } from './types.ts';
import { Link } from './router.tsx';

/** Why the server sent the browser back from /api/auth/sso/callback (`sso_error`), in words. */
const SSO_ERRORS: Record<string, string> = {
  state: 'That sign-in link was not started in this browser or was already used. Try again.',
  expired: 'The sign-in took too long. Try again.',
  denied: 'The identity provider did not sign you in.',
  token:
    'The identity provider’s answer could not be verified. Try again, or ask an admin to check the server log.',
  unavailable: 'The identity provider cannot be reached right now. Try again in a moment.',
  rate_limited: 'Too many sign-ins were started from this network. Wait a few minutes and try again.',
  email: 'Your identity provider did not share an email address.',
  unverified: 'Your email address is not verified at your identity provider.',
  domain: 'Your email domain is not allowed to sign in here.',
  disabled: 'Your account is deactivated. Ask an admin.',
  linked: 'This email’s account is already linked to a different single sign-on identity. Ask an admin.',
  no_role: 'None of your groups gives access here. Ask an admin.',
};

export function Login({ onSignedIn }: { onSignedIn(me: Me): void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [options, setOptions] = useState<SignInOptions | null>(null);
  const first = useRef<HTMLInputElement>(null);
  const params = new URLSearchParams(location.search);
  const ssoError = params.get('sso_error');

  useEffect(() => {
    document.title = 'Sign in · worksample';
    api<SignInOptions>('GET', '/api/auth/options').then(setOptions, () =>
      setOptions({ sso: false, localPasswords: true, breakGlass: false }),
    );
  }, []);
  useEffect(() => {
    if (options?.localPasswords) first.current?.focus();
  }, [options]);

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

  const startSso = () => {
    const next = params.get('next');
    location.assign(`/api/auth/sso/start${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  };

  const form = (
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
        <button
          type="submit"
          class={options?.sso ? '' : 'primary'}
          disabled={busy}
          data-testid="login-submit"
        >
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </div>
    </form>
  );

  return (
    <main class="center staff-login">
      <h1>Staff sign-in</h1>
      <p class="muted">
        For reviewers, task authors and admins. Candidates use the link from their invitation.
      </p>
      {ssoError && (
        <p class="field-error" role="alert" data-testid="sso-error">
          {SSO_ERRORS[ssoError] ?? 'Single sign-on failed. Try again.'}
        </p>
      )}
      {options?.sso && (
        <div class="row sso-row">
          <button type="button" class="primary big" onClick={startSso} data-testid="sso-start">
            Sign in with SSO
          </button>
        </div>
      )}
      {options?.localPasswords && form}
      {options && !options.localPasswords && options.breakGlass && (
        <details class="break-glass">
          <summary>Emergency sign-in (break-glass accounts only)</summary>
          {form}
        </details>
      )}
    </main>
  );
}
