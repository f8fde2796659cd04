/**
 * Response schemas of gradings (server/http/routes/runs.ts `GET …/grade`, server/http/routes/grades.ts):
 * the grading's state as a durable job and its per-test result. Staff only.
 */
import { z } from '@hono/zod-openapi';

/** One test's result, in a Run tests report or a grading. */
export const testCaseSchema = z.object({
  name: z.string(),
  status: z.enum(['passed', 'failed', 'skipped']),
  durationMs: z.number().nullable(),
  message: z.string().optional(),
  location: z.object({ file: z.string(), line: z.number() }).optional().openapi({
    description: 'where the report points: a failure frame or the test (runs: workspace-relative)',
  }),
});

export const gradeSchema = z
  .object({
    id: z.string(),
    attemptId: z.string(),
    status: z.enum(['queued', 'running', 'retry_wait', 'done', 'failed']).openapi({
      description:
        'queued: waiting for its turn; running: a try is under way; retry_wait: a try hit an engine error ' +
        'and the next is due at nextRunAt; done: graded (see verdict); failed: no verdict, see error',
    }),
    reason: z.enum(['submit', 'deadline', 'regrade']).openapi({
      description: "who asked: the candidate's submit, the deadline's auto-submit, or a staff re-grade",
    }),
    requestedBy: z.object({ id: z.string(), name: z.string() }).nullable(),
    note: z.string().nullable(),
    tries: z.number().int(),
    maxTries: z.number().int(),
    nextRunAt: z.number().nullable(),
    lastError: z
      .string()
      .nullable()
      .openapi({ description: 'the last engine error (why it waits or failed)' }),
    verdict: z.string().nullable(),
    passed: z.number(),
    failed: z.number(),
    skipped: z.number(),
    tests: z.array(testCaseSchema),
    stdout: z.string(),
    stderr: z.string(),
    error: z.string().nullable(),
    createdAt: z.number(),
    startedAt: z.number().nullable(),
    finishedAt: z.number().nullable(),
    supersededAt: z
      .number()
      .nullable()
      .openapi({ description: 'set when a later grading replaced this one' }),
  })
  .openapi('Grade');

export const gradeHistorySchema = z
  .object({ grades: z.array(gradeSchema).openapi({ description: 'newest first; the current grade first' }) })
  .openapi('GradeHistory');
