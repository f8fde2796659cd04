/**
 * Staff single sign-on verbs: `start` (a pending sign-in and the provider's URL) and `finish` (the
 * callback: the pending sign-in taken once, the code redeemed and the ID token validated by the client,
 * the identity checked, the account found, linked or created, a normal staff session). Failures are
 * typed results with a short reason the sign-in page explains; details go to the log only.
 */
import type { OidcConfig } from '../config/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { createSession, type NewSession, type StaffUser } from '../auth/index.ts';
import { pkce, type OidcClient } from './client.ts';
import { beginLogin, safeReturnTo, takeLogin } from './logins.ts';
import { accountFor, identityFrom, type IdentityFailure } from './identity.ts';

export type SsoFailure = IdentityFailure | 'state' | 'expired' | 'denied' | 'token' | 'unavailable';

export type SsoStart =
  { ok: true; redirect: URL; cookieValue: string; expiresAt: number } | { ok: false; reason: 'unavailable' };

export type SsoFinish =
  { ok: true; user: StaffUser; session: NewSession; returnTo: string } | { ok: false; reason: SsoFailure };

export interface SsoService {
  /** `browserCookie`: the browser's ws_sso, if any (its other pending sign-ins keep working). */
  start(next: string | undefined, browserCookie?: string): Promise<SsoStart>;
  /** `callbackUrl` is the redirect URI with the query the provider sent; `cookieValue` the browser's ws_sso. */
  finish(cookieValue: string | undefined, callbackUrl: URL): Promise<SsoFinish>;
}

export function createSso(ctx: ServiceContext, cfg: OidcConfig, client: OidcClient): SsoService {
  const log = ctx.logger;
  return {
    async start(next, browserCookie) {
      const codeVerifier = pkce.verifier();
      const state = ctx.ids.secret();
      const nonce = ctx.ids.secret();
      let redirect: URL;
      try {
        redirect = await client.authorizationUrl({
          state,
          nonce,
          codeChallenge: await pkce.challenge(codeVerifier),
        });
      } catch (err) {
        log.warn({ err: String(err), issuer: cfg.issuer }, 'sso: provider discovery failed');
        return { ok: false, reason: 'unavailable' };
      }
      const pending = await beginLogin(
        ctx,
        { state, nonce, codeVerifier, returnTo: safeReturnTo(next) },
        browserCookie,
      );
      return { ok: true, redirect, ...pending };
    },

    async finish(cookieValue, callbackUrl) {
      const params = callbackUrl.searchParams;
      const taken = await takeLogin(ctx, cookieValue, params.get('state') ?? undefined);
      if (!taken.ok) {
        log.warn({ reason: taken.reason }, 'sso: callback without a matching pending sign-in');
        return { ok: false, reason: taken.reason };
      }
      const { login } = taken;
      if (params.has('error')) {
        log.warn({ error: params.get('error') }, 'sso: the provider answered with an error');
        return { ok: false, reason: 'denied' };
      }
      let claims;
      try {
        claims = await client.redeem(callbackUrl, login);
      } catch (err) {
        log.warn(
          { err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) },
          'sso: token refused',
        );
        return { ok: false, reason: 'token' };
      }
      const found = identityFrom(claims, cfg);
      const account = found.ok ? await accountFor(ctx, cfg, found.identity) : found;
      if (!account.ok) {
        log.warn({ reason: account.reason, detail: account.detail }, 'sso: sign-in refused');
        return { ok: false, reason: account.reason };
      }
      const session = await createSession(ctx, { kind: 'staff', userId: account.user.id });
      return { ok: true, user: account.user, session, returnTo: login.returnTo };
    },
  };
}
