/**
 * Response schemas of the blind-review API (server/http/routes/reviews.ts). The routes parse what
 * they return through these, so a field the schema does not name (a candidate's name on a review
 * page, say) is dropped instead of leaking; the web app's types are inferred from them
 * (server/http/api-types.ts).
 */
import { z } from '@hono/zod-openapi';

export const reviewStatusSchema = z.enum(['to do', 'draft', 'submitted']);

export const rubricCriterionSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string().optional(),
    weight: z.number().optional(),
    levels: z.object({ 1: z.string(), 2: z.string(), 3: z.string(), 4: z.string() }),
  })
  .openapi('RubricCriterion');

export const queueItemSchema = z
  .object({
    attemptId: z.string(),
    codeName: z.string(),
    task: z.object({ slug: z.string(), title: z.string(), version: z.number().int() }),
    submittedAt: z.number().nullable(),
    assignedAt: z.number(),
    dueAt: z.number(),
    status: reviewStatusSchema,
  })
  .openapi('ReviewQueueItem');
export const queueSchema = z.object({ items: z.array(queueItemSchema) });

export const reviewLevelsSchema = z.record(
  z.string(),
  z.object({ level: z.number().int(), evidence: z.string(), shareable: z.boolean().optional() }),
);

export const reviewViewSchema = z
  .object({
    reviewer: z.object({ id: z.string(), name: z.string() }),
    status: z.enum(['draft', 'submitted']),
    levels: reviewLevelsSchema,
    recommendation: z.number().int().nullable(),
    /** Private notes: only for their author and admins. */
    notes: z.string().optional(),
    score: z.number().nullable(),
    submittedAt: z.number().nullable(),
  })
  .openapi('Review');

export const reviewPageSchema = z
  .object({
    attemptId: z.string(),
    codeName: z.string(),
    note: z.string(),
    task: z.object({
      slug: z.string(),
      version: z.number().int(),
      title: z.string(),
      kind: z.enum(['code', 'critique', 'written']),
    }),
    rubric: z.array(rubricCriterionSchema),
    autoScore: z
      .object({
        status: z.string(),
        verdict: z.string().nullable(),
        passed: z.number().int(),
        failed: z.number().int(),
        percent: z.number().nullable(),
      })
      .nullable(),
    submittedAt: z.number().nullable(),
    /** deadline: auto-submitted when the time limit ran out, not by the candidate. */
    submittedBy: z.enum(['candidate', 'deadline']).nullable(),
    myReview: reviewViewSchema.nullable(),
    progress: z.object({ assigned: z.number().int(), submitted: z.number().int() }),
    /** Admins only: who is assigned and how far each is. */
    assignees: z
      .array(z.object({ id: z.string(), name: z.string(), dueAt: z.number(), status: reviewStatusSchema }))
      .optional(),
    decided: z.boolean(),
  })
  .openapi('ReviewPage');

export const decisionSchema = z.enum(['advance', 'reject', 'hold']);

export const consolidatedSchema = z
  .object({
    codeName: z.string(),
    reviews: z.array(reviewViewSchema),
    disagreements: z.array(z.object({ criterion: z.string(), spread: z.number(), flagged: z.boolean() })),
    decision: z.object({ decision: decisionSchema, reason: z.string(), decidedAt: z.number() }).nullable(),
  })
  .openapi('ConsolidatedReviews');

export const identitySchema = z
  .object({ codeName: z.string(), name: z.string(), email: z.string() })
  .openapi('CandidateIdentity');

export const assignedSchema = z.object({ assigned: z.array(z.string()) });

export const agreementResultSchema = z.object({
  method: z.enum(['weighted-kappa', 'krippendorff-alpha']),
  value: z.number().nullable(),
  n: z.number().int(),
  alpha: z.number().nullable(),
});

export const agreementSchema = z
  .object({
    task: z.string(),
    submissions: z.number().int(),
    reviews: z.number().int(),
    criteria: z.array(agreementResultSchema.extend({ id: z.string(), title: z.string() })),
    recommendation: agreementResultSchema,
    calibration: z.array(
      z.object({
        reviewer: z.string(),
        name: z.string(),
        bias: z.number(),
        meanAbsDiff: z.number(),
        n: z.number().int(),
      }),
    ),
  })
  .openapi('Agreement');

export const feedbackSchema = z
  .object({
    markdown: z.string(),
    criteria: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        level: z.number().int(),
        comments: z.array(z.string()),
      }),
    ),
  })
  .openapi('FeedbackReport');
