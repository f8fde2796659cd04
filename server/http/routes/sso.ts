/**
 * Staff single sign-on: GET /api/auth/sso/start sends the browser to the identity provider, GET
 * /api/auth/sso/callback brings it back signed in (or to /login with a reason). Both are browser
 * navigations, so they answer with redirects; GET /api/auth/options tells the sign-in page what to offer.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { getCookie, setCookie } from 'hono/cookie';
import { AppError } from '../../errors/index.ts';
import { deleteSession } from '../../auth/index.ts';
import type { Services } from '../../services/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { setSessionCookie, STAFF_COOKIE } from '../auth.ts';
import { clientAddress } from './auth.ts';

/** Binds a pending sign-in to the browser that started it; sent only to the SSO paths. */
export const SSO_COOKIE = 'ws_sso';
const SSO_COOKIE_PATH = '/api/auth/sso/';

export const optionsSchema = z
  .object({
    sso: z.boolean().openapi({ description: 'whether "Sign in with SSO" is offered' }),
    localPasswords: z.boolean().openapi({ description: 'whether staff sign in with a password' }),
    breakGlass: z
      .boolean()
      .openapi({ description: 'passwords are off but some accounts keep one (emergency sign-in)' }),
  })
  .openapi('SignInOptions');

const options = createRoute({
  method: 'get',
  path: '/api/auth/options',
  tags: ['auth'],
  summary: 'How staff sign in on this deployment (SSO, passwords)',
  responses: { 200: { description: 'options', content: { 'application/json': { schema: optionsSchema } } } },
});

const start = createRoute({
  method: 'get',
  path: '/api/auth/sso/start',
  tags: ['auth'],
  summary: 'Start staff single sign-on: redirects to the identity provider',
  request: { query: z.object({ next: z.string().max(500).optional() }) },
  responses: {
    302: { description: 'to the identity provider (or back to /login?sso_error=unavailable)' },
    ...errorResponses(404),
  },
});

const callback = createRoute({
  method: 'get',
  path: '/api/auth/sso/callback',
  tags: ['auth'],
  summary: 'The identity provider returns here; sets the ws_staff cookie and redirects',
  responses: {
    302: { description: 'signed in: to the page asked for; refused: to /login?sso_error=<reason>' },
    ...errorResponses(404),
  },
});

export function registerSso(app: OpenAPIHono<AppEnv>, services: Services) {
  const { staffAuth, publicUrl } = services.config;
  const secure = publicUrl.startsWith('https:');
  const sso = () => {
    if (!services.sso || !staffAuth.oidc) throw new AppError('not_found', 'single sign-on is not configured');
    return { sso: services.sso, oidc: staffAuth.oidc };
  };
  const toLogin = (reason: string) => `/login?sso_error=${encodeURIComponent(reason)}`;

  app.openapi(options, (c) =>
    c.json(
      {
        sso: !!services.sso,
        localPasswords: staffAuth.localPasswords,
        breakGlass: !staffAuth.localPasswords && staffAuth.breakGlass.length > 0,
      },
      200,
    ),
  );

  app.openapi(start, async (c) => {
    const { sso: service } = sso();
    // Each start stores a pending sign-in: a ceiling per address, so a script cannot fill the table.
    const address = clientAddress(c);
    const allowed = await services.ssoThrottle.begin({ account: address, address });
    if (!allowed.ok) {
      c.header('Retry-After', String(Math.max(1, Math.ceil(allowed.retryAfterMs / 1000))));
      c.header('Cache-Control', 'no-store');
      return c.redirect(toLogin('rate_limited'), 302);
    }
    const started = await service.start(c.req.valid('query').next, getCookie(c, SSO_COOKIE));
    if (!started.ok) return c.redirect(toLogin(started.reason), 302);
    setCookie(c, SSO_COOKIE, started.cookieValue, {
      httpOnly: true,
      // Lax: sent on the provider's top-level redirect back to the callback, not on cross-site subrequests.
      sameSite: 'Lax',
      secure,
      path: SSO_COOKIE_PATH,
      expires: new Date(started.expiresAt),
    });
    c.header('Cache-Control', 'no-store');
    return c.redirect(started.redirect.href, 302);
  });

  app.openapi(callback, async (c) => {
    const { sso: service, oidc } = sso();
    // The redirect URI as registered (PUBLIC_URL), with the query the provider sent.
    const callbackUrl = new URL(oidc.redirectUri);
    callbackUrl.search = new URL(c.req.url).search;
    // The ws_sso cookie stays until it expires: another tab may have a sign-in pending with it.
    const result = await service.finish(getCookie(c, SSO_COOKIE), callbackUrl);
    c.header('Cache-Control', 'no-store');
    if (!result.ok) return c.redirect(toLogin(result.reason), 302);
    const previous = c.get('staff');
    if (previous) await deleteSession(c.get('ctx'), previous.cookie);
    setSessionCookie(c, STAFF_COOKIE, result.session, secure);
    return c.redirect(result.returnTo, 302);
  });
}
