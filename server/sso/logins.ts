/**
 * Pending SSO sign-ins. Stops login CSRF and replayed callbacks: state, nonce and the PKCE verifier stay
 * in the database, keyed by the hash of a random cookie set on the browser that started the sign-in;
 * a callback without that cookie, with another state, after the deadline or a second time finds nothing.
 */
import { timingSafeEqual } from 'node:crypto';
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

/** Stores a new pending sign-in; the returned cookie value is the browser's half of it. */
export async function beginLogin(
  ctx: ServiceContext,
  login: PendingLogin,
): Promise<{ cookieValue: string; expiresAt: number }> {
  const cookieValue = ctx.ids.secret();
  const now = ctx.clock.now();
  const expiresAt = now + SSO_LOGIN_MS;
  // Abandoned sign-ins are removed as new ones start.
  await ctx.db.deleteFrom('sso_logins').where('expires_at', '<=', now).execute();
  await ctx.db
    .insertInto('sso_logins')
    .values({
      id_hash: hashSecret(cookieValue),
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

export type TakenLogin =
  { ok: true; login: PendingLogin } | { ok: false; reason: 'missing' | 'expired' | 'state' };

/**
 * Takes (and deletes) the pending sign-in of this browser if `state` is the one it was started with.
 * Used at most once: the row is gone whatever the outcome.
 */
export async function takeLogin(
  ctx: ServiceContext,
  cookieValue: string | undefined,
  state: string | undefined,
): Promise<TakenLogin> {
  if (!cookieValue) return { ok: false, reason: 'missing' };
  const row = await ctx.db
    .deleteFrom('sso_logins')
    .where('id_hash', '=', hashSecret(cookieValue))
    .returningAll()
    .executeTakeFirst();
  if (!row) return { ok: false, reason: 'missing' };
  if (row.expires_at <= ctx.clock.now()) return { ok: false, reason: 'expired' };
  if (!state || !sameString(state, row.state)) return { ok: false, reason: 'state' };
  return {
    ok: true,
    login: { state: row.state, nonce: row.nonce, codeVerifier: row.code_verifier, returnTo: row.return_to },
  };
}

function sameString(a: string, b: string) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A path on this site to land on after sign-in; anything else (other origins, `//host`) becomes /review. */
export function safeReturnTo(next: string | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || /[\\\s]/.test(next) || next.length > 500)
    return '/review';
  return next;
}
