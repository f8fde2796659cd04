/**
 * `worksample tasks verify <dir>`: proves a task package grades the way its author claims, in real
 * sandboxes through the same path a submission takes (attempt → workspace → Run → submit →
 * fresh-container grading with the gateway's mock model). Rows, by group:
 * - static: manifest, rubric, mock script, answer key, and every file the statement or tests open;
 * - visible tests: the reference solution passes the visible tests through the candidate's "Run tests";
 * - starter: the starter's `run` command exits 0 within the time limit;
 * - hidden tests: the reference solution passes every hidden test, the starter fails at least one,
 *   each wrong/<name> fails what it declares;
 * - tamper: each case of the built-in tamper corpus (server/tasks/tamper/) grades no better than
 *   the starter.
 * Like Kattis problemtools' verifyproblem, for take-homes.
 */
import path from 'node:path';
import os from 'node:os';
import { mkdir, mkdtemp, rm, writeFile as writeFs } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceContext } from '../platform/index.ts';
import { freeLoopbackPort } from '../platform/net.ts';
import { getBlob } from '../blobs/index.ts';
import { getVersion } from './import.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../logger/index.ts';
import { openDatabase } from '../db/index.ts';
import { randomIds, systemClock } from '../platform/index.ts';
import { createApp } from '../http/app.ts';
import { createSandboxDriver, limitsFromConfig, SandboxManager } from '../sandbox/index.ts';
import { imageFor, type EnvName } from '../sandbox/images/index.ts';
import type { LlmUpstream } from '../llm/index.ts';
import { parseMockScript } from '../llm/mock/index.ts';
import { createInvitation } from '../invitations/index.ts';
import { startAttempt, submitAttempt } from '../attempts/index.ts';
import { writeFile } from '../workspace/index.ts';
import { getGrade, type GradeView } from '../runs/grade.ts';
import { getRun, viewRun, type RunView } from '../runs/index.ts';
import type { RunService } from '../runs/index.ts';
import { missingReferences } from './references.ts';
import { stoppedAtStub, visibleTestSummary } from './verify-output.ts';
import { judgeTamper, tamperCorpus } from './tamper/index.ts';
import { loadTaskDir, type LoadedTask } from './load.ts';
import { importTask } from './import.ts';
import { answerKeyProblems, parseAnswerKey } from '../reviews/index.ts';

/** Where a row belongs in the verify table (the admin panel groups rows by it). */
export type VerifyGroup = 'static' | 'visible' | 'starter' | 'hidden' | 'tamper';

export interface VerifyCheck {
  group: VerifyGroup;
  check: string;
  ok: boolean;
  detail: string;
}

