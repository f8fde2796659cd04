/**
 * `worksample tasks verify <dir>`: proves a task package grades the way its author claims, in real
 * sandboxes through the same path a submission takes (attempt → workspace → Run → submit →
 * fresh-container grading with the gateway's mock model). Rows, by group:
 * - static: manifest, rubric, mock script, answer key, and every file the statement or tests open;
 * - visible tests: the reference solution passes the visible tests through the candidate's "Run tests";
 * - starter: the starter's `run` command exits 0 in time (or stops only at the stub to write);
 * - hidden tests: the reference solution passes every hidden test, the starter fails at least one,
 *   each wrong/<name> fails what it declares;
 * - tamper: each case of the built-in tamper corpus (server/verify/tamper/) grades no better than
 *   the starter.
 * Like Kattis problemtools' verifyproblem, for take-homes.
 */
import os from 'node:os';
import path from 'node:path';
import { mkdir, mkdtemp, rm, writeFile as writeFs } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceContext } from '../platform/index.ts';
import { getVersion, importTask, loadTaskDir, versionFiles, type LoadedTask } from '../tasks/index.ts';
import type { Gateway } from '../llm-gateway/index.ts';
import { createInvitation } from '../invitations/index.ts';
import { startAttempt, submitAttempt } from '../attempts/index.ts';
import { writeFile } from '../workspace/index.ts';
import { getRun, viewRun, type RunService, type RunView } from '../runs/index.ts';
import { getGrade, type GradeView } from '../grading-jobs/index.ts';
import { judgeTamper, tamperCorpus } from './tamper/index.ts';
import { judge, judgeStarterRun, judgeVisible, staticChecks, type VerifyCheck } from './rows.ts';

/** A variant's files, laid over the starter workspace the attempt begins with (none for the starter). */
function overlay(task: LoadedTask, variant: string): Array<{ path: string; content: Buffer }> {
  if (variant === 'starter') return [];
  const prefix = `${variant}/`;
  return task.files
    .filter((f) => f.path.startsWith(prefix))
    .map((f) => ({ path: f.path.slice(prefix.length), content: f.content }));
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

/** Waits until the attempt's grade is final (done or failed; engine errors are retried until then). */
async function gradeOf(
  ctx: ServiceContext,
  attemptId: string,
  limitMs: number,
): Promise<GradeView | undefined> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const grade = await getGrade(ctx, attemptId);
    if (grade && (grade.status === 'done' || grade.status === 'failed')) return grade;
    if (Date.now() > deadline) return grade;
    await sleep(200);
  }
}

/** What verification runs on: the application's own services (never a second copy of them). */
export interface VerifyServices {
  ctx: ServiceContext;
  runs: RunService;
  gateway: Pick<Gateway, 'attemptStarted'>;
  /** The sandbox driver's name: the tamper corpus runs only inside an isolating driver. */
  driverName: string;
  sandboxStatus(): Promise<{ ready: boolean; detail?: string }>;
}

export interface VerifyOptions {
  /** false skips the tamper corpus (a quicker check while writing a task). */
  tamper?: boolean;
}

/**
 * Verifies a loaded task whose version is imported in `services`' database. Code tasks are graded
 * in real sandboxes through the services' own run queue, gateway and sandbox manager (counted against
 * SANDBOX_MAX_CONCURRENT, held as live sessions so no orphan sweep removes them); the attempts it
 * creates are verification attempts, kept out of candidate lists, review queues and exports.
 */
