/** Staff single sign-on over OpenID Connect (authorization code + PKCE). See service.ts. */
export { createSso, type SsoFailure, type SsoFinish, type SsoService, type SsoStart } from './service.ts';
export { openidClient, type OidcClient, type VerifiedClaims } from './client.ts';
export { SSO_LOGIN_MS, safeReturnTo } from './logins.ts';
export { NO_PASSWORD, roleFromGroups } from './identity.ts';
