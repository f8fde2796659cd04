/**
 * Authentication and CSRF at the HTTP edge. Stops cross-site request forgery: a mutation
 * authenticated by a cookie must carry that session's token in `x-csrf-token` (a cross-site page
 * cannot read it); sessions whose token doesn't match are ignored for the request.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { AppError } from '../errors/index.ts';
import { findSession, type NewSession } from '../auth/index.ts';
import type { Principal } from '../auth/index.ts';
import type { Role } from '../users/index.ts';
import type { AppEnv } from './deps.ts';

export const STAFF_COOKIE = 'ws_staff';
export const CANDIDATE_COOKIE = 'ws_candidate';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function loadPrincipals(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const ctx = c.get('ctx');
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

/** The signed-in staff user, with one of the given roles (admin always qualifies). */
export function requireStaff(c: Context<AppEnv>, ...roles: Role[]) {
  const staff = c.get('staff');
  if (!staff) throw new AppError('unauthenticated', 'sign in as staff first');
  if (roles.length && staff.user.role !== 'admin' && !roles.includes(staff.user.role)) {
    throw new AppError('forbidden', `this needs the ${roles.join(' or ')} role; you are ${staff.user.role}`);
  }
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
  if (cand) out.push({ kind: 'candidate', session: cand.session, invitationId: cand.invitationId });
  if (staff) out.push({ kind: 'staff', session: staff.session, user: staff.user });
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
