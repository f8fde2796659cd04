/**
 * Webhook endpoints and their delivery log (admins, or API tokens with webhooks:read / webhooks:write).
 * Stops anyone else from pointing the server's outgoing requests somewhere, reading signing secrets or
 * the delivery log: every route requires an admin session, or a token the auth middleware has already
 * checked for the route's scope (server/http/route-access.ts). Secrets appear only in the create and
 * rotate responses.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  redeliver,
  rotateSecret,
  sendTestEvent,
  updateEndpoint,
  WEBHOOK_EVENTS,
  type WebhookWorker,
} from '../../webhooks/index.ts';
import type { Context } from 'hono';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { requireStaff } from '../auth.ts';
import {
  webhookDeliverySchema,
  webhookEndpointSchema,
  webhookEventTypeSchema,
  webhookWithSecretSchema,
} from '../schemas/webhooks.ts';

const params = z.object({ id: z.string().max(64) });
const json = <T extends z.ZodTypeAny>(schema: T) => ({ 'application/json': { schema } });
const endpointBody = z.object({
  url: z.string().max(2000),
  description: z.string().max(500).optional(),
  events: z.array(webhookEventTypeSchema).max(WEBHOOK_EVENTS.length * 2),
  enabled: z.boolean().optional(),
});

const list = createRoute({
  method: 'get',
  path: '/api/webhooks',
  summary: 'Webhook endpoints, and the events they can subscribe to (admin)',
  responses: {
    200: {
      description: 'endpoints',
      content: json(z.object({ endpoints: z.array(webhookEndpointSchema), events: z.array(z.string()) })),
    },
    ...errorResponses(401, 403),
  },
});
const create = createRoute({
  method: 'post',
  path: '/api/webhooks',
  summary: 'Add a webhook endpoint; the response holds the only copy of its signing secret (admin)',
  request: { body: { required: true, content: json(endpointBody) } },
  responses: {
    201: { description: 'created', content: json(webhookWithSecretSchema) },
    ...errorResponses(400, 401, 403),
  },
});
const get = createRoute({
  method: 'get',
  path: '/api/webhooks/{id}',
  summary: 'One webhook endpoint (admin)',
  request: { params },
  responses: {
    200: { description: 'endpoint', content: json(z.object({ endpoint: webhookEndpointSchema })) },
    ...errorResponses(401, 403, 404),
  },
});
const patch = createRoute({
  method: 'patch',
  path: '/api/webhooks/{id}',
  summary: 'Change a webhook endpoint: URL, description, events, enabled (admin)',
  request: { params, body: { required: true, content: json(endpointBody.partial()) } },
  responses: {
    200: { description: 'changed', content: json(z.object({ endpoint: webhookEndpointSchema })) },
    ...errorResponses(400, 401, 403, 404),
  },
});
const remove = createRoute({
  method: 'delete',
  path: '/api/webhooks/{id}',
  summary: 'Delete a webhook endpoint with its delivery log (admin)',
  request: { params },
  responses: {
    200: { description: 'deleted', content: json(z.object({ deleted: z.literal(true) })) },
    ...errorResponses(401, 403, 404),
  },
});
const rotate = createRoute({
  method: 'post',
  path: '/api/webhooks/{id}/rotate-secret',
  summary: 'A new signing secret, shown once; the old one also signs for 24 hours (admin)',
  request: { params },
  responses: {
    200: { description: 'rotated', content: json(webhookWithSecretSchema) },
    ...errorResponses(401, 403, 404),
  },
});
const test = createRoute({
  method: 'post',
  path: '/api/webhooks/{id}/test',
  summary: 'Send a webhook.test event to this endpoint now (admin)',
  request: { params },
  responses: {
    202: { description: 'queued', content: json(z.object({ delivery: webhookDeliverySchema })) },
    ...errorResponses(401, 403, 404, 409),
  },
});
const deliveries = createRoute({
  method: 'get',
  path: '/api/webhooks/{id}/deliveries',
  summary: "An endpoint's latest deliveries, newest first, each with its tries (admin)",
  request: { params },
  responses: {
    200: {
      description: 'deliveries',
      content: json(z.object({ deliveries: z.array(webhookDeliverySchema) })),
    },
    ...errorResponses(401, 403, 404),
  },
});
const again = createRoute({
  method: 'post',
  path: '/api/webhooks/deliveries/{id}/redeliver',
  summary: 'Send a finished delivery again, with a new round of tries (admin)',
  request: { params },
  responses: {
    202: { description: 'queued', content: json(z.object({ delivery: webhookDeliverySchema })) },
    ...errorResponses(401, 403, 404, 409),
  },
});

/**
 * Who manages webhooks on this request: an API token (its scope for this route was checked before the
 * handler) or an admin's session. Answers the id recorded as creator.
 */
function webhookManager(c: Context<AppEnv>): string {
  const token = c.get('apiToken');
  if (token) return token.user.id;
  return requireStaff(c, 'admin').user.id;
}

export function registerWebhooks(app: OpenAPIHono<AppEnv>, worker: WebhookWorker) {
  app.openapi(list, async (c) => {
    webhookManager(c);
    return c.json({ endpoints: await listEndpoints(c.get('ctx')), events: [...WEBHOOK_EVENTS] }, 200);
  });
  app.openapi(create, async (c) => {
    const by = webhookManager(c);
    return c.json(await createEndpoint(c.get('ctx'), c.req.valid('json'), by), 201);
  });
  app.openapi(get, async (c) => {
    webhookManager(c);
    return c.json({ endpoint: await getEndpoint(c.get('ctx'), c.req.valid('param').id) }, 200);
  });
  app.openapi(patch, async (c) => {
    webhookManager(c);
    const endpoint = await updateEndpoint(c.get('ctx'), c.req.valid('param').id, c.req.valid('json'));
    // Enabled again: its waiting deliveries are due.
    worker.kick();
    return c.json({ endpoint }, 200);
  });
  app.openapi(remove, async (c) => {
    webhookManager(c);
    await deleteEndpoint(c.get('ctx'), c.req.valid('param').id);
    return c.json({ deleted: true as const }, 200);
  });
  app.openapi(rotate, async (c) => {
    webhookManager(c);
    return c.json(await rotateSecret(c.get('ctx'), c.req.valid('param').id), 200);
  });
  app.openapi(test, async (c) => {
    webhookManager(c);
    const delivery = await sendTestEvent(c.get('ctx'), c.req.valid('param').id);
    worker.kick();
    return c.json({ delivery }, 202);
  });
  app.openapi(deliveries, async (c) => {
    webhookManager(c);
    return c.json({ deliveries: await listDeliveries(c.get('ctx'), c.req.valid('param').id) }, 200);
  });
  app.openapi(again, async (c) => {
    webhookManager(c);
    const delivery = await redeliver(c.get('ctx'), c.req.valid('param').id);
    worker.kick();
    return c.json({ delivery }, 202);
  });
}