function staticChecks(task: LoadedTask): VerifyCheck[] {
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

/** A variant's files, laid over the starter workspace the attempt begins with (none for the starter). */
function overlay(task: LoadedTask, variant: string): Array<{ path: string; content: Buffer }> {
  if (variant === 'starter') return [];
  const prefix = `${variant}/`;
  return task.files
    .filter((f) => f.path.startsWith(prefix))
    .map((f) => ({ path: f.path.slice(prefix.length), content: f.content }));
}

function judge(variant: string, grade: GradeView | undefined, mustFail: string[] | undefined): VerifyCheck {
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
function judgeVisible(run: RunView | undefined): VerifyCheck {
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
function judgeStarterRun(run: RunView | undefined): VerifyCheck {
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

/** Runs jobs with at most n in flight. */
async function inParallel<T>(n: number, jobs: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  return out;
}

/** Starts a Run / Run tests exactly as the candidate's buttons do and waits for it to end. */
async function runAndWait(ctx: ServiceContext, runs: RunService, attemptId: string, kind: 'run' | 'test') {
  const started = await runs.start(attemptId, kind);
  await new Promise<void>((resolve) => {
    const stop = runs.hub.subscribe(started.id, 0, (e) => {
      if (e.type === 'exit') resolve();
    });
    if (!stop) resolve(); // already finished and forgotten by the hub
  });
  // The hub emits "exit" after the run's record is stored; read it back.
  return viewRun(await getRun(ctx, started.id));
}

/** Waits until the attempt's grade is final (done, error, or pending because sandboxes are down). */
async function gradeOf(
  ctx: ServiceContext,
  attemptId: string,
  limitMs: number,
): Promise<GradeView | undefined> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const grade = await getGrade(ctx, attemptId);
    if (grade && grade.status !== 'running') return grade;
    if (Date.now() > deadline) return grade;
    await sleep(200);
  }
}

/**
 * Verifies one task folder. Code tasks are graded in real sandboxes; others get the static checks.
 * `tamper: false` skips the tamper corpus (a quicker check while writing a task).
 */
export async function verifyTask(
  dir: string,
  deps: { config: Config; logger: Logger; llm: LlmUpstream; tamper?: boolean },
): Promise<VerifyCheck[]> {
  const loaded = await loadTaskDir(dir);
  if (!loaded.ok)
    return loaded.errors.map((e) => ({ group: 'static' as const, check: 'manifest', ok: false, detail: e }));
  const task = loaded.task;
  const checks = staticChecks(task);
  if (task.manifest.kind !== 'code') return checks;

  const { config, logger } = deps;
  const database = await openDatabase('sqlite::memory:');
  const driver = await createSandboxDriver(config, logger, (env) => imageFor(env as EnvName));
  const sandbox = new SandboxManager({
    driver,
    logger,
    limits: limitsFromConfig(config),
    poolSize: 0,
    warmEnvs: [],
    maxConcurrent: config.sandbox.maxConcurrent,
  });
  const app = createApp({
    database,
    clock: systemClock,
    ids: randomIds,
    sandbox,
    llm: deps.llm,
    logger,
    config,
  });
  try {
    const status = await driver.status();
    if (!status.ready)
      return [
        ...checks,
        { group: 'static', check: 'sandbox', ok: false, detail: status.detail ?? 'not ready' },
      ];
    await app.gateway.up('127.0.0.1');
    const { ctx } = app;
    const { version } = await importTask(ctx, dir);
    const gradeLimit = config.sandbox.gradeMs + 120_000;
    let n = 0;
    /** One candidate: start, write files, optionally Run before submitting, then the grade. */
    const candidate = async (
      name: string,
      files: Array<{ path: string; content: Buffer }>,
      before?: (attemptId: string) => Promise<RunView>,
    ) => {
      const { invitation } = await createInvitation(
        ctx,
        {
          taskSlug: version.slug,
          taskVersion: version.version,
          candidateName: name,
          candidateEmail: `verify-${n++}@worksample.local`,
        },
        null,
      );
      // Only candidates that Run need the attempt sandbox claimed at start; the others go straight
      // to grading, which takes a fresh sandbox anyway (one container per case, not two).
      const quiet = {
        ...ctx,
        hooks: { ...ctx.hooks!, attemptStarted: (id: string) => app.gateway.attemptStarted(id) },
      };
      const attempt = await startAttempt(before ? ctx : quiet, invitation.id);
      for (const f of files) await writeFile(ctx, attempt, f);
      const run = before ? await before(attempt.id).catch(() => undefined) : undefined;
      await submitAttempt(ctx, attempt.id, 'candidate');
      return { run, grade: await gradeOf(ctx, attempt.id, gradeLimit) };
    };

    const wrong = (task.manifest.wrong ?? []).map((w) => ({ name: `wrong/${w.name}`, mustFail: w.mustFail }));
    // The corpus attacks the machine it runs on (walks /, kills its parent, rewrites files): only
    // inside an isolating driver.
    const isolated = driver.name === 'docker';
    const corpus = deps.tamper === false || !isolated ? [] : tamperCorpus(task);
    // A few candidates in flight beyond the sandbox slots, so a slot never waits on database work.
    const width = Math.max(1, config.sandbox.maxConcurrent) + 2;
    const [solution, starter, ...rest] = await inParallel(width, [
      () => candidate('solution', overlay(task, 'solution'), (id) => runAndWait(ctx, app.runs, id, 'test')),
      () => candidate('starter', [], (id) => runAndWait(ctx, app.runs, id, 'run')),
      ...wrong.map((w) => () => candidate(w.name, overlay(task, w.name))),
      ...corpus.map((c) => () => candidate(`tamper ${c.id}`, c.files)),
    ]);
    checks.push(judgeVisible(solution!.run), judgeStarterRun(starter!.run));
    checks.push(judge('solution', solution!.grade, undefined), judge('starter', starter!.grade, undefined));
    wrong.forEach((w, i) => checks.push(judge(w.name, rest[i]!.grade, w.mustFail)));
    if (deps.tamper !== false && !isolated)
      checks.push({
        group: 'tamper',
        check: 'tamper corpus',
        ok: false,
        detail: `not run: the ${driver.name} sandbox driver gives no isolation, and these submissions attack the machine they run on; verify with SANDBOX_DRIVER=docker`,
      });
    corpus.forEach((c, i) => {
      const verdict = judgeTamper(c, rest[wrong.length + i]!.grade, starter!.grade);
      checks.push({ group: 'tamper', check: `tamper: ${c.id}`, ...verdict });
    });
    return checks;
  } finally {
    await app.runs.settle();
    await sandbox.close();
    await app.gateway.close();
    await database.close();
  }
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

/**
 * Verifies an imported task version (the "Verify" button): its stored files are written to a
 * temporary folder and checked exactly like `worksample tasks verify <dir>`, on a gateway port of
 * its own so a running server is undisturbed.
 */
export async function verifyVersion(
  ctx: ServiceContext,
  versionId: string,
  deps: { config: Config; logger: Logger; llm: LlmUpstream },
): Promise<VerifyCheck[]> {
  const version = await getVersion(ctx, versionId);
  const root = await mkdtemp(path.join(os.tmpdir(), 'ws-verify-'));
  const dir = path.join(root, version.slug);
  try {
    const files = await ctx.db
      .selectFrom('task_version_files')
      .select(['path', 'sha256'])
      .where('task_version_id', '=', versionId)
      .execute();
    for (const f of files) {
      const target = path.join(dir, f.path);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFs(target, (await getBlob(ctx.db, f.sha256)) ?? Buffer.alloc(0));
    }
    return await verifyTask(dir, {
      ...deps,
      config: { ...deps.config, gatewayPort: await freeLoopbackPort() },
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
