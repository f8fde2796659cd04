/** Staff accounts (admin only): list, create, invite by email, role, deactivate, reactivate, reset link. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  adminResetLink,
  changeRole,
  createUser,
  deactivateUser,
  inviteStaff,
  listAccounts,
  reactivateUser,
  roles,
} from '../../users/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { requireStaff } from '../auth.ts';
import { userSchema } from './auth.ts';

export const accountSchema = userSchema
  .extend({ status: z.enum(['invited', 'active', 'deactivated']), createdAt: z.number() })
  .openapi('StaffAccount');
const one = z.object({ user: accountSchema });
/** `link` only when it was not emailed (no SMTP_URL): the admin passes it on by hand. */
const linked = z.object({ user: accountSchema, link: z.string().nullable(), emailed: z.boolean() });
const idParams = z.object({ id: z.string().max(64) });
const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, ...json(schema) } });

const routes = {
  list: createRoute({
    method: 'get',
    path: '/api/users',
    tags: ['users'],
    summary: 'List staff users with their status (admin)',
    responses: {
      200: { description: 'users', ...json(z.object({ users: z.array(accountSchema) })) },
      ...errorResponses(401, 403),
    },
  }),
  create: createRoute({
    method: 'post',
    path: '/api/users',
    tags: ['users'],
    summary: 'Create a staff user with a password (admin)',
    request: {
      ...body(
        z.object({
          email: z.string().max(254),
          name: z.string().max(200).optional(),
          role: z.enum(roles),
          password: z.string().max(200),
        }),
      ),
    },
    responses: {
      201: { description: 'created', ...json(z.object({ user: userSchema })) },
      ...errorResponses(400, 401, 403, 409),
    },
  }),
  invite: createRoute({
    method: 'post',
    path: '/api/users/invite',
    tags: ['users'],
    summary: 'Invite a staff member by email: an invited account and a single-use set-password link (admin)',
    request: {
      ...body(
        z.object({ email: z.string().max(254), name: z.string().max(200).optional(), role: z.enum(roles) }),
      ),
    },
    responses: { 201: { description: 'invited', ...json(linked) }, ...errorResponses(400, 401, 403, 409) },
  }),
  role: createRoute({
    method: 'post',
    path: '/api/users/{id}/role',
    tags: ['users'],
    summary: 'Change a staff member’s role (not the last active admin’s) (admin)',
    request: { params: idParams, ...body(z.object({ role: z.enum(roles) })) },
    responses: { 200: { description: 'changed', ...json(one) }, ...errorResponses(400, 401, 403, 404, 409) },
  }),
  deactivate: createRoute({
    method: 'post',
    path: '/api/users/{id}/deactivate',
    tags: ['users'],
    summary: 'Deactivate a staff member: their sessions end now (not the last active admin) (admin)',
    request: { params: idParams },
    responses: { 200: { description: 'deactivated', ...json(one) }, ...errorResponses(401, 403, 404, 409) },
  }),
  reactivate: createRoute({
    method: 'post',
    path: '/api/users/{id}/reactivate',
    tags: ['users'],
    summary: 'Reactivate a deactivated staff member (admin)',
    request: { params: idParams },
    responses: { 200: { description: 'reactivated', ...json(one) }, ...errorResponses(401, 403, 404) },
  }),
  resetLink: createRoute({
    method: 'post',
    path: '/api/users/{id}/reset-link',
    tags: ['users'],
    summary: 'Send a staff member a new set-password link (returned instead when email is off) (admin)',
    request: { params: idParams },
    responses: {
      200: {
        description: 'issued',
        ...json(z.object({ link: z.string().nullable(), emailed: z.boolean() })),
      },
      ...errorResponses(401, 403, 404, 409),
    },
  }),
};

export function registerUsers(app: OpenAPIHono<AppEnv>) {
  app.openapi(routes.list, async (c) => {
    requireStaff(c, 'admin');
    return c.json({ users: await listAccounts(c.get('ctx')) }, 200);
  });
  app.openapi(routes.create, async (c) => {
    requireStaff(c, 'admin');
    return c.json({ user: await createUser(c.get('ctx'), c.req.valid('json')) }, 201);
  });
  app.openapi(routes.invite, async (c) => {
    const staff = requireStaff(c, 'admin');
    return c.json(linked.parse(await inviteStaff(c.get('ctx'), c.req.valid('json'), staff.user)), 201);
  });
  app.openapi(routes.role, async (c) => {
    requireStaff(c, 'admin');
    const user = await changeRole(c.get('ctx'), c.req.valid('param').id, c.req.valid('json').role);
    return c.json({ user }, 200);
  });
  app.openapi(routes.deactivate, async (c) => {
    requireStaff(c, 'admin');
    return c.json({ user: await deactivateUser(c.get('ctx'), c.req.valid('param').id) }, 200);
  });
  app.openapi(routes.reactivate, async (c) => {
    requireStaff(c, 'admin');
    return c.json({ user: await reactivateUser(c.get('ctx'), c.req.valid('param').id) }, 200);
  });
  app.openapi(routes.resetLink, async (c) => {
    requireStaff(c, 'admin');
    return c.json(await adminResetLink(c.get('ctx'), c.req.valid('param').id), 200);
  });
}
