/**
 * Grading at submit, in a fresh sandbox: the submitted workspace is copied in as data (minus runtime
 * configuration, see server/grading/harness/clean-slate.ts), the candidate's code runs in the subject
 * process, and the task's grade command runs the hidden tests in the trusted harness — another uid,
 * a private folder, tests and report nonce on its stdin. Only the harness's report decides. A broken
 * or hostile submission yields a failed grade, never a crashed server.
 */
import type { ServiceContext } from '../platform/index.ts';
import type { GradesTable } from '../db/index.ts';
import { fileContent } from '../workspace/index.ts';
import type { SandboxFile, SandboxManager } from '../sandbox/index.ts';
import { attemptWithManifest, recordEvent } from '../attempts/index.ts';
import { versionFiles } from '../tasks/index.ts';
import { networkFor, type LlmAccess } from './llm-access.ts';
import { cleanSlate, runHiddenTests, type TestReport } from '../grading/index.ts';

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

/**
 * Files for grading: the candidate's workspace after the clean slate (what goes into /workspace,
 * and what was left out with why), and the hidden tests (tests/x → x), which go only to the harness.
 */
export async function gradingFiles(
  ctx: ServiceContext,
  attemptId: string,
  taskVersionId: string,
): Promise<{
  workspace: SandboxFile[];
  hidden: SandboxFile[];
  dropped: Array<{ path: string; reason: string }>;
}> {
  const ws = await ctx.db
    .selectFrom('workspace_files')
    .select(['path', 'sha256'])
    .where('attempt_id', '=', attemptId)
    .execute();
  const tests = await versionFiles(ctx, taskVersionId, { role: 'tests' });
  const load = async (rows: Array<{ path: string; sha256: string }>) => {
    const out: SandboxFile[] = [];
    for (const f of rows) {
      const content = await fileContent(ctx, attemptId, f.sha256);
      if (content) out.push({ path: f.path, content });
    }
    return out;
  };
  const hidden = tests.map((h) => ({ path: h.path.replace(/^tests\//, ''), content: h.content }));
  const { kept, dropped } = cleanSlate(
    ws,
    hidden.map((h) => h.path),
  );
  return { workspace: await load(kept), hidden, dropped };
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
          const files = await gradingFiles(ctx, attemptId, a.task_version_id);
          await manager.putFiles(session, files.workspace);
          const llmEnv =
            network === 'gateway' && llm
              ? await llm.envFor(attemptId, 'grade', session.gatewayAddress)
              : undefined;
          const outcome = await runHiddenTests(
            manager,
            session,
            {
              env: env.image,
              grade: env.grade,
              report: env.report,
              modules: env.subject.modules,
              hidden: files.hidden,
              llmEnv,
            },
            files.dropped.map((d) => `left out of grading: ${d.path} (${d.reason})`),
          );
          await manager.stopProcesses(session).catch(() => {});
          const report: TestReport = outcome.report;
          return {
            ...base,
            status: 'done' as const,
            verdict: outcome.verdict,
            passed: report.passed,
            failed: report.failed,
            skipped: report.skipped,
            report_json: JSON.stringify(report.tests),
            stdout: outcome.stdout,
            stderr: outcome.stderr,
            error: outcome.error,
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
