/**
 * `worksample tasks verify <dir>`: proves a task package grades the way its author claims, in real
 * sandboxes through the same path a submission takes (attempt → workspace → Run → submit →
 * fresh-container grading with the gateway's mock model). Rows, by group:
 * - static: manifest, rubric, mock script, answer key, and every file the statement or tests open;
 * - visible tests: the reference solution passes the visible tests through the candidate's "Run tests";
 * - starter: the starter's `run` command exits 0 in time (or stops only at the stub to write);
 * - hidden tests: the reference solution passes every hidden test, the starter fails at least one,
 *   each wrong/<name> fails what it declares;
 * - tamper: each case of the built-in tamper corpus (server/tasks/tamper/) grades no better than
 *   the starter.
 * Like Kattis problemtools' verifyproblem, for take-homes.
 */
import os from 'node:os';
import path from 'node:path';
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
import { createInvitation } from '../invitations/index.ts';
import { startAttempt, submitAttempt } from '../attempts/index.ts';
import { writeFile } from '../workspace/index.ts';
import { getGrade, type GradeView } from '../runs/grade.ts';
import { getRun, viewRun, type RunService, type RunView } from '../runs/index.ts';
import { judgeTamper, tamperCorpus } from './tamper/index.ts';
import { loadTaskDir, type LoadedTask } from './load.ts';
import { importTask } from './import.ts';
import { judge, judgeStarterRun, judgeVisible, staticChecks, type VerifyCheck } from './verify-rows.ts';

export { formatChecks, type VerifyCheck, type VerifyGroup } from './verify-rows.ts';

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
    const isolated = driver.name === 'docker';
    const corpus = deps.tamper === false || !isolated ? [] : tamperCorpus(task);
    // A few candidates in flight beyond the sandbox slots, so a slot never waits on database work.
    const width = Math.max(1, config.sandbox.maxConcurrent) + 2;
    // The two Runs go first and alone: they have the candidate's run time limit, which a host busy
    // grading everything else could push them over.
    const runs = await Promise.all([
      prepare('solution', overlay(task, 'solution'), (id) => runAndWait(ctx, app.runs, id, 'test')),
      prepare('starter', [], (id) => runAndWait(ctx, app.runs, id, 'run')),
    ]);
    const [solution, starter, ...rest] = await inParallel(width, [
      () => submit(runs[0]),
      () => submit(runs[1]),
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
