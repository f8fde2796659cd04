/**
 * API tokens: credentials for automation, made by admins, scoped, shown once, stored as sha256, with
 * expiry, last use and revocation. HTTP: `Authorization: Bearer wst_…` on the /api routes that
 * server/http/route-access.ts maps to a scope (server/http/auth.ts checks it before any handler).
 * Other entry points (Greenhouse's Basic auth) call verifyApiToken with their own scope.
 */
export {
  createApiToken,
  listApiTokens,
  revokeApiToken,
  verifyApiToken,
  newTokenSchema,
  TOKEN_PATTERN,
  LAST_USED_RESOLUTION_MS,
  type ApiTokenActor,
  type ApiTokenView,
  type NewToken,
  type VerifyResult,
} from './tokens.ts';
export { SCOPES, SCOPE_DESCRIPTIONS, isScope, type Scope } from './scopes.ts';
