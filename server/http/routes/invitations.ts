/** Invitations (authors and admins) and the candidate's side of opening one. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { html } from 'hono/html';
import {
  bulkInvite,
  createInvitation,
  extendInvitation,
  FUNNEL_STAGES,
  listInvitations,
  MAX_BULK_CSV_CHARS,
  MAX_BULK_ROWS,
  openInvitation,
  resendInvitation,
  revokeInvitation,
  taskFunnel,
} from '../../invitations/index.ts';
import { AppError } from '../../errors/index.ts';
import type { AppEnv } from '../deps.ts';
import type { Services } from '../../services/index.ts';
import { errorResponses } from '../errors.ts';
import { CANDIDATE_COOKIE, requireStaff, setSessionCookie } from '../auth.ts';
import { deviceOf, rememberDevice } from '../device.ts';
import { idempotencyHeaders, idempotent } from '../idempotency.ts';

export const invitationSchema = z
  .object({
    id: z.string(),
    candidateName: z.string(),
    candidateEmail: z.string(),
    taskSlug: z.string(),
    taskVersion: z.number().int(),
    taskVersionId: z.string(),
    createdAt: z.number(),
    expiresAt: z.number(),
    status: z.enum(['invited', 'started', 'submitted', 'graded', 'expired', 'revoked']),
    attemptId: z.string().nullable(),
    externalId: z.string().nullable().describe("the applicant tracking system's id, if one was given"),
    assessment: z
      .object({
        slug: z.string(),
        version: z.number().int(),
        assessmentVersionId: z.string(),
        title: z.string(),
        taskCount: z.number().int(),
      })
      .nullable()
      .describe(
        'the assessment this invitation pins (taskSlug is then its first task), or null for one task',
      ),
  })
  .openapi('Invitation');

const create = createRoute({
  method: 'post',
  path: '/api/invitations',
  tags: ['invitations'],
  summary:
    'Invite a candidate; the response holds the only copy of the link (send an Idempotency-Key to retry safely)',
  request: {
    headers: idempotencyHeaders,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({
            taskSlug: z.string().max(64).optional().describe('exactly one of taskSlug and assessmentSlug'),
            taskVersion: z.number().int().positive().optional(),
            assessmentSlug: z.string().max(64).optional(),
            assessmentVersion: z.number().int().positive().optional(),
            candidateName: z.string().max(200),
            candidateEmail: z.string().max(254),
            expiresInDays: z.number().positive().max(365).optional(),
            externalId: z
              .string()
              .max(200)
              .optional()
              .describe(
                "the applicant tracking system's candidate or application id (searchable, not unique)",
              ),
            sendEmail: z.boolean().optional(),
          }),
        },
      },
    },
  },
  responses: {
    201: {
      description: 'created',
      content: {
        'application/json': {
          schema: z.object({ invitation: invitationSchema, link: z.string(), emailed: z.boolean() }),
        },
      },
    },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const list = createRoute({
  method: 'get',
  path: '/api/invitations',
  tags: ['invitations'],
  summary: 'All invitations with their status, or those with one external id',
  request: {
    query: z.object({
      externalId: z.string().max(200).optional().describe('only invitations with this ATS id (exact match)'),
    }),
  },
  responses: {
    200: {
      description: 'invitations',
      content: { 'application/json': { schema: z.object({ invitations: z.array(invitationSchema) }) } },
    },
    ...errorResponses(401, 403),
  },
});

const revoke = createRoute({
  method: 'post',
  path: '/api/invitations/{id}/revoke',
  tags: ['invitations'],
  summary: 'Withdraw an invitation that has not been started',
  request: { params: z.object({ id: z.string().max(64) }) },
  responses: {
    200: {
      description: 'revoked',
      content: { 'application/json': { schema: z.object({ invitation: invitationSchema }) } },
    },
    ...errorResponses(401, 403, 404, 409),
  },
});

export const linkedSchema = z.object({
  invitation: invitationSchema,
  link: z.string(),
  /** True when the link was also queued to the candidate by email. */
  emailed: z.boolean(),
});
const idParams = z.object({ id: z.string().max(64) });