export async function verifyLoaded(
  services: VerifyServices,
  task: LoadedTask,
  version: { slug: string; version: number },
  opts: VerifyOptions = {},
): Promise<VerifyCheck[]> {
  const checks = staticChecks(task);
  if (task.manifest.kind !== 'code') return checks;
  const { ctx, runs, gateway } = services;
  const status = await services.sandboxStatus();
  if (!status.ready)
    return [
      ...checks,
      { group: 'static', check: 'sandbox', ok: false, detail: status.detail ?? 'not ready' },
    ];
  const config = ctx.config;
  const gradeLimit = config.sandbox.gradeMs + 120_000;
  let n = 0;
  /** One candidate: start the attempt, write its files, and optionally Run before submitting. */
  const prepare = async (
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
        candidateEmail: `verify-${Date.now().toString(36)}-${n++}@worksample.local`,
      },
      null,
      'verify',
    );
    // Only candidates that Run need the attempt sandbox claimed at start; the others go straight
    // to grading, which takes a fresh sandbox anyway (one container per case, not two).
    const quiet = {
      ...ctx,
      hooks: { ...ctx.hooks!, attemptStarted: (id: string) => gateway.attemptStarted(id) },
    };
    const attempt = await startAttempt(before ? ctx : quiet, invitation.id);
    for (const f of files) await writeFile(ctx, attempt, f);
    const run = before ? await before(attempt.id).catch(() => undefined) : undefined;
    return { attemptId: attempt.id, run };
  };
  const submit = async (p: { attemptId: string; run?: RunView }) => {
    await submitAttempt(ctx, p.attemptId, 'candidate');
    return { run: p.run, grade: await gradeOf(ctx, p.attemptId, gradeLimit) };
  };
  const candidate = async (name: string, files: Array<{ path: string; content: Buffer }>) =>
    submit(await prepare(name, files));

  const wrong = (task.manifest.wrong ?? []).map((w) => ({ name: `wrong/${w.name}`, mustFail: w.mustFail }));
  // The corpus attacks the machine it runs on (walks /, kills its parent, rewrites files): only
  // inside an isolating driver.
  const isolated = services.driverName === 'docker';
  const corpus = opts.tamper === false || !isolated ? [] : tamperCorpus(task);
  // A few candidates in flight beyond the sandbox slots, so a slot never waits on database work.
  const width = Math.max(1, config.sandbox.maxConcurrent) + 2;
  // The two Runs go first and alone: they have the candidate's run time limit, which a host busy
  // grading everything else could push them over.
  const started = await Promise.all([
    prepare('solution', overlay(task, 'solution'), (id) => runAndWait(ctx, runs, id, 'test')),
    prepare('starter', [], (id) => runAndWait(ctx, runs, id, 'run')),
  ]);
  const [solution, starter, ...rest] = await inParallel(width, [
    () => submit(started[0]),
    () => submit(started[1]),
    ...wrong.map((w) => () => candidate(w.name, overlay(task, w.name))),
    ...corpus.map((c) => () => candidate(`tamper ${c.id}`, c.files)),
  ]);
  checks.push(judgeVisible(solution!.run), judgeStarterRun(starter!.run));
  checks.push(judge('solution', solution!.grade, undefined), judge('starter', starter!.grade, undefined));
  wrong.forEach((w, i) => checks.push(judge(w.name, rest[i]!.grade, w.mustFail)));
  if (opts.tamper !== false && !isolated)
    checks.push({
      group: 'tamper',
      check: 'tamper corpus',
      ok: false,
      detail: `not run: the ${services.driverName} sandbox driver gives no isolation, and these submissions attack the machine they run on; verify with SANDBOX_DRIVER=docker`,
    });
  corpus.forEach((c, i) => {
    const verdict = judgeTamper(c, rest[wrong.length + i]!.grade, starter!.grade);
    checks.push({ group: 'tamper', check: `tamper: ${c.id}`, ...verdict });
  });
  return checks;
}

/** Verifies a task folder: loads it, imports it into the services' database, then verifyLoaded. */
export async function verifyDir(
  services: VerifyServices,
  dir: string,
  opts: VerifyOptions = {},
): Promise<VerifyCheck[]> {
  const loaded = await loadTaskDir(dir);
  if (!loaded.ok)
    return loaded.errors.map((e) => ({ group: 'static' as const, check: 'manifest', ok: false, detail: e }));
  if (loaded.task.manifest.kind !== 'code') return staticChecks(loaded.task);
  const { version } = await importTask(services.ctx, dir);
  return verifyLoaded(services, loaded.task, version, opts);
}

/**
 * Verifies an imported task version (the "Verify" button): its stored files are written to a
 * temporary folder, loaded like `worksample tasks verify <dir>`, and checked on the running
 * application's own services.
 */
export async function verifyVersion(
  services: VerifyServices,
  versionId: string,
  opts: VerifyOptions = {},
): Promise<VerifyCheck[]> {
  const { ctx } = services;
  const version = await getVersion(ctx, versionId);
  const root = await mkdtemp(path.join(os.tmpdir(), 'ws-verify-'));
  const dir = path.join(root, version.slug);
  try {
    for (const f of await versionFiles(ctx, versionId)) {
      const target = path.join(dir, f.path);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFs(target, f.content);
    }
    const loaded = await loadTaskDir(dir);
    if (!loaded.ok)
      return loaded.errors.map((e) => ({
        group: 'static' as const,
        check: 'manifest',
        ok: false,
        detail: e,
      }));
    return await verifyLoaded(services, loaded.task, version, opts);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
