/** Reviewer queue, blind review form, consolidation, decision and identity reveal. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  assignReviewers,
  consolidated,
  decide,
  identity,
  queue,
  reviewInputSchema,
  reviewPage,
  saveDraft,
  submitReview,
} from '../../reviews/index.ts';
import { taskAgreement } from '../../reviews/stats.ts';
import { feedbackReport } from '../../reviews/feedback.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { requireStaff } from '../auth.ts';
import {
  agreementSchema,
  assignedSchema,
  consolidatedSchema,
  decisionSchema,
  feedbackSchema,
  identitySchema,
  queueSchema,
  reviewPageSchema,
} from '../schemas/reviews.ts';

const params = z.object({ id: z.string().max(64) });
const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });

const routes = {
  queue: createRoute({
    method: 'get',
    path: '/api/reviews/queue',
    tags: ['reviews'],
    summary: 'Submissions assigned to me (code names, due dates, status)',
    responses: {
      200: { description: 'queue', ...json(queueSchema) },
      ...errorResponses(401, 403),
    },
  }),
  page: createRoute({
    method: 'get',
    path: '/api/reviews/{id}',
    tags: ['reviews'],
    summary: 'My review page for a submission: code name, rubric (pinned), auto score, my review, progress',
    request: { params },
    responses: {
      200: { description: 'review page', ...json(reviewPageSchema) },
      ...errorResponses(401, 403, 404),
    },
  }),
  save: createRoute({
    method: 'put',
    path: '/api/reviews/{id}/mine',
    tags: ['reviews'],
    summary: 'Save my review as a draft (levels with evidence, recommendation, private notes)',
    request: {
      params,
      body: { required: true, content: { 'application/json': { schema: reviewInputSchema } } },
    },
    responses: {
      200: { description: 'saved', ...json(reviewPageSchema) },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  }),
  submit: createRoute({
    method: 'post',
    path: '/api/reviews/{id}/mine/submit',
    tags: ['reviews'],
    summary: 'Submit my review (every criterion needs a level and evidence); final',
    request: { params },
    responses: {
      200: { description: 'submitted', ...json(reviewPageSchema) },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  all: createRoute({
    method: 'get',
    path: '/api/reviews/{id}/all',
    tags: ['reviews'],
    summary: 'All submitted reviews side by side with disagreements (after submitting my own; admins always)',
    request: { params },
    responses: {
      200: { description: 'reviews', ...json(consolidatedSchema) },
      ...errorResponses(401, 403, 404),
    },
  }),
  assign: createRoute({
    method: 'post',
    path: '/api/reviews/{id}/assignments',
    tags: ['reviews'],
    summary: 'Assign reviewers (admin): the given ones, or round robin when reviewerIds is omitted',
    request: {
      params,
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z.object({
              reviewerIds: z.array(z.string().max(64)).max(20).optional(),
              dueInDays: z.number().positive().max(60).optional(),
            }),
          },
        },
      },
    },
    responses: {
      200: { description: 'assigned', ...json(assignedSchema) },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  }),
  decide: createRoute({
    method: 'post',
    path: '/api/reviews/{id}/decision',
    tags: ['reviews'],
    summary: 'Record the final decision (admin) once all reviews are in; reveals the identity',
    request: {
      params,
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z.object({
              decision: decisionSchema,
              reason: z.string().max(10_000),
            }),
          },
        },
      },
    },
    responses: {
      200: { description: 'decided', ...json(identitySchema) },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  }),
  agreement: createRoute({
    method: 'get',
    path: '/api/tasks/{slug}/agreement',
    tags: ['reviews'],
    summary:
      'Inter-rater agreement per criterion and recommendation, and reviewer calibration (admin, author)',
    request: { params: z.object({ slug: z.string().max(64) }) },
    responses: {
      200: { description: 'agreement', ...json(agreementSchema) },
      ...errorResponses(401, 403, 404),
    },
  }),
  feedback: createRoute({
    method: 'get',
    path: '/api/reviews/{id}/feedback',
    tags: ['reviews'],
    summary:
      'Candidate feedback report after the decision (admin, author): median level per criterion and shareable evidence only',
    request: { params },
    responses: {
      200: { description: 'report', ...json(feedbackSchema) },
      ...errorResponses(401, 403, 404, 409),
    },
  }),
  identity: createRoute({
    method: 'get',
    path: '/api/reviews/{id}/identity',
    tags: ['reviews'],
    summary: "The candidate's name and email, once decided (each reveal is recorded)",
    request: { params },
    responses: {
      200: { description: 'identity', ...json(identitySchema) },
      ...errorResponses(401, 403, 404),
    },
  }),
};

export function registerReviews(app: OpenAPIHono<AppEnv>) {
  app.openapi(routes.queue, async (c) => {
    const staff = requireStaff(c, 'reviewer');
    return c.json(queueSchema.parse({ items: await queue(c.get('ctx'), staff.user.id) }), 200);
  });
  app.openapi(routes.page, async (c) => {
    const staff = requireStaff(c, 'reviewer');
    return c.json(
      reviewPageSchema.parse(await reviewPage(c.get('ctx'), c.req.valid('param').id, staff.user)),
      200,
    );
  });
  app.openapi(routes.save, async (c) => {
    const staff = requireStaff(c, 'reviewer');
    const page = await saveDraft(c.get('ctx'), c.req.valid('param').id, staff.user, c.req.valid('json'));
    return c.json(reviewPageSchema.parse(page), 200);
  });
  app.openapi(routes.submit, async (c) => {
    const staff = requireStaff(c, 'reviewer');
    return c.json(
      reviewPageSchema.parse(await submitReview(c.get('ctx'), c.req.valid('param').id, staff.user)),
      200,
    );
  });
  app.openapi(routes.all, async (c) => {
    const staff = requireStaff(c, 'reviewer');
    return c.json(
      consolidatedSchema.parse(await consolidated(c.get('ctx'), c.req.valid('param').id, staff.user)),
      200,
    );
  });
  app.openapi(routes.assign, async (c) => {
    const staff = requireStaff(c, 'admin');
    const body = c.req.valid('json');
    const assigned = await assignReviewers(c.get('ctx'), c.req.valid('param').id, {
      ...body,
      assignedBy: staff.user.id,
    });
    return c.json(assignedSchema.parse({ assigned }), 200);
  });
  app.openapi(routes.decide, async (c) => {
    const staff = requireStaff(c, 'admin');
    const revealed = await decide(c.get('ctx'), c.req.valid('param').id, staff.user, c.req.valid('json'));
    return c.json(identitySchema.parse(revealed), 200);
  });
  app.openapi(routes.agreement, async (c) => {
    requireStaff(c, 'author');
    return c.json(agreementSchema.parse(await taskAgreement(c.get('ctx'), c.req.valid('param').slug)), 200);
  });
  app.openapi(routes.feedback, async (c) => {
    requireStaff(c, 'author');
    return c.json(feedbackSchema.parse(await feedbackReport(c.get('ctx'), c.req.valid('param').id)), 200);
  });
  app.openapi(routes.identity, async (c) => {
    const staff = requireStaff(c, 'reviewer');
    return c.json(
      identitySchema.parse(await identity(c.get('ctx'), c.req.valid('param').id, staff.user)),
      200,
    );
  });
}
