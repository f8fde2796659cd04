/** Staff sign-in, sign-out and "who am I". */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { getConnInfo } from '@hono/node-server/conninfo';
import { AppError } from '../../errors/index.ts';
import { authenticate } from '../../users/index.ts';
import { createSession, deleteSession } from '../../auth/sessions.ts';
import type { AppDeps, AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { clearSessionCookie, requireStaff, setSessionCookie, STAFF_COOKIE } from '../auth.ts';
import { createLoginLimiter } from '../../auth/rate-limit.ts';

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
    ...errorResponses(400, 401, 429),
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

function clientAddress(c: Parameters<typeof getConnInfo>[0]): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // app.request() in tests has no socket
  }
}

export function registerAuth(app: OpenAPIHono<AppEnv>, deps: AppDeps) {
  const { maxFailures, windowMs } = deps.config.login;
  const limiter = deps.loginLimiter ?? createLoginLimiter(deps.clock, maxFailures, windowMs);
  // One address may hold several people (an office, a proxy): it gets a wider allowance than one account.
  const addressLimiter = createLoginLimiter(deps.clock, maxFailures * 5, windowMs);
  const secure = deps.config.publicUrl.startsWith('https:');

  app.openapi(login, async (c) => {
    const { email, password } = c.req.valid('json');
    const emailKey = `email:${email.trim().toLowerCase()}`;
    const addressKey = `ip:${clientAddress(c)}`;
    const wait = Math.max(limiter.retryAfter(emailKey), addressLimiter.retryAfter(addressKey));
    if (wait > 0) {
      c.header('Retry-After', String(Math.ceil(wait / 1000)));
      throw new AppError(
        'rate_limited',
        `too many failed sign-ins; try again in ${Math.ceil(wait / 60_000)} minute(s)`,
      );
    }
    const user = await authenticate(c.get('ctx'), email, password);
    if (!user) {
      limiter.fail(emailKey);
      addressLimiter.fail(addressKey);
      throw new AppError('unauthenticated', 'wrong email or password');
    }
    limiter.reset(emailKey);
    const session = await createSession(c.get('ctx'), { kind: 'staff', userId: user.id });
    setSessionCookie(c, STAFF_COOKIE, session, secure);
    return c.json({ user, csrfToken: session.csrfToken }, 200);
  });

  app.openapi(logout, async (c) => {
    const staff = requireStaff(c);
    await deleteSession(c.get('ctx'), staff.cookie);
    clearSessionCookie(c, STAFF_COOKIE);
    return c.body(null, 204);
  });

  app.openapi(me, (c) => {
    const staff = requireStaff(c);
    return c.json({ user: staff.user, csrfToken: staff.session.csrf_token }, 200);
  });
}
