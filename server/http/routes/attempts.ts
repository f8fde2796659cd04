/** One attempt: state, submit, event log. Files live in files.ts. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { attemptFor, submitAttempt, viewAttempt } from '../../attempts/index.ts';
import { listEvents } from '../../workspace/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { principals } from '../auth.ts';
import { attemptSchema } from './candidate.ts';

export const attemptParams = z.object({ id: z.string().max(64) });

const get = createRoute({
  method: 'get',
  path: '/api/attempts/{id}',
  tags: ['attempts'],
  summary: 'Attempt state (owner candidate, or admin/author)',
  request: { params: attemptParams },
  responses: {
    200: {
      description: 'attempt',
      content: { 'application/json': { schema: z.object({ attempt: attemptSchema }) } },
    },
    ...errorResponses(401, 403, 404),
  },
});

const submit = createRoute({
  method: 'post',
  path: '/api/attempts/{id}/submit',
  tags: ['attempts'],
  summary: 'Submit (idempotent; answers the stored attempt if already submitted)',
  request: {
    params: attemptParams,
    query: z.object({
      timeUp: z.enum(['true']).optional().openapi({
        description:
          'the page submits because the time limit ran out: recorded as auto-submitted at the deadline (once the deadline has passed)',
      }),
    }),
  },
  responses: {
    200: {
      description: 'submitted',
      content: { 'application/json': { schema: z.object({ attempt: attemptSchema }) } },
    },
    ...errorResponses(401, 403, 404),
  },
});

export const eventSchema = z.object({
  id: z.number(),
  at: z.number(),
  type: z.string(),
  path: z.string().nullable(),
  sha256: z.string().nullable(),
  revision: z.number().nullable(),
  /** Event-specific facts (e.g. `from` of a rename, the verdict of a run). */
  payload: z.record(z.string(), z.unknown()).nullable(),
});
export const eventsSchema = z.object({ events: z.array(eventSchema) });

const events = createRoute({
  method: 'get',
  path: '/api/attempts/{id}/events',
  tags: ['attempts'],
  summary: 'The attempt timeline (file revisions, start, submit) for replay',
  request: { params: attemptParams },
  responses: {
    200: {
      description: 'events',
      content: { 'application/json': { schema: eventsSchema } },
    },
    ...errorResponses(401, 403, 404),
  },
});

export function registerAttempts(app: OpenAPIHono<AppEnv>) {
  app.openapi(get, async (c) => {
    const ctx = c.get('ctx');
    const a = await attemptFor(ctx, principals(c), c.req.valid('param').id, 'read');
    return c.json({ attempt: viewAttempt(ctx, a) }, 200);
  });
  app.openapi(submit, async (c) => {
    const ctx = c.get('ctx');
    const who = principals(c);
    const a = await attemptFor(ctx, who, c.req.valid('param').id, 'read');
    // Only the owner submits; staff reading it get the same refusal as for writes.
    if (!who.some((p) => p.kind === 'candidate' && p.invitationId === a.invitation_id)) {
      await attemptFor(
        ctx,
        who.filter((p) => p.kind === 'staff'),
        a.id,
        'write',
      );
    }
    const reason = c.req.valid('query').timeUp ? 'deadline' : 'candidate';
    return c.json({ attempt: viewAttempt(ctx, await submitAttempt(ctx, a.id, reason)) }, 200);
  });
  app.openapi(events, async (c) => {
    const ctx = c.get('ctx');
    const a = await attemptFor(ctx, principals(c), c.req.valid('param').id, 'read');
    return c.json(eventsSchema.parse({ events: await listEvents(ctx, a.id) }), 200);
  });
}
