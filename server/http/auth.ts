/**
 * Authentication and CSRF at the HTTP edge. Stops cross-site request forgery: a mutation
 * authenticated by a cookie must carry that session's token in `x-csrf-token` (a cross-site page
 * cannot read it); sessions whose token doesn't match are ignored for the request.
 * Stops API tokens reaching past their scopes: a request with `Authorization: Bearer` is authenticated
 * by the token alone (its cookies are ignored, so it needs no CSRF token: a browser never attaches
 * one on its own), and only on routes server/http/route-access.ts maps to a scope the token holds.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { AppError } from '../errors/index.ts';
import { findSession, type NewSession } from '../auth/index.ts';
import type { Principal } from '../auth/index.ts';
import type { Role } from '../users/index.ts';
import type { ApiTokenActor } from '../api-tokens/index.ts';
import type { SessionsTableRow, StaffUser } from './types.ts';
import type { AppEnv } from './deps.ts';
import { verifyApiToken } from '../api-tokens/index.ts';
import { accessOf, answeringRoute } from './route-access.ts';

export const STAFF_COOKIE = 'ws_staff';
export const CANDIDATE_COOKIE = 'ws_candidate';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function loadPrincipals(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const ctx = c.get('ctx');
    // Tokens are for the JSON API; the candidate's link (/i/…) keeps its cookie flow whatever is sent.
    const bearer = c.req.path.startsWith('/api/') ? bearerOf(c.req.header('authorization')) : undefined;
    if (bearer !== undefined) {
      c.set('staff', undefined);
      c.set('candidate', undefined);
      c.set('apiToken', await tokenFor(c, bearer));
      return next();
    }
    c.set('apiToken', undefined);
    const csrf = c.req.header('x-csrf-token');
    const mutation = !SAFE.has(c.req.method);
    const staffCookie = getCookie(c, STAFF_COOKIE);
    const candidateCookie = getCookie(c, CANDIDATE_COOKIE);
    let staff: AppEnv['Variables']['staff'];
    let candidate: AppEnv['Variables']['candidate'];
    let csrfRejected = false;
    if (staffCookie) {
      const p = await findSession(ctx, staffCookie);
      if (p?.kind === 'staff') {
        if (mutation && csrf !== p.session.csrf_token) csrfRejected = true;
        else staff = { user: p.user, session: p.session, cookie: staffCookie };
      }
    }
    if (candidateCookie) {
      const p = await findSession(ctx, candidateCookie);
      if (p?.kind === 'candidate') {
        if (mutation && csrf !== p.session.csrf_token) csrfRejected = true;
        else candidate = { invitationId: p.invitationId, session: p.session, cookie: candidateCookie };
      }
    }
    if (csrfRejected && !staff && !candidate) {
      throw new AppError(
        'csrf_failed',
        'missing or wrong x-csrf-token header; reload the page and try again',
      );
    }
    c.set('staff', staff);
    c.set('candidate', candidate);
    await next();
  };
}

/** The token of `Authorization: Bearer <token>`; undefined for any other scheme or none. */
function bearerOf(header: string | undefined): string | undefined {
  // Anything after the scheme is the token, malformed or not: a broken bearer header is refused, never
  // quietly treated as no credentials.
  const m = header === undefined ? null : /^Bearer(?:[ \t]+(.*))?$/is.exec(header.trim());
  return m ? (m[1] ?? '').trim() : undefined;
}

/** The verified token if the answering route accepts tokens and this one holds the route's scope. */
async function tokenFor(c: Context<AppEnv>, raw: string): Promise<AppEnv['Variables']['apiToken']> {
  const route = answeringRoute(c);
  // No route (a 404 follows) or a public one: the token is not needed and not looked at.
  if (route === undefined || accessOf(route) === 'public') return undefined;
  const result = await verifyApiToken(c.get('ctx'), raw);
  if (!result.ok) {
    c.header('WWW-Authenticate', 'Bearer error="invalid_token"');
    const why =
      result.reason === 'expired'
        ? 'this API token has expired'
        : result.reason === 'revoked'
          ? 'this API token was revoked'
          : 'this API token is not valid';
    throw new AppError('unauthenticated', `${why}; an admin can make a new one under Admin → API tokens`);
  }
  const access = accessOf(route);
  if (access === 'session' || access === 'public') {
    throw new AppError(
      'insufficient_scope',
      `API tokens cannot be used on ${route}; it needs a signed-in session`,
      {
        required: null,
      },
    );
  }
  if (!result.token.scopes.includes(access)) {
    c.header('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${access}"`);
    throw new AppError('insufficient_scope', `this API token lacks the ${access} scope that ${route} needs`, {
      required: access,
    });
  }
  return result.token;
}

/** The staff actor of a request whose route a token may use: a token's own principal, never admin. */
export interface StaffActor {
  user: StaffUser;
  /** Set for cookie sessions only. */
  session?: SessionsTableRow;
  cookie?: string;
  token?: ApiTokenActor;
}

/** The signed-in staff user (or API token), with one of the given roles (admin always qualifies). */
export function requireStaff(c: Context<AppEnv>, ...roles: Role[]): StaffActor {
  const token = c.get('apiToken');
  const staff: StaffActor | undefined = token ? { user: token.user, token } : c.get('staff');
  if (!staff) throw new AppError('unauthenticated', 'sign in as staff first');
  if (roles.length && staff.user.role !== 'admin' && !roles.includes(staff.user.role)) {
    throw new AppError('forbidden', `this needs the ${roles.join(' or ')} role; you are ${staff.user.role}`);
  }
  return staff;
}

/** The signed-in staff user's cookie session (sign-out, who am I): never an API token. */
export function requireStaffSession(c: Context<AppEnv>) {
  const staff = c.get('staff');
  if (!staff) throw new AppError('unauthenticated', 'sign in as staff first');
  return staff;
}

export function requireCandidate(c: Context<AppEnv>) {
  const candidate = c.get('candidate');
  if (!candidate) throw new AppError('unauthenticated', 'open your invitation link first');
  return candidate;
}

/** Every principal present on the request, candidate first (used for attempt access). */
export function principals(c: Context<AppEnv>): Principal[] {
  const out: Principal[] = [];
  const cand = c.get('candidate');
  const staff = c.get('staff');
  const token = c.get('apiToken');
  if (cand) out.push({ kind: 'candidate', session: cand.session, invitationId: cand.invitationId });
  if (staff) out.push({ kind: 'staff', session: staff.session, user: staff.user });
  if (token) out.push({ kind: 'staff', user: token.user });
  if (!out.length) throw new AppError('unauthenticated', 'sign in, or open your invitation link first');
  return out;
}

export function setSessionCookie(c: Context<AppEnv>, name: string, session: NewSession, secure: boolean) {
  setCookie(c, name, session.cookieValue, {
    httpOnly: true,
    sameSite: 'Lax',
    secure,
    path: '/',
    expires: new Date(session.expiresAt),
  });
}

export function clearSessionCookie(c: Context<AppEnv>, name: string) {
  deleteCookie(c, name, { path: '/' });
}
