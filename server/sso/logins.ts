/**
 * Pending SSO sign-ins. Stops login CSRF and replayed callbacks: state, nonce and the PKCE verifier stay
 * in the database, keyed by the hash of a random cookie on the browser that started the sign-in together
 * with the state; a callback without that cookie, with another state, after the deadline or a second
 * time finds nothing. One cookie serves every sign-in its browser has pending (two tabs both work).
 */
import type { ServiceContext } from '../platform/index.ts';
import { hashSecret } from '../auth/index.ts';

/** Time a person has at the provider between "Sign in with SSO" and the callback. */
export const SSO_LOGIN_MS = 10 * 60_000;

export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

const COOKIE_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const key = (cookieValue: string, state: string) => hashSecret(`${cookieValue}\n${state}`);

/**
 * Stores a new pending sign-in; the returned cookie value (the browser's own, when it already has a
 * well-formed one) is the browser's half of it.
 */
export async function beginLogin(
  ctx: ServiceContext,
  login: PendingLogin,
  browserCookie: string | undefined,
): Promise<{ cookieValue: string; expiresAt: number }> {
  const cookieValue = browserCookie && COOKIE_SHAPE.test(browserCookie) ? browserCookie : ctx.ids.secret();
  const now = ctx.clock.now();
  const expiresAt = now + SSO_LOGIN_MS;
  // Abandoned sign-ins are removed as new ones start.
  await ctx.db.deleteFrom('sso_logins').where('expires_at', '<=', now).execute();
  await ctx.db
    .insertInto('sso_logins')
    .values({
      id_hash: key(cookieValue, login.state),
      state: login.state,
      nonce: login.nonce,
      code_verifier: login.codeVerifier,
      return_to: login.returnTo,
      created_at: now,
      expires_at: expiresAt,
    })
    .execute();
  return { cookieValue, expiresAt };
}

export type TakenLogin = { ok: true; login: PendingLogin } | { ok: false; reason: 'state' | 'expired' };

/**
 * Takes (and deletes) this browser's pending sign-in started with `state`: usable once. The row is
 * found by hash, so no stored state is compared in a way that could leak it.
 */
export async function takeLogin(
  ctx: ServiceContext,
  cookieValue: string | undefined,
  state: string | undefined,
): Promise<TakenLogin> {
  if (!cookieValue || !state) return { ok: false, reason: 'state' };
  const row = await ctx.db
    .deleteFrom('sso_logins')
    .where('id_hash', '=', key(cookieValue, state))
    .returningAll()
    .executeTakeFirst();
  if (!row) return { ok: false, reason: 'state' };
  if (row.expires_at <= ctx.clock.now()) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    login: { state: row.state, nonce: row.nonce, codeVerifier: row.code_verifier, returnTo: row.return_to },
  };
}

/** A path on this site to land on after sign-in; anything else (other origins, `//host`) becomes /review. */
export function safeReturnTo(next: string | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || /[\\\s]/.test(next) || next.length > 500)
    return '/review';
  return next;
}
