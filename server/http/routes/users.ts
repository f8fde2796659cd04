/** Staff accounts (admin only). */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { createUser, listUsers, roles } from '../../users/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { requireStaff } from '../auth.ts';
import { userSchema } from './auth.ts';

const list = createRoute({
  method: 'get',
  path: '/api/users',
  tags: ['users'],
  summary: 'List staff users (admin)',
  responses: {
    200: {
      description: 'users',
      content: { 'application/json': { schema: z.object({ users: z.array(userSchema) }) } },
    },
    ...errorResponses(401, 403),
  },
});

const create = createRoute({
  method: 'post',
  path: '/api/users',
  tags: ['users'],
  summary: 'Create a staff user (admin)',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({
            email: z.string().max(254),
            name: z.string().max(200).optional(),
            role: z.enum(roles),
            password: z.string().max(200),
          }),
        },
      },
    },
  },
  responses: {
    201: {
      description: 'created',
      content: { 'application/json': { schema: z.object({ user: userSchema }) } },
    },
    ...errorResponses(400, 401, 403, 409),
  },
});

export function registerUsers(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) => {
    requireStaff(c, 'admin');
    return c.json({ users: await listUsers(c.get('ctx')) }, 200);
  });
  app.openapi(create, async (c) => {
    requireStaff(c, 'admin');
    return c.json({ user: await createUser(c.get('ctx'), c.req.valid('json')) }, 201);
  });
}
