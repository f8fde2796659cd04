/** Staff sign-in, sign-out and "who am I". */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { getConnInfo } from '@hono/node-server/conninfo';
import { AppError } from '../../errors/index.ts';
import { authenticate } from '../../users/index.ts';
import { createSession, deleteSession } from '../../auth/index.ts';
import type { AppEnv } from '../deps.ts';
import type { Services } from '../../services/index.ts';
import { errorResponses } from '../errors.ts';
import { clearSessionCookie, requireStaffSession, setSessionCookie, STAFF_COOKIE } from '../auth.ts';

export const userSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: z.enum(['admin', 'author', 'reviewer']),
  })
  .openapi('User');
export const meSchema = z.object({ user: userSchema, csrfToken: z.string() }).openapi('Me');

const login = createRoute({
  method: 'post',
  path: '/api/auth/login',
  tags: ['auth'],
  summary: 'Sign in as staff; sets the ws_staff cookie',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({ email: z.string().max(254), password: z.string().max(200) }),
        },
      },
    },
  },
  responses: {
    200: { description: 'signed in', content: { 'application/json': { schema: meSchema } } },
    ...errorResponses(400, 401, 403, 429),
  },
});

const logout = createRoute({
  method: 'post',
  path: '/api/auth/logout',
  tags: ['auth'],
  summary: 'Sign out (ends the server-side session)',
  responses: { 204: { description: 'signed out' }, ...errorResponses(403) },
});

const me = createRoute({
  method: 'get',
  path: '/api/auth/me',
  tags: ['auth'],
  summary: 'The signed-in staff user and the CSRF token for mutations',
  responses: {
    200: { description: 'current user', content: { 'application/json': { schema: meSchema } } },
    ...errorResponses(401),
  },
});

/** The client's network address, for throttles ('unknown' without a socket: app.request() in tests). */
export function clientAddress(c: Parameters<typeof getConnInfo>[0]): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function registerAuth(app: OpenAPIHono<AppEnv>, services: Services) {
  const throttle = services.loginThrottle;
  const secure = services.config.publicUrl.startsWith('https:');
  const { localPasswords, breakGlass } = services.config.staffAuth;

  app.openapi(login, async (c) => {
    const { email, password } = c.req.valid('json');
    // LOCAL_PASSWORDS=off: people sign in at the identity provider (where offboarding happens);
    // only the operator's break-glass accounts keep a password, for an outage of the provider.
    const glass = breakGlass.includes(email.trim().toLowerCase());
    if (!localPasswords && !glass)
      throw new AppError('forbidden', 'password sign-in is turned off here; use "Sign in with SSO"');
    // Reserved before the slow hash, so concurrent guesses count while they are still in flight.
    const reservation = await throttle.begin({
      account: email.trim().toLowerCase(),
      address: clientAddress(c),
    });
    if (!reservation.ok) {
      const seconds = Math.max(1, Math.ceil(reservation.retryAfterMs / 1000));
      c.header('Retry-After', String(seconds));
      const when = seconds < 120 ? `${seconds} second(s)` : `${Math.ceil(seconds / 60)} minute(s)`;
      throw new AppError('rate_limited', `too many failed sign-ins; try again in ${when}`);
    }
    const user = await authenticate(c.get('ctx'), email, password).catch(async (err: unknown) => {
      await reservation.ticket.failed();
      throw err;
    });
    if (!user) {
      await reservation.ticket.failed();
      throw new AppError('unauthenticated', 'wrong email or password');
    }
    await reservation.ticket.succeeded();
    if (!localPasswords) c.get('ctx').logger.warn({ userId: user.id }, 'break-glass password sign-in');
    const session = await createSession(c.get('ctx'), { kind: 'staff', userId: user.id });
    setSessionCookie(c, STAFF_COOKIE, session, secure);
    return c.json({ user, csrfToken: session.csrfToken }, 200);
  });

  app.openapi(logout, async (c) => {
    const staff = requireStaffSession(c);
    await deleteSession(c.get('ctx'), staff.cookie);
    clearSessionCookie(c, STAFF_COOKIE);
    return c.body(null, 204);
  });

  app.openapi(me, (c) => {
    const staff = requireStaffSession(c);
    return c.json({ user: staff.user, csrfToken: staff.session.csrf_token }, 200);
  });
}
