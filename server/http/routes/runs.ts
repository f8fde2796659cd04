/** Run / Run tests with live output (SSE), stdin and cancel; the run history; the grade report (staff). */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { attemptFor } from '../../attempts/index.ts';
import { AppError } from '../../errors/index.ts';
import {
  eventId,
  getRun,
  listRuns,
  parseEventId,
  viewRun,
  type RunEvent,
  type RunService,
} from '../../runs/index.ts';
import { getGrade } from '../../grading-jobs/index.ts';
import { gradeSchema, testCaseSchema } from '../schemas/grades.ts';
import { staffAttempt } from './grades.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { principals } from '../auth.ts';

export const runSchema = z
  .object({
    id: z.string(),
    attemptId: z.string(),
    kind: z.enum(['run', 'test']),
    argv: z.array(z.string()),
    status: z.enum(['queued', 'running', 'done']),
    verdict: z
      .string()
      .nullable()
      .openapi({ description: 'ok, error, timeout, out-of-memory, output-limit, cancelled' }),
    exitCode: z.number().nullable(),
    durationMs: z.number().nullable(),
    stdout: z.string(),
    stderr: z.string(),
    outputTruncated: z.boolean(),
    createdAt: z.number(),
    finishedAt: z.number().nullable(),
    queuePosition: z.number().nullable().optional().openapi({
      description:
        'while waiting for a sandbox: place in line (1 = next); 0 once started; null when not live',
    }),
    tests: z
      .object({
        tests: z.array(testCaseSchema),
        passed: z.number(),
        failed: z.number(),
        skipped: z.number(),
        problem: z.string().optional(),
      })
      .nullable()
      .optional()
      .openapi({ description: 'Run tests, once finished: per-test results read from the runner report' }),
  })
  .openapi('Run');

const ids = z.object({ id: z.string().max(64) });
const runIds = ids.extend({ runId: z.string().max(64) });

const start = createRoute({
  method: 'post',
  path: '/api/attempts/{id}/runs',
  tags: ['runs'],
  summary: "Run the task's run or test command on the current workspace (owner candidate)",
  request: {
    params: ids,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({
            kind: z.enum(['run', 'test']),
            stdin: z
              .string()
              .max(64 * 1024)
              .optional(),
            interactive: z.boolean().optional().openapi({ description: 'keep stdin open for POST …/stdin' }),
          }),
        },
      },
    },
  },
  responses: {
    202: {
      description: 'queued; follow …/events',
      content: { 'application/json': { schema: z.object({ run: runSchema }) } },
    },
    ...errorResponses(400, 401, 403, 404, 409, 429, 503),
  },
});

const list = createRoute({
  method: 'get',
  path: '/api/attempts/{id}/runs',
  tags: ['runs'],
  summary: 'Run history, newest first',
  request: { params: ids },
  responses: {
    200: {
      description: 'runs',
      content: { 'application/json': { schema: z.object({ runs: z.array(runSchema) }) } },
    },
    ...errorResponses(401, 403, 404),
  },
});

const get = createRoute({
  method: 'get',
  path: '/api/attempts/{id}/runs/{runId}',
  tags: ['runs'],
  summary: 'One run',
  request: { params: runIds },
  responses: {
    200: { description: 'run', content: { 'application/json': { schema: z.object({ run: runSchema }) } } },
    ...errorResponses(401, 403, 404),
  },
});

const events = createRoute({
  method: 'get',
  path: '/api/attempts/{id}/runs/{runId}/events',
  tags: ['runs'],
  summary:
    'Live output as server-sent events: queued (place in line), status, stdout, stderr, exit; resumable with Last-Event-ID',
  request: { params: runIds },
  responses: {
    200: { description: 'event stream', content: { 'text/event-stream': { schema: z.string() } } },
    ...errorResponses(401, 403, 404),
  },
});

const stdin = createRoute({
  method: 'post',
  path: '/api/attempts/{id}/runs/{runId}/stdin',
  tags: ['runs'],
  summary: "Send input to a running program's stdin",
  request: {
    params: runIds,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({ data: z.string().max(64 * 1024), close: z.boolean().optional() }),
        },
      },
    },
  },
  responses: { 204: { description: 'sent' }, ...errorResponses(400, 401, 403, 404, 409) },
});

const cancel = createRoute({
  method: 'post',
  path: '/api/attempts/{id}/runs/{runId}/cancel',
  tags: ['runs'],
  summary: 'Stop a run (its verdict becomes cancelled); only the candidate who owns it',
  request: { params: runIds },
  responses: { 204: { description: 'cancelled' }, ...errorResponses(401, 403, 404, 409) },
});

const grade = createRoute({
  method: 'get',
  path: '/api/attempts/{id}/grade',
  tags: ['runs'],
  summary: 'Hidden-test results of a submitted attempt (admins, authors, assigned reviewers)',
  request: { params: ids },
  responses: {
    200: {
      description: 'grade',
      content: { 'application/json': { schema: z.object({ grade: gradeSchema.nullable() }) } },
    },
    ...errorResponses(401, 403, 404),
  },
});

