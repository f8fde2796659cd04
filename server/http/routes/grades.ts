/**
 * Gradings of a submission for staff: the history (every grading, the current one first) and a
 * re-grade. Stops a candidate (or staff who may not judge the submission) from re-running or reading
 * the hidden tests: staff only, re-grade needs the reviewer role (admins qualify), and reviewers reach
 * only submissions assigned to them (the same 404 as a missing attempt otherwise). Access is decided
 * on the staff session alone, never on a candidate cookie the same browser may also hold.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { attemptFor } from '../../attempts/index.ts';
import { getGrade, gradeHistory, regrade, type GradingQueue } from '../../grading-jobs/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { requireStaff } from '../auth.ts';
import { gradeHistorySchema, gradeSchema } from '../schemas/grades.ts';
import type { Role } from '../../users/index.ts';

const params = z.object({ id: z.string().max(64) });

const history = createRoute({
  method: 'get',
  path: '/api/attempts/{id}/grades',
  tags: ['grades'],
  summary: 'Every grading of a submission, the current one first, with why each ran and how it ended',
  request: { params },
  responses: {
    200: { description: 'gradings', content: { 'application/json': { schema: gradeHistorySchema } } },
    ...errorResponses(401, 403, 404),
  },
});

const create = createRoute({
  method: 'post',
  path: '/api/attempts/{id}/grades',
  tags: ['grades'],
  summary:
    'Grade a submitted attempt again (admins, assigned reviewers): a new grading is queued; the earlier ones are kept',
  request: {
    params,
    body: {
      required: false,
      content: {
        'application/json': {
          schema: z.object({
            note: z.string().trim().max(500).optional().openapi({ description: 'why, shown in the history' }),
          }),
        },
      },
    },
  },
  responses: {
    202: {
      description: 'queued',
      content: { 'application/json': { schema: z.object({ grade: gradeSchema }) } },
    },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

/** The attempt, if the signed-in staff user (with one of `roles`) may see it; candidates never pass. */
export async function staffAttempt(c: Context<AppEnv>, id: string, ...roles: Role[]) {
  const staff = requireStaff(c, ...roles);
  const principal = { kind: 'staff' as const, session: staff.session, user: staff.user };
  return attemptFor(c.get('ctx'), [principal], id, 'read');
}

export function registerGrades(app: OpenAPIHono<AppEnv>, grading: GradingQueue) {
  app.openapi(history, async (c) => {
    const a = await staffAttempt(c, c.req.valid('param').id);
    return c.json(gradeHistorySchema.parse({ grades: await gradeHistory(c.get('ctx'), a.id) }), 200);
  });
  app.openapi(create, async (c) => {
    const a = await staffAttempt(c, c.req.valid('param').id, 'reviewer');
    const ctx = c.get('ctx');
    const note = c.req.valid('json')?.note || undefined;
    const row = await regrade(ctx, a.id, { userId: c.get('staff')!.user.id, note });
    ctx.logger.info({ attemptId: a.id, gradeId: row.id, by: c.get('staff')!.user.id }, 're-grade queued');
    grading.kick();
    return c.json({ grade: gradeSchema.parse(await getGrade(ctx, a.id)) }, 202);
  });
}
