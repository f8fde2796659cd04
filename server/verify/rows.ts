/**
 * The rows of the verify table: the static checks of a task package, and the judgement of each
 * sandbox result (visible tests, starter run, hidden-test grades) against what the author claims.
 */
import path from 'node:path';
import type { GradeView } from '../grading-jobs/index.ts';
import type { RunView } from '../runs/index.ts';
import { parseMockScript } from '../llm/index.ts';
import { answerKeyProblems, parseAnswerKey } from '../reviews/index.ts';
import { missingReferences } from './references.ts';
import { stoppedAtStub, visibleTestSummary } from './output.ts';
import type { LoadedTask } from '../tasks/index.ts';

/** Where a row belongs in the verify table (the admin panel groups rows by it). */
export type VerifyGroup = 'static' | 'visible' | 'starter' | 'hidden' | 'tamper';

export interface VerifyCheck {
  group: VerifyGroup;
  check: string;
  ok: boolean;
  detail: string;
}

export function staticChecks(task: LoadedTask): VerifyCheck[] {
  const m = task.manifest;
  const checks: VerifyCheck[] = [
    { group: 'static', check: 'manifest', ok: true, detail: `${m.kind} task, ${task.files.length} files` },
  ];
  const weights = m.rubric.criteria.map((c) => c.weight);
  checks.push({
    group: 'static',
    check: 'rubric',
    ok: m.rubric.criteria.length > 0 && weights.every((w) => w > 0),
    detail: `${m.rubric.criteria.length} criteria, 4 anchored levels each, total weight ${weights.reduce((a, b) => a + b, 0)}`,
  });
  const mock = task.files.find((f) => f.path === 'llm/mock.yaml');
  if (mock) {
    const parsed = parseMockScript('llm/mock.yaml', mock.content.toString('utf8'));
    checks.push({
      group: 'static',
      check: 'mock script',
      ok: parsed.ok,
      detail: parsed.ok ? `${parsed.script.rules.length} rules` : parsed.errors.join('; '),
    });
  } else if (m.llm.enabled) {
    checks.push({
      group: 'static',
      check: 'mock script',
      ok: true,
      detail: 'none: the mock answers with its documented defaults',
    });
  }
  const key = answerKeyCheck(task);
  if (key) checks.push(key);
  checks.push(referencesCheck(task));
  return checks;
}

/** Every file the statement names or the starter/tests open is in the package. */
function referencesCheck(task: LoadedTask): VerifyCheck {
  const missing = missingReferences(task);
  return {
    group: 'static',
    check: 'task files',
    ok: missing.length === 0,
    detail: missing.length
      ? `missing from the package: ${missing.map((r) => `${r.path} (named in ${r.from})`).join(', ')}`
      : 'every file the statement names or the starter and tests open is in the package',
  };
}

/** The critique answer key parses and each of its spans occurs exactly once in the outputs. */
function answerKeyCheck(task: LoadedTask): VerifyCheck | undefined {
  const critique = task.manifest.critique;
  if (!critique?.answerKey) return undefined;
  const text = (p: string) => task.files.find((f) => f.path === p)?.content.toString('utf8');
  const parsed = parseAnswerKey(critique.answerKey, text(critique.answerKey) ?? '');
  if (!parsed.ok)
    return { group: 'static', check: 'answer key', ok: false, detail: parsed.errors.join('; ') };
  const outputs = critique.outputs.map((p) => ({ path: p, content: text(`outputs/${p}`) ?? '' }));
  const problems = answerKeyProblems(critique.answerKey, parsed.key, outputs, critique.categories);
  const { flaws, notFlaws, defensible } = parsed.key;
  return {
    group: 'static',
    check: 'answer key',
    ok: problems.length === 0,
    detail: problems.length
      ? problems.join('; ')
      : `${flaws.length} planted flaws, ${notFlaws.length} correct statements, ${defensible.length} defensible points; every span occurs exactly once`,
  };
}

