/** Email: whether this server sends mail, the delivery logs, and sending the feedback report. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { deliveryLog } from '../../email/index.ts';
import { sendFeedbackEmail, sendInvitationFeedbackEmail } from '../../reviews/index.ts';
import { listInvitations } from '../../invitations/index.ts';
import { AppError } from '../../errors/index.ts';
import type { AppEnv } from '../deps.ts';
import type { Services } from '../../services/index.ts';
import { errorResponses } from '../errors.ts';
import { requireStaff } from '../auth.ts';

export const emailStatusSchema = z.object({ enabled: z.boolean() }).openapi('EmailStatus');
export const deliverySchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    to: z.string(),
    subject: z.string(),
    status: z.enum(['queued', 'sending', 'sent', 'failed']),
    tries: z.number().int(),
    lastError: z.string().nullable(),
    createdAt: z.number(),
    sentAt: z.number().nullable(),
    nextTryAt: z.number().nullable(),
  })
  .openapi('Delivery');
const logSchema = z.object({ emails: z.array(deliverySchema) });
const idParams = z.object({ id: z.string().max(64) });
const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });

const routes = {
  status: createRoute({
    method: 'get',
    path: '/api/email/status',
    tags: ['email'],
    summary: 'Whether this server sends email (SMTP_URL set); without it links must be copied',
    responses: { 200: { description: 'status', ...json(emailStatusSchema) }, ...errorResponses(401) },
  }),
  invitation: createRoute({
    method: 'get',
    path: '/api/invitations/{id}/emails',
    tags: ['email'],
    summary: "An invitation's delivery log (newest first)",
    request: { params: idParams },
    responses: { 200: { description: 'log', ...json(logSchema) }, ...errorResponses(401, 403, 404) },
  }),
  user: createRoute({
    method: 'get',
    path: '/api/users/{id}/emails',
    tags: ['email'],
    summary: "A staff user's delivery log (admin)",
    request: { params: idParams },
    responses: { 200: { description: 'log', ...json(logSchema) }, ...errorResponses(401, 403) },
  }),
  feedback: createRoute({
    method: 'post',
    path: '/api/reviews/{id}/feedback/email',
    tags: ['email'],
    summary: 'Email the feedback report to the candidate (admin, after the decision)',
    request: { params: idParams },
    responses: {
      202: { description: 'queued', ...json(z.object({ to: z.string() })) },
      ...errorResponses(401, 403, 404, 409),
    },
  }),
  invitationFeedback: createRoute({
    method: 'post',
    path: '/api/invitations/{id}/feedback/email',
    tags: ['email'],
    summary:
      'Email one feedback report for the whole invitation — every decided, reviewed task of an assessment (admin)',
    request: { params: idParams },
    responses: {
      202: {
        description: 'queued',
        ...json(z.object({ to: z.string(), tasks: z.number().int().describe('tasks the report covers') })),
      },
      ...errorResponses(401, 403, 404, 409),
    },
  }),
};

export function registerEmail(app: OpenAPIHono<AppEnv>, services: Services) {
  app.openapi(routes.status, (c) => {
    requireStaff(c);
    return c.json({ enabled: services.email.enabled }, 200);
  });
  app.openapi(routes.invitation, async (c) => {
    requireStaff(c, 'author');
    const { id } = c.req.valid('param');
    if (!(await listInvitations(c.get('ctx'), id)).length)
      throw new AppError('not_found', 'invitation not found');
    return c.json(logSchema.parse({ emails: await deliveryLog(c.get('ctx'), { invitationId: id }) }), 200);
  });
  app.openapi(routes.user, async (c) => {
    requireStaff(c, 'admin');
    const { id } = c.req.valid('param');
    return c.json(logSchema.parse({ emails: await deliveryLog(c.get('ctx'), { userId: id }) }), 200);
  });
  app.openapi(routes.feedback, async (c) => {
    requireStaff(c, 'admin');
    return c.json(await sendFeedbackEmail(c.get('ctx'), c.req.valid('param').id), 202);
  });
  app.openapi(routes.invitationFeedback, async (c) => {
    requireStaff(c, 'admin');
    return c.json(await sendInvitationFeedbackEmail(c.get('ctx'), c.req.valid('param').id), 202);
  });
}
