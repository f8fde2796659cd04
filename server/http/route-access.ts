/**
 * Who may call each /api route with an API token: the one table the auth middleware
 * (server/http/auth.ts) enforces and the OpenAPI document (server/http/openapi.ts) publishes. Stops a
 * token doing more than its scopes allow: a route is open to tokens only if it is listed here with a
 * scope; `session` routes (staff accounts, tokens themselves, reviewing, decisions, anything a
 * candidate does) refuse every token, and a route missing from the table refuses them too
 * (server/http/route-access.security.test.ts fails until a new route has an entry).
 */
import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Scope } from '../api-tokens/index.ts';

/** public: no credentials needed; session: a cookie session only, never a token; else the scope a token needs. */
export type RouteAccess = 'public' | 'session' | Scope;

export const ROUTE_ACCESS: Record<string, RouteAccess> = {
  'GET /api/health': 'public',
  'GET /api/ready': 'public',
  'GET /api/openapi.json': 'public',
  'POST /api/auth/login': 'public',
  'GET /api/auth/options': 'public',
  'GET /api/auth/sso/start': 'public',
  'GET /api/auth/sso/callback': 'public',
  // Forgot-password and set-password links: the emailed single-use token is the credential.
  'POST /api/auth/password-reset': 'public',
  'POST /api/auth/password-reset/check': 'public',
  'POST /api/auth/password-reset/complete': 'public',
  'POST /api/invitations/open': 'public',

  // Staff accounts and the tokens themselves: a token never manages credentials.
  'POST /api/auth/logout': 'session',
  'GET /api/auth/me': 'session',
  'GET /api/users': 'session',
  'POST /api/users': 'session',
  'POST /api/users/invite': 'session',
  'POST /api/users/{id}/role': 'session',
  'POST /api/users/{id}/deactivate': 'session',
  'POST /api/users/{id}/reactivate': 'session',
  'POST /api/users/{id}/reset-link': 'session',
  'POST /api/auth/password': 'session',
  // Email: whether it is on, and the delivery logs (addresses of candidates and staff).
  'GET /api/email/status': 'session',
  'GET /api/invitations/{id}/emails': 'session',
  'GET /api/users/{id}/emails': 'session',
  'POST /api/reviews/{id}/feedback/email': 'session',
  'POST /api/invitations/{id}/feedback/email': 'session',
  'GET /api/tokens': 'session',
  'POST /api/tokens': 'session',
  'POST /api/tokens/{id}/revoke': 'session',

  'GET /api/tasks': 'tasks:read',
  'GET /api/tasks/{slug}/versions': 'tasks:read',
  'GET /api/assessments': 'tasks:read',
  'POST /api/tasks/{slug}/verify': 'tasks:write',

  'GET /api/invitations': 'invitations:read',
  'GET /api/tasks/{slug}/funnel': 'invitations:read',
  'POST /api/invitations': 'invitations:write',
  'POST /api/invitations/bulk': 'invitations:write',
  'POST /api/invitations/{id}/revoke': 'invitations:write',
  'POST /api/invitations/{id}/resend': 'invitations:write',
  'POST /api/invitations/{id}/extend': 'invitations:write',

  // The candidate's own routes and everything that writes an attempt: candidates only.
  'GET /api/candidate': 'session',
  'POST /api/candidate/start': 'session',
  'POST /api/candidate/assessment/start': 'session',
  'POST /api/candidate/assessment/select': 'session',
  'POST /api/candidate/assessment/submit': 'session',
  'POST /api/attempts/{id}/submit': 'session',
  'POST /api/attempts/{id}/signals': 'session',
  'POST /api/attempts/{id}/edits': 'session',
  'PUT /api/attempts/{id}/file': 'session',
  'POST /api/attempts/{id}/file/rename': 'session',
  'DELETE /api/attempts/{id}/file': 'session',
  'POST /api/attempts/{id}/runs': 'session',
  'POST /api/attempts/{id}/runs/{runId}/stdin': 'session',
  'POST /api/attempts/{id}/runs/{runId}/cancel': 'session',
  'POST /api/attempts/{id}/assistant': 'session',
  'GET /api/attempts/{id}/terminal': 'session',

  // Reading a submission's evidence and the results.
  'GET /api/attempts/{id}': 'results:read',
  'GET /api/attempts/{id}/events': 'results:read',
  'GET /api/attempts/{id}/files': 'results:read',
  'GET /api/attempts/{id}/file': 'results:read',
  'GET /api/attempts/{id}/runs': 'results:read',
  'GET /api/attempts/{id}/runs/{runId}': 'results:read',
  'GET /api/attempts/{id}/runs/{runId}/events': 'results:read',
  'GET /api/attempts/{id}/grade': 'results:read',
  'GET /api/attempts/{id}/grades': 'results:read',
  'GET /api/attempts/{id}/llm': 'results:read',
  'GET /api/attempts/{id}/materials': 'results:read',
  'GET /api/attempts/{id}/starter': 'results:read',
  'GET /api/attempts/{id}/revisions/{sha256}': 'results:read',
  'GET /api/attempts/{id}/edits': 'results:read',
  'GET /api/tasks/{slug}/agreement': 'results:read',
  'GET /api/reviews/{id}/feedback': 'results:read',
  'GET /api/export': 'results:read',

  // The pipeline: every candidate's name and stage, and bulk assign/extend/revoke — admins signed in.
  'GET /api/pipeline': 'session',
  'POST /api/pipeline/bulk': 'session',
  // Webhook endpoints (an ATS may register its own receiver) and their delivery logs.
  'GET /api/webhooks': 'webhooks:read',
  'GET /api/webhooks/{id}': 'webhooks:read',
  'GET /api/webhooks/{id}/deliveries': 'webhooks:read',
  'POST /api/webhooks': 'webhooks:write',
  'PATCH /api/webhooks/{id}': 'webhooks:write',
  'DELETE /api/webhooks/{id}': 'webhooks:write',
  'POST /api/webhooks/{id}/rotate-secret': 'webhooks:write',
  'POST /api/webhooks/{id}/test': 'webhooks:write',
  'POST /api/webhooks/deliveries/{id}/redeliver': 'webhooks:write',

  // Judging stays with people: re-grades, the answer key, reviews, assignments, decisions, identities.
  'POST /api/attempts/{id}/grades': 'session',
  'GET /api/attempts/{id}/answer-key': 'session',
  'GET /api/reviews/queue': 'session',
  'GET /api/reviews/{id}': 'session',
  'PUT /api/reviews/{id}/mine': 'session',
  'POST /api/reviews/{id}/mine/submit': 'session',
  'GET /api/reviews/{id}/all': 'session',
  'POST /api/reviews/{id}/assignments': 'session',
  'POST /api/reviews/{id}/decision': 'session',
  'GET /api/invitations/{id}/summary': 'session',
  'POST /api/invitations/{id}/decision': 'session',
  'GET /api/reviews/{id}/identity': 'session',
};

/** `METHOD /api/path/{param}` for a hono route (`:param` → `{param}`). */
export const routeKey = (method: string, path: string) =>
  `${method.toUpperCase()} ${path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')}`;

/**
 * The route that will answer this request (the first matched handler, as hono dispatches), or undefined
 * when no route matches (the request ends in a 404). Routing happens before middleware runs.
 */
export function answeringRoute(c: Context): string | undefined {
  const route = matchedRoutes(c).find((r) => r.method !== 'ALL' && !r.path.includes('*'));
  return route ? routeKey(route.method, route.path) : undefined;
}

/** What the table says about a route key; a route it does not list is closed to tokens. */
export const accessOf = (key: string): RouteAccess => ROUTE_ACCESS[key] ?? 'session';