export function judge(
  variant: string,
  grade: GradeView | undefined,
  mustFail: string[] | undefined,
): VerifyCheck {
  const check = variant === 'solution' ? 'solution passes' : `${variant} fails`;
  if (!grade || grade.status !== 'done') {
    return {
      group: 'hidden',
      check,
      ok: false,
      detail: `not graded: ${grade?.error ?? grade?.status ?? 'no grade'}`,
    };
  }
  const failed = grade.tests.filter((t) => t.status === 'failed').map((t) => t.name);
  const summary = `${grade.passed} passed, ${grade.failed} failed (verdict ${grade.verdict})`;
  if (variant === 'solution') {
    return {
      group: 'hidden',
      check,
      ok: grade.verdict === 'passed',
      detail:
        grade.verdict === 'passed'
          ? summary
          : `${summary}; failing: ${failed.join(', ') || grade.stderr.slice(0, 300)}`,
    };
  }
  if (variant === 'starter')
    return { group: 'hidden', check, ok: grade.verdict !== 'passed', detail: summary };
  if (mustFail?.length) {
    const missed = mustFail.filter((name) => !failed.includes(name));
    return {
      group: 'hidden',
      check,
      ok: missed.length === 0,
      detail: missed.length
        ? `${summary}; should have failed: ${missed.join(', ')}`
        : `${summary}; fails all ${mustFail.length} declared`,
    };
  }
  return { group: 'hidden', check, ok: grade.verdict !== 'passed', detail: summary };
}

const tail = (text: string, n = 300) => (text.length > n ? `…${text.slice(-n)}` : text).trim();

/** The reference solution's "Run tests": the visible tests pass (exit 0, results read from the output). */
export function judgeVisible(run: RunView | undefined): VerifyCheck {
  const row = { group: 'visible' as const, check: 'solution passes visible tests' };
  if (!run) return { ...row, ok: false, detail: 'the test command did not run' };
  const summary = visibleTestSummary(run.stdout);
  const counts = summary
    ? `${summary.passed} passed, ${summary.failed} failed`
    : 'no test results in the output';
  const ok = run.verdict === 'ok' && !!summary && summary.failed === 0 && summary.passed > 0;
  return {
    ...row,
    ok,
    detail: ok
      ? `${counts} (${run.argv.join(' ')})`
      : `${counts}; verdict ${run.verdict}, exit ${run.exitCode}: ${tail(run.stderr) || tail(run.stdout)}`,
  };
}

/**
 * The starter's "Run": the demo entry point exits 0 within the run time limit, or stops only at a
 * stub the candidate is meant to write (NotImplementedError), never at a missing file or import.
 */
export function judgeStarterRun(run: RunView | undefined): VerifyCheck {
  const row = { group: 'starter' as const, check: 'starter runs' };
  if (!run) return { ...row, ok: false, detail: 'the run command did not run' };
  const command = run.argv.join(' ');
  if (run.verdict === 'ok')
    return { ...row, ok: true, detail: `exit 0 in ${run.durationMs} ms (${command})` };
  const stub = run.verdict === 'error' ? stoppedAtStub(run.stderr) : undefined;
  if (stub)
    return { ...row, ok: true, detail: `stops at the stub the candidate writes: ${stub} (${command})` };
  return {
    ...row,
    ok: false,
    detail: `verdict ${run.verdict}, exit ${run.exitCode}: ${tail(run.stderr) || tail(run.stdout)}`,
  };
}

const GROUPS: Record<VerifyGroup, string> = {
  static: 'static',
  visible: 'visible tests',
  starter: 'starter',
  hidden: 'hidden tests',
  tamper: 'tamper',
};

/** The per-check table `tasks verify` prints, grouped like the admin panel. */
export function formatChecks(dir: string, checks: VerifyCheck[], elapsedMs?: number): string {
  const width = Math.max(...checks.map((c) => c.check.length), 5);
  const lines = [`${path.normalize(dir)}`];
  for (const group of Object.keys(GROUPS) as VerifyGroup[]) {
    const rows = checks.filter((c) => c.group === group);
    if (!rows.length) continue;
    lines.push(`  ${GROUPS[group]}`);
    for (const c of rows) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.check.padEnd(width)}  ${c.detail}`);
  }
  if (elapsedMs !== undefined) lines.push(`  verified in ${(elapsedMs / 1000).toFixed(1)} s`);
  return lines.join('\n');
}