export const bulkResultSchema = z.object({
  created: z.array(linkedSchema),
  errors: z.array(z.object({ line: z.number().int(), message: z.string() })),
});

const bulk = createRoute({
  method: 'post',
  path: '/api/invitations/bulk',
  tags: ['invitations'],
  summary: `Invite many candidates from a name,email file (header optional, at most ${MAX_BULK_ROWS} rows; with a header, an "external id" column is read too); bad rows are reported by line and skipped, a file with no good row creates nothing`,
  request: {
    headers: idempotencyHeaders,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({
            taskSlug: z.string().max(64).optional().describe('exactly one of taskSlug and assessmentSlug'),
            taskVersion: z.number().int().positive().optional(),
            assessmentSlug: z.string().max(64).optional(),
            assessmentVersion: z.number().int().positive().optional(),
            csv: z.string().max(MAX_BULK_CSV_CHARS),
            expiresInDays: z.number().positive().max(365).optional(),
            sendEmail: z.boolean().optional(),
          }),
        },
      },
    },
  },
  responses: {
    201: {
      description: 'created (errors lists the rows that were skipped)',
      content: {
        'application/json': {
          schema: bulkResultSchema,
        },
      },
    },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const resend = createRoute({
  method: 'post',
  path: '/api/invitations/{id}/resend',
  tags: ['invitations'],
  summary: 'Replace the link of an unstarted invitation; the old link stops working',
  request: { params: idParams },
  responses: {
    200: { description: 'new link', content: { 'application/json': { schema: linkedSchema } } },
    ...errorResponses(401, 403, 404, 409),
  },
});

const extend = createRoute({
  method: 'post',
  path: '/api/invitations/{id}/extend',
  tags: ['invitations'],
  summary: 'Push the expiry of an unstarted invitation by some days (from now if it already expired)',
  request: {
    params: idParams,
    body: {
      required: true,
      content: { 'application/json': { schema: z.object({ days: z.number().positive().max(365) }) } },
    },
  },
  responses: {
    200: {
      description: 'extended',
      content: { 'application/json': { schema: z.object({ invitation: invitationSchema }) } },
    },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const stageCounts = z.object(Object.fromEntries(FUNNEL_STAGES.map((s) => [s, z.number().int()])));
export const funnelSchema = z
  .object({
    task: z.string(),
    total: z.number().int(),
    counts: stageCounts,
    versions: z.array(z.object({ version: z.number().int(), total: z.number().int(), counts: stageCounts })),
  })
  .openapi('Funnel');
const funnel = createRoute({
  method: 'get',
  path: '/api/tasks/{slug}/funnel',
  tags: ['invitations'],
  summary:
    "How many of a task's invitations reached each stage (cumulative: invited ⊇ started ⊇ submitted ⊇ graded ⊇ decided; expired and revoked leave after invited), overall and per version",
  request: { params: z.object({ slug: z.string().max(64) }) },
  responses: {
    200: {
      description: 'funnel',
      content: {
        'application/json': {
          schema: funnelSchema,
        },
      },
    },
    ...errorResponses(401, 403, 404),
  },
});

const open = createRoute({
  method: 'post',
  path: '/api/invitations/open',
  tags: ['candidate'],
  summary: 'Trade an invitation token for a candidate session (sets the ws_candidate cookie)',
  request: {
    body: {
      required: true,
      content: { 'application/json': { schema: z.object({ token: z.string().max(200) }) } },
    },
  },
  responses: {
    200: {
      description: 'session started',
      content: { 'application/json': { schema: z.object({ csrfToken: z.string() }) } },
    },
    ...errorResponses(400, 404, 409, 410),
  },
});

export function registerInvitations(app: OpenAPIHono<AppEnv>, services: Services) {
  const secure = services.config.publicUrl.startsWith('https:');
  // Before the routes: a replayed request is answered here, without running the handler again.
  app.use('/api/invitations', idempotent());
  app.use('/api/invitations/bulk', idempotent());
  app.openapi(create, async (c) => {
    const staff = requireStaff(c, 'author');
    return c.json(await createInvitation(c.get('ctx'), c.req.valid('json'), staff.user.id), 201);
  });
  app.openapi(list, async (c) => {
    requireStaff(c, 'author');
    const { externalId } = c.req.valid('query');
    return c.json({ invitations: await listInvitations(c.get('ctx'), undefined, { externalId }) }, 200);
  });
  app.openapi(revoke, async (c) => {
    requireStaff(c, 'author');
    return c.json({ invitation: await revokeInvitation(c.get('ctx'), c.req.valid('param').id) }, 200);
  });
  app.openapi(bulk, async (c) => {
    const staff = requireStaff(c, 'author');
    return c.json(await bulkInvite(c.get('ctx'), c.req.valid('json'), staff.user.id), 201);
  });
  app.openapi(resend, async (c) => {
    requireStaff(c, 'author');
    return c.json(await resendInvitation(c.get('ctx'), c.req.valid('param').id), 200);
  });
  app.openapi(extend, async (c) => {
    requireStaff(c, 'author');
    const invitation = await extendInvitation(
      c.get('ctx'),
      c.req.valid('param').id,
      c.req.valid('json').days,
    );
    return c.json({ invitation }, 200);
  });
  app.openapi(funnel, async (c) => {
    requireStaff(c, 'author');
    return c.json(await taskFunnel(c.get('ctx'), c.req.valid('param').slug), 200);
  });
  app.openapi(open, async (c) => {
    const device = deviceOf(c, 'link');
    const session = await openInvitation(c.get('ctx'), c.req.valid('json').token, device).catch(
      (err: unknown) => {
        // A refused browser keeps its device id, so reloading it is not recorded again.
        if (err instanceof AppError && err.code === 'open_elsewhere') rememberDevice(c, device);
        throw err;
      },
    );
    rememberDevice(c, device);
    setSessionCookie(c, CANDIDATE_COOKIE, session, secure);
    return c.json({ csrfToken: session.csrfToken }, 200);
  });

  // The link a candidate clicks: trade the token for a cookie, then redirect so the token leaves the
  // address bar and history. Not part of the JSON API; errors are a friendly page.
  app.get('/i/:token', async (c) => {
    const device = deviceOf(c, 'link');
    try {
      const session = await openInvitation(c.get('ctx'), c.req.param('token'), device);
      rememberDevice(c, device);
      setSessionCookie(c, CANDIDATE_COOKIE, session, secure);
      c.header('Referrer-Policy', 'no-referrer');
      return c.redirect('/attempt', 303);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      c.header('Referrer-Policy', 'no-referrer');
      if (err.code === 'open_elsewhere') rememberDevice(c, device);
      const title =
        err.code === 'open_elsewhere'
          ? 'This attempt is open in another browser'
          : 'This invitation link cannot be used';
      return c.html(friendlyPage(title, err.message), err.status);
    }
  });
}

/** The friendly error page; `html` escapes every interpolated value. */
function friendlyPage(title: string, message: string) {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <title>${title} · worksample</title>
        <style>
          body {
            font:
              16px/1.5 system-ui,
              sans-serif;
            max-width: 36rem;
            margin: 4rem auto;
            padding: 0 1rem;
            color: #1f2328;
          }
          h1 {
            font-size: 1.4rem;
          }
        </style>
      </head>
      <body>
        <main>
          <h1>${title}</h1>
          <p>${message}.</p>
          <p>If you think this is a mistake, reply to the email that brought you here.</p>
        </main>
      </body>
    </html>`;
}
