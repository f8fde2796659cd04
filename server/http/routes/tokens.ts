/** API tokens (admins, signed in with a session; no token manages tokens): make, list, revoke. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  createApiToken,
  listApiTokens,
  revokeApiToken,
  SCOPE_DESCRIPTIONS,
  SCOPES,
} from '../../api-tokens/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { requireStaff } from '../auth.ts';

export const apiTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    prefix: z.string().describe('the public start of the token, to recognise it; never the secret'),
    createdBy: z.object({ id: z.string(), name: z.string() }),
    createdAt: z.number(),
    expiresAt: z.number().nullable(),
    lastUsedAt: z.number().nullable().describe('to the minute'),
    revokedAt: z.number().nullable(),
    status: z.enum(['active', 'expired', 'revoked']),
  })
  .openapi('ApiToken');

export const tokenListSchema = z.object({
  tokens: z.array(apiTokenSchema),
  scopes: z.array(z.object({ scope: z.enum(SCOPES), description: z.string() })),
});
export const createdTokenSchema = z.object({
  token: apiTokenSchema,
  secret: z.string().describe('the token itself (wst_…), shown this once; only its hash is stored'),
});

const list = createRoute({
  method: 'get',
  path: '/api/tokens',
  tags: ['tokens'],
  summary: 'API tokens (admin): name, scopes, expiry, last use; never the secret',
  responses: {
    200: { description: 'tokens', content: { 'application/json': { schema: tokenListSchema } } },
    ...errorResponses(401, 403),
  },
});

const create = createRoute({
  method: 'post',
  path: '/api/tokens',
  tags: ['tokens'],
  summary: 'Make an API token (admin); the response holds the only copy of it',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({
            name: z.string().max(100),
            scopes: z.array(z.enum(SCOPES)).max(SCOPES.length),
            expiresInDays: z.number().int().positive().max(3650).nullable().optional(),
          }),
        },
      },
    },
  },
  responses: {
    201: { description: 'created', content: { 'application/json': { schema: createdTokenSchema } } },
    ...errorResponses(400, 401, 403),
  },
});

const revoke = createRoute({
  method: 'post',
  path: '/api/tokens/{id}/revoke',
  tags: ['tokens'],
  summary: 'Revoke an API token (admin); requests with it are refused from now on',
  request: { params: z.object({ id: z.string().max(64) }) },
  responses: {
    200: {
      description: 'revoked',
      content: { 'application/json': { schema: z.object({ token: apiTokenSchema }) } },
    },
    ...errorResponses(401, 403, 404),
  },
});

export function registerTokens(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) => {
    requireStaff(c, 'admin');
    const scopes = SCOPES.map((scope) => ({ scope, description: SCOPE_DESCRIPTIONS[scope] }));
    return c.json({ tokens: await listApiTokens(c.get('ctx')), scopes }, 200);
  });
  app.openapi(create, async (c) => {
    const staff = requireStaff(c, 'admin');
    c.header('Cache-Control', 'no-store');
    return c.json(await createApiToken(c.get('ctx'), c.req.valid('json'), staff.user), 201);
  });
  app.openapi(revoke, async (c) => {
    const staff = requireStaff(c, 'admin');
    return c.json({ token: await revokeApiToken(c.get('ctx'), c.req.valid('param').id, staff.user) }, 200);
  });
}
