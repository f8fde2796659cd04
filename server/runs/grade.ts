/**
 * Grading at submit: the submitted workspace plus the task's hidden tests, in a fresh sandbox, with
 * the task's grade command. Hidden tests overwrite same-named workspace files, so a candidate cannot
 * replace them. A broken or hostile submission yields a failed grade, never a crashed server.
 */
import type { ServiceContext } from '../platform/index.ts';
import type { GradesTable } from '../db/index.ts';
import { getBlob } from '../blobs/index.ts';
import type { SandboxManager } from '../sandbox/index.ts';
import type { SandboxFile } from '../sandbox/index.ts';
import { attemptWithManifest, recordEvent } from '../attempts/index.ts';
import { networkFor, type LlmAccess } from './llm-access.ts';
import { parseJunit, parseTap, summarize, type TestReport } from '../grading/index.ts';

export interface GradeView {
  attemptId: string;
  status: GradesTable['status'];
  verdict: string | null;
  passed: number;
  failed: number;
  skipped: number;
  tests: TestReport['tests'];
  stdout: string;
  stderr: string;
  error: string | null;
  createdAt: number;
  finishedAt: number | null;
}

export const viewGrade = (g: GradesTable): GradeView => ({
  attemptId: g.attempt_id,
  status: g.status,
  verdict: g.verdict,
  passed: g.passed,
  failed: g.failed,
  skipped: g.skipped,
  tests: JSON.parse(g.report_json) as TestReport['tests'],
  stdout: g.stdout,
  stderr: g.stderr,
  error: g.error,
  createdAt: g.created_at,
  finishedAt: g.finished_at,
});

/** Files for grading: the workspace, then the hidden tests on top (tests/x → x). */
export async function gradingFiles(
  ctx: ServiceContext,
  attemptId: string,
  taskVersionId: string,
): Promise<SandboxFile[]> {
  const files = new Map<string, SandboxFile>();
  const ws = await ctx.db
    .selectFrom('workspace_files')
    .select(['path', 'sha256'])
    .where('attempt_id', '=', attemptId)
    .execute();
  const hidden = await ctx.db
    .selectFrom('task_version_files')
    .select(['path', 'sha256'])
    .where('task_version_id', '=', taskVersionId)
    .where('role', '=', 'tests')
    .execute();
  for (const f of [...ws, ...hidden.map((h) => ({ ...h, path: h.path.replace(/^tests\//, '') }))]) {
    const content = await getBlob(ctx.db, f.sha256);
    if (content) files.set(f.path, { path: f.path, content });
  }
  // A workspace file may not sit where a hidden test's folder goes (a file "a" vs test "a/b").
  for (const p of [...files.keys()])
    if ([...files.keys()].some((q) => q.startsWith(`${p}/`))) files.delete(p);
  return [...files.values()];
}

export async function gradeAttempt(
  ctx: ServiceContext,
  manager: SandboxManager,
  attemptId: string,
  llm?: LlmAccess,
): Promise<GradeView | undefined> {
  const { attempt: a, manifest } = await attemptWithManifest(ctx, attemptId);
  const network = networkFor(manifest);
  const env = manifest.environment;
  if (manifest.kind !== 'code' || !env) return undefined;
  const now = ctx.clock.now();
  const base: GradesTable = {
    attempt_id: attemptId,
    status: 'running',
    verdict: null,
    passed: 0,
    failed: 0,
    skipped: 0,
    report_json: '[]',
    stdout: '',
    stderr: '',
    error: null,
    created_at: now,
    finished_at: null,
  };
  await ctx.db.deleteFrom('grades').where('attempt_id', '=', attemptId).execute();
  const sandbox = await manager.status();
  if (!sandbox.ready) {
    // Nothing ran: keep it pending so it can be graded once sandboxes work again.
    const pending = {
      ...base,
      status: 'pending' as const,
      error: `not graded yet: ${sandbox.detail ?? 'the sandbox is not ready'}`,
    };
    await ctx.db.insertInto('grades').values(pending).execute();
    return viewGrade(pending);
  }
  await ctx.db.insertInto('grades').values(base).execute();
  let row: GradesTable = base;
  try {
    row = await manager.slot(() =>
      manager.withFreshSession(
        env.image,
        'grade',
        attemptId,
        async (session) => {
          await manager.putFiles(session, await gradingFiles(ctx, attemptId, a.task_version_id));
          const llmEnv =
            network === 'gateway' && llm
              ? await llm.envFor(attemptId, 'grade', session.gatewayAddress)
              : undefined;
          const result = await manager.exec(session, {
            argv: env.grade,
            env: llmEnv,
            closeStdin: true,
          }).result;
          await manager.stopProcesses(session).catch(() => {});
          let report: TestReport;
          if (env.report.format === 'junit') {
            const [file] = await manager.getFiles(session, {
              under: env.report.path,
              maxBytes: 8 * 1024 * 1024,
            });
            report = file ? parseJunit(file.content.toString('utf8')) : summarize([]);
          } else {
            report = parseTap(result.stdout.text);
          }
          const passedAll = report.failed === 0 && report.passed > 0 && result.verdict === 'ok';
          return {
            ...base,
            status: 'done' as const,
            verdict:
              result.verdict !== 'ok' && result.verdict !== 'error'
                ? result.verdict
                : passedAll
                  ? 'passed'
                  : 'failed',
            passed: report.passed,
            failed: report.failed,
            skipped: report.skipped,
            report_json: JSON.stringify(report.tests),
            stdout: result.stdout.text,
            stderr: result.stderr.text,
            finished_at: ctx.clock.now(),
          };
        },
        { limits: { wallMs: ctx.config.sandbox.gradeMs }, network },
      ),
    );
  } catch (err) {
    ctx.logger.error({ err, attemptId }, 'grading failed');
    row = {
      ...base,
      status: 'error',
      verdict: 'error',
      error: err instanceof Error ? err.message : String(err),
      finished_at: ctx.clock.now(),
    };
  }
  if (network === 'gateway') await llm?.endGrading(attemptId).catch(() => {});
  await ctx.db.updateTable('grades').set(row).where('attempt_id', '=', attemptId).execute();
  await recordEvent(ctx.db, {
    attemptId,
    at: row.finished_at ?? now,
    type: 'attempt.graded',
    payload: { verdict: row.verdict, passed: row.passed, failed: row.failed },
  });
  return viewGrade(row);
}

export async function getGrade(ctx: ServiceContext, attemptId: string): Promise<GradeView | undefined> {
  const g = await ctx.db
    .selectFrom('grades')
    .selectAll()
    .where('attempt_id', '=', attemptId)
    .executeTakeFirst();
  return g ? viewGrade(g) : undefined;
}
