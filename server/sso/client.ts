/**
 * The identity provider as the SSO service sees it, and its real implementation over `openid-client`
 * (a certified relying-party library). Stops forged or misdirected ID tokens: every token is checked by
 * the library — signature against the provider's published keys (non-repudiation checks on, so even a
 * token from the token endpoint must be signed by the provider), issuer, audience (our client id),
 * nonce, expiry, and the authorization response's state and `iss` (mix-up) — never by hand.
 */
import * as oidc from 'openid-client';
import type { OidcConfig } from '../config/index.ts';
import type { Clock } from '../platform/index.ts';

/** Claims of a verified ID token, with the UserInfo response filling what the token leaves out. */
export type VerifiedClaims = Record<string, unknown> & { iss: string; sub: string };

export interface OidcClient {
  /** The provider's authorization endpoint with our request (code flow, PKCE S256, state, nonce). */
  authorizationUrl(input: { state: string; nonce: string; codeChallenge: string }): Promise<URL>;
  /**
   * Redeems the code in `callbackUrl` and validates the ID token; throws when anything does not match
   * (state, nonce, PKCE, issuer, audience, signature, expiry, an error answer from the provider).
   */
  redeem(
    callbackUrl: URL,
    checks: { state: string; nonce: string; codeVerifier: string },
  ): Promise<VerifiedClaims>;
}

/** Discovery metadata is fetched once and kept this long (keys rotate through the JWKS, fetched as needed). */
const DISCOVERY_TTL_MS = 60 * 60_000;

export function openidClient(cfg: OidcConfig, clock: Clock): OidcClient {
  // Plain http is accepted only for a loopback issuer (config refuses any other): tests' own provider.
  const insecure = new URL(cfg.issuer).protocol === 'http:';
  let cached: { at: number; config: Promise<oidc.Configuration> } | undefined;
  const configuration = () => {
    if (!cached || clock.now() - cached.at > DISCOVERY_TTL_MS) {
      const config = oidc.discovery(
        new URL(cfg.issuer),
        cfg.clientId,
        undefined,
        oidc.ClientSecretBasic(cfg.clientSecret),
        {
          // Token-endpoint ID tokens are checked against the provider's JWKS too, not only trusted for
          // arriving over TLS (the library's default): a proxy or a broken TLS setup cannot forge one.
          execute: insecure
            ? [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks]
            : [oidc.enableNonRepudiationChecks],
        },
      );
      const entry = { at: clock.now(), config };
      cached = entry;
      // A failed discovery is not cached: the next sign-in tries again.
      config.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.config;
  };

  return {
    async authorizationUrl({ state, nonce, codeChallenge }) {
      return oidc.buildAuthorizationUrl(await configuration(), {
        redirect_uri: cfg.redirectUri,
        response_type: 'code',
        scope: cfg.scopes.join(' '),
        state,
        nonce,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      });
    },

    async redeem(callbackUrl, { state, nonce, codeVerifier }) {
      const config = await configuration();
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: codeVerifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims();
      if (!idToken) throw new Error('the provider returned no ID token');
      let claims: Record<string, unknown> = { ...idToken };
      // Many providers put email and groups only in UserInfo for the code flow; the library checks
      // that its `sub` is the ID token's. Claims of the (signed) ID token win where both have one.
      const missing = !('email' in idToken) || (cfg.roleMap.length > 0 && !(cfg.groupsClaim in idToken));
      if (missing && config.serverMetadata().userinfo_endpoint) {
        const info = await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub);
        claims = { ...info, ...idToken };
      }
      return claims as VerifiedClaims;
    },
  };
}

export const pkce = {
  verifier: () => oidc.randomPKCECodeVerifier(),
  challenge: (verifier: string) => oidc.calculatePKCECodeChallenge(verifier),
};
