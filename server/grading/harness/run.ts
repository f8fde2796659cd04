/**
 * Runs a grade's two processes in one fresh session: the subject first (it listens on the bridge
 * socket), then the harness; when the harness ends the subject is stopped. Only the harness's framed
 * report decides; the subject's exit code and output are kept for staff and nothing else.
 */
import type { ExecResult, SandboxDriver, SandboxSession } from '../../sandbox/index.ts';
import { planGrade, type GradePlanInput } from './plan.ts';
import { harnessVerdict, type HarnessVerdict } from './verdict.ts';

export interface HiddenTestRun extends HarnessVerdict {
  /** The hidden tests' output, then the candidate code's own output. */
  stdout: string;
  stderr: string;
}

const section = (title: string, text: string) => (text ? `\n--- ${title} ---\n${text}` : '');

/** Runs the hidden tests against the files already in the session's workspace. */
export async function runHiddenTests(
  sandbox: Pick<SandboxDriver, 'exec'>,
  session: SandboxSession,
  input: Omit<GradePlanInput, 'workspace'>,
  notes: string[] = [],
): Promise<HiddenTestRun> {
  const plan = await planGrade({ ...input, workspace: session.workspacePath ?? '/workspace' });
  const subject = sandbox.exec(session, plan.subject);
  // When the harness's exec fails (the engine lost the container), the subject's is never awaited
  // below: its failure must not become an unhandled rejection that ends the server.
  subject.result.catch(() => {});
  let harness: ExecResult;
  try {
    harness = await sandbox.exec(session, plan.harness).result;
  } finally {
    subject.cancel();
  }
  const candidate = await subject.result.catch((err: unknown): Pick<ExecResult, 'stdout' | 'stderr'> => ({
    stdout: { text: '', bytes: 0, truncated: false },
    stderr: {
      text: `the subject did not run: ${err instanceof Error ? err.message : String(err)}`,
      bytes: 0,
      truncated: false,
    },
  }));
  const verdict = harnessVerdict(harness, input.report.format, plan.nonce);
  return {
    ...verdict,
    stdout: `${verdict.console}${section("output of the candidate's code", candidate.stdout.text)}`,
    stderr: [
      notes.length ? `${notes.join('\n')}\n` : '',
      harness.stderr.text,
      section("errors of the candidate's code", candidate.stderr.text),
    ].join(''),
  };
}