export function registerRuns(app: OpenAPIHono<AppEnv>, runs: RunService) {
  /** The run, if it belongs to the attempt the caller may access. */
  const runOf = async (
    c: Parameters<typeof principals>[0],
    attemptId: string,
    runId: string,
    mode: 'read' | 'write',
  ) => {
    const a = await attemptFor(c.get('ctx'), principals(c), attemptId, mode);
    const run = await getRun(c.get('ctx'), runId);
    if (run.attempt_id !== a.id) throw new AppError('not_found', 'run not found');
    return run;
  };

  app.openapi(start, async (c) => {
    const a = await attemptFor(c.get('ctx'), principals(c), c.req.valid('param').id, 'write');
    const body = c.req.valid('json');
    try {
      return c.json({ run: await runs.start(a.id, body.kind, body) }, 202);
    } catch (err) {
      const retry = err instanceof AppError ? err.details?.retryAfterSeconds : undefined;
      if (typeof retry === 'number') c.header('Retry-After', String(retry));
      throw err;
    }
  });
  app.openapi(list, async (c) => {
    const a = await attemptFor(c.get('ctx'), principals(c), c.req.valid('param').id, 'read');
    return c.json({ runs: await listRuns(c.get('ctx'), a.id) }, 200);
  });
  app.openapi(get, async (c) => {
    const { id, runId } = c.req.valid('param');
    const run = viewRun(await runOf(c, id, runId, 'read'));
    return c.json({ run: { ...run, queuePosition: runs.queuePosition(runId) } }, 200);
  });
  app.openapi(stdin, async (c) => {
    const { id, runId } = c.req.valid('param');
    await runOf(c, id, runId, 'write');
    const body = c.req.valid('json');
    if (!runs.writeStdin(runId, body.data, body.close ?? false))
      throw new AppError('conflict', 'the run is not accepting input (not started yet, or finished)');
    return c.body(null, 204);
  });
  app.openapi(cancel, async (c) => {
    const { id, runId } = c.req.valid('param');
    // Only the candidate stops their own run ('write'): staff may watch a live run, not end it.
    await runOf(c, id, runId, 'write');
    if (!runs.cancel(runId)) throw new AppError('conflict', 'the run has already finished');
    return c.body(null, 204);
  });
  app.openapi(grade, async (c) => {
    // Staff only (candidates never see hidden-test results); reviewers only when assigned, judged on
    // the staff session alone (a candidate cookie in the same browser does not count).
    const a = await staffAttempt(c, c.req.valid('param').id);
    return c.json({ grade: (await getGrade(c.get('ctx'), a.id)) ?? null }, 200);
  });

  // Registered with openapi() for the document; the body is a stream.
  app.openapi(events, async (c) => {
    const { id, runId } = c.req.valid('param');
    const run = await runOf(c, id, runId, 'read');
    // EventSource sends the id of the last event it saw when it reconnects; `after` is for other clients.
    const resume = parseEventId(c.req.header('last-event-id') ?? c.req.query('after'));
    return streamSSE(c, async (stream) => {
      // Writes are chained so they reach the client in order and all before the stream closes.
      let queue = Promise.resolve();
      const send = (e: RunEvent) => {
        queue = queue
          .then(() => stream.writeSSE({ id: eventId(e), event: e.type, data: JSON.stringify(e.data) }))
          .catch(() => {});
        return queue;
      };
      let finished!: () => void;
      const done = new Promise<void>((resolve) => (finished = resolve));
      const unsubscribe = runs.hub.subscribe(run.id, resume, (e) => {
        void send(e);
        if (e.type === 'exit' || e.type === 'closed') finished();
      });
      if (!unsubscribe) {
        // Not live here: finished a while ago, the server restarted, or another replica runs it. Then
        // follow it — through the events that replica mirrors (Postgres), else by its record's status —
        // and replay the record, minus what the reader already has (the offsets in its Last-Event-ID).
        let aborted = false;
        stream.onAbort(() => {
          aborted = true;
        });
        const ctx = c.get('ctx');
        const at = { seq: resume.seq, out: resume.out ?? 0, err: resume.err ?? 0 };
        let r = viewRun(await getRun(ctx, run.id));
        if (r.status !== 'done' && runs.mirror) {
          let exited = false;
          await runs.mirror.follow(
            run.id,
            resume,
            (e) => {
              Object.assign(at, { seq: e.seq, out: e.out, err: e.err });
              exited ||= e.type === 'exit';
              void send(e);
            },
            () => aborted,
            async () => viewRun(await getRun(ctx, run.id)).status === 'done',
          );
          if (exited || aborted) return void (await queue);
          r = viewRun(await getRun(ctx, run.id));
        }
        let shown: string | undefined;
        for (let waitMs = 200; r.status !== 'done' && !aborted; waitMs = Math.min(1000, waitMs * 2)) {
          if (r.status !== shown) {
            shown = r.status;
            void send({
              seq: ++at.seq,
              out: at.out,
              err: at.err,
              type: 'status',
              data: { status: r.status },
            });
          }
          await new Promise((w) => setTimeout(w, waitMs));
          r = viewRun(await getRun(ctx, run.id));
        }
        if (aborted) return;
        const stdout = r.stdout.slice(at.out);
        const stderr = r.stderr.slice(at.err);
        const end = { out: r.stdout.length, err: r.stderr.length };
        if (stdout) void send({ seq: ++at.seq, out: end.out, err: at.err, type: 'stdout', data: stdout });
        if (stderr) void send({ seq: ++at.seq, ...end, type: 'stderr', data: stderr });
        await send({
          seq: ++at.seq,
          ...end,
          type: 'exit',
          data: { verdict: r.verdict ?? 'error', exitCode: r.exitCode, durationMs: r.durationMs ?? 0 },
        });
        return;
      }
      stream.onAbort(() => {
        unsubscribe();
        finished();
      });
      await done;
      unsubscribe();
      await queue;
    }) as never;
  });
}
