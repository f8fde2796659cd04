/**
 * One try at grading a submission, in a fresh sandbox: the submitted workspace is copied in as data
 * (minus runtime configuration, see server/grading/harness/clean-slate.ts), the candidate's code runs in
 * the subject process, and the task's grade command runs the hidden tests in the trusted harness —
 * another uid, a private folder, tests and report nonce on its stdin. Only the harness's report decides.
 * A broken or hostile submission yields a failed verdict; a failure of the engine (or a sandbox that
 * stopped under the grading) throws, and the grading job (server/grading-jobs/) decides whether to retry.
 */
import type { ServiceContext } from '../platform/index.ts';
import { fileContent } from '../workspace/index.ts';
import type { SandboxFile, SandboxManager } from '../sandbox/index.ts';
import { attemptWithManifest } from '../attempts/index.ts';
import { versionFiles } from '../tasks/index.ts';
import { networkFor, type LlmAccess } from './llm-access.ts';
import { cleanSlate, runHiddenTests, type TestReport } from '../grading/index.ts';

/** What one completed try found: the verdict and the per-test report. */
export interface GradeOutcome {
  verdict: string;
  passed: number;
  failed: number;
  skipped: number;
  report_json: string;
  stdout: string;
  stderr: string;
  /** Why the verdict is what it is when no report decided it (missing or malformed report). */
  error: string | null;
}

/** The sandbox stopped (or vanished) while grading: the result says nothing about the submission. */
export class SandboxLostError extends Error {
  readonly transient = true;
  constructor() {
    super('the sandbox stopped while grading (the engine ended or removed its container)');
    this.name = 'SandboxLostError';
  }
}

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

/**
 * Grades an attempt once and returns what the hidden tests found; throws when the engine failed (the
 * caller retries). Only code attempts are graded: other kinds answer undefined.
 */
export async function gradeOnce(
  ctx: ServiceContext,
  manager: SandboxManager,
  attemptId: string,
  llm?: LlmAccess,
): Promise<GradeOutcome | undefined> {
  const { attempt: a, manifest } = await attemptWithManifest(ctx, attemptId);
  const network = networkFor(manifest);
  const env = manifest.environment;
  if (manifest.kind !== 'code' || !env) return undefined;
  try {
    return await manager.slot(
      () =>
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
            // A container the engine stopped under the harness ends its exec like a crash would: the
            // verdict would blame the candidate, so the try does not count.
            if (!(await manager.sessionAlive(session))) throw new SandboxLostError();
            await manager.stopProcesses(session).catch(() => {});
            const report: TestReport = outcome.report;
            return {
              verdict: outcome.verdict,
              passed: report.passed,
              failed: report.failed,
              skipped: report.skipped,
              report_json: JSON.stringify(report.tests),
              stdout: outcome.stdout,
              stderr: outcome.stderr,
              error: outcome.error,
            };
          },
          { limits: { wallMs: ctx.config.sandbox.gradeMs }, network },
        ),
      { owner: attemptId, kind: 'grade' },
    );
  } finally {
    if (network === 'gateway') await llm?.endGrading(attemptId).catch(() => {});
  }
}
