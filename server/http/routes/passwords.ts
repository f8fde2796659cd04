/**
 * Passwords at the edge: "forgot password" requests (same answer whether or not the account exists,
 * throttled per account and address like sign-in), set-password links (staff invites and resets), and
 * changing one's own password. See users/passwords.ts for the attacks these stop.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { clientAddress } from './auth.ts';
import { AppError } from '../../errors/index.ts';
import { hashSecret } from '../../auth/index.ts';
import {
  changeOwnPassword,
  checkPasswordToken,
  requestPasswordReset,
  setPasswordWithToken,
} from '../../users/index.ts';
import type { AppEnv } from '../deps.ts';
import type { Services } from '../../services/index.ts';
import { errorResponses } from '../errors.ts';
import { requireStaffSession } from '../auth.ts';

const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, ...json(schema) } });
const tokenBody = z.object({ token: z.string().max(200) });

export const RESET_REQUESTED =
  'If an account exists for that email, a link to set a new password is on its way. It works once and expires in an hour.';

const routes = {
  request: createRoute({
    method: 'post',
    path: '/api/auth/password-reset',
    tags: ['auth'],
    summary: 'Ask for a password-reset link by email (the same answer whether or not the account exists)',
    request: { ...body(z.object({ email: z.string().max(254) })) },
    responses: {
      202: {
        description: 'accepted',
        ...json(z.object({ message: z.string(), emailEnabled: z.boolean() })),
      },
      ...errorResponses(400, 429),
    },
  }),
  check: createRoute({
    method: 'post',
    path: '/api/auth/password-reset/check',
    tags: ['auth'],
    summary: 'Who a set-password link is for (does not use it)',
    request: { ...body(tokenBody) },
    responses: {
      200: {
        description: 'valid',
        ...json(z.object({ email: z.string(), name: z.string(), purpose: z.enum(['invite', 'reset']) })),
      },
      ...errorResponses(400, 404, 410),
    },
  }),
  complete: createRoute({
    method: 'post',
    path: '/api/auth/password-reset/complete',
    tags: ['auth'],
    summary: 'Set a password with a link (once); every session of the account ends',
    request: { ...body(tokenBody.extend({ password: z.string().max(200) })) },
    responses: {
      200: { description: 'password set', ...json(z.object({ email: z.string() })) },
      ...errorResponses(400, 404, 410),
    },
  }),
  change: createRoute({
    method: 'post',
    path: '/api/auth/password',
    tags: ['auth'],
    summary: 'Change my password (needs the current one); my other sessions end',
    request: {
      ...body(z.object({ currentPassword: z.string().max(200), newPassword: z.string().max(200) })),
    },
    responses: { 204: { description: 'changed' }, ...errorResponses(400, 401, 403) },
  }),
};

export function registerPasswords(app: OpenAPIHono<AppEnv>, services: Services) {
  app.openapi(routes.request, async (c) => {
    const { email } = c.req.valid('json');
    // Every request counts, known account or not, so the limit itself says nothing about accounts.
    const r = await services.resetThrottle.begin({
      account: email.trim().toLowerCase(),
      address: clientAddress(c),
    });
    if (!r.ok) {
      const seconds = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
      c.header('Retry-After', String(seconds));
      throw new AppError(
        'rate_limited',
        `too many reset requests; try again in ${Math.ceil(seconds / 60)} minute(s)`,
      );
    }
    await r.ticket.failed();
    await requestPasswordReset(c.get('ctx'), email);
    return c.json({ message: RESET_REQUESTED, emailEnabled: services.email.enabled }, 202);
  });
  app.openapi(routes.check, async (c) => {
    return c.json(await checkPasswordToken(c.get('ctx'), c.req.valid('json').token), 200);
  });
  app.openapi(routes.complete, async (c) => {
    const { token, password } = c.req.valid('json');
    return c.json(await setPasswordWithToken(c.get('ctx'), token, password), 200);
  });
  app.openapi(routes.change, async (c) => {
    // A token never manages credentials: this needs the signed-in person's own session.
    const staff = requireStaffSession(c);
    const { currentPassword, newPassword } = c.req.valid('json');
    await changeOwnPassword(c.get('ctx'), {
      userId: staff.user.id,
      currentPassword,
      newPassword,
      keepSessionHash: hashSecret(staff.cookie),
    });
    return c.body(null, 204);
  });
}
