/**
 * Runs and grading: the candidate's "Run" / "Run tests" as recorded sandbox jobs with live output,
 * and one try at the hidden tests in a fresh sandbox producing a per-test report (`gradeOnce`; the
 * durable grading job around it is server/grading-jobs/). Each job is an
 * explicit state machine — prime (record, claim a slot and a sandbox, sync files) → execute →
 * cleanup (record the result, stop leftover processes) — with cleanup in `finally`.
 */
import { AppError } from '../errors/index.ts';
import type { AttemptHooks, ServiceContext } from '../platform/index.ts';
import { isUniqueViolation, type RunsTable } from '../db/index.ts';
import { fileContent } from '../workspace/index.ts';
import type { TaskManifest } from '../tasks/index.ts';
import { attemptWithManifest, recordEvent } from '../attempts/index.ts';
import type { SandboxManager, SlotTicket } from '../sandbox/index.ts';
import type {
  AttemptSandbox,
  ExecResult,
  RunningExec,
  SandboxFile,
  SandboxSession,
} from '../sandbox/index.ts';
import { isResourceShortage } from '../sandbox/index.ts';
import { RunHub } from './hub.ts';
import type { RunMirror } from './mirror.ts';
import { OutputCoalescer } from './coalesce.ts';
import { REPORT_DIR, testArgv, testReport } from './tests.ts';
import { BUILD_DIR, compileEntries, compilePlan, isCompileInput, warmCompiler } from './compile.ts';
import type { TestReport } from '../grading/index.ts';

export { RunHub, eventId, parseEventId, type RunEvent } from './hub.ts';
export { RunMirror } from './mirror.ts';
export { networkFor, type LlmAccess } from './llm-access.ts';
export { gradeOnce, SandboxLostError, type GradeOutcome } from './grade.ts';
import { networkFor, type LlmAccess } from './llm-access.ts';

export interface RunView {
  id: string;
  attemptId: string;
  kind: 'run' | 'test';
  argv: string[];
  status: RunsTable['status'];
  verdict: string | null;
  exitCode: number | null;
  durationMs: number | null;
  stdout: string;
  stderr: string;
  outputTruncated: boolean;
  createdAt: number;
  finishedAt: number | null;
  /** While waiting for a sandbox: place in line (1 = next); 0 once started; absent when not live. */
  queuePosition?: number | null;
  /** `Run tests`, once finished: the per-test results read from the runner's report. */
  tests?: TestReport | null;
}

/** A Run row from before leases, unfinished this long, belongs to a process that is gone. */
const RUN_CUT_OFF_MS = 30 * 60_000;

/**
 * An unfinished Run's lease: renewed every `renewMs` by its process, swept every `sweepMs` on
 * Postgres. Shorter than the background jobs' (JOB_LEASE) because a candidate is waiting: a dead
 * replica's Run frees the attempt's Run button within ≈ 20 s.
 */
export const RUN_LEASE = { ms: 15_000, renewMs: 5_000, sweepMs: 5_000 } as const;

const inProgress = () =>
  new AppError(
    'conflict',
    'a run is already in progress for this attempt; wait for it to finish or cancel it',
  );

export const viewRun = (r: RunsTable): RunView => ({
  id: r.id,
  attemptId: r.attempt_id,
  kind: r.kind,
  argv: JSON.parse(r.argv_json) as string[],
  status: r.status,
  verdict: r.verdict,
  exitCode: r.exit_code,
  durationMs: r.duration_ms,
  stdout: r.stdout,
  stderr: r.stderr,
  outputTruncated: r.output_truncated === 1,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
  tests: r.tests_json ? (JSON.parse(r.tests_json) as TestReport) : null,
});

/** The environment a code task runs in; other kinds have none. */
export function codeEnvironment(manifest: TaskManifest) {
  const env = manifest.environment;
  if (manifest.kind !== 'code' || !env) throw new AppError('bad_request', 'this task has no code to run');
  return env;
}

interface ActiveRun {
  attemptId: string;
  exec?: RunningExec;
  ticket?: SlotTicket;
  cancelled: boolean;
  /** Place in line for a sandbox (1 = next), 0 once started. */
  position: number;
}

export class RunService implements AttemptHooks {
  readonly hub = new RunHub();
  /** Postgres: live events mirrored for followers on other replicas (set by the composition root). */
  mirror?: RunMirror;
  private readonly active = new Map<string, ActiveRun>();
  /**
   * Attempts with a run being started or in progress. Claimed synchronously, before any await, so
   * concurrent requests for one attempt cannot all pass the "one run at a time" check; the database
   * backs it with a partial unique index (one unfinished run per attempt) across processes.
   */
  private readonly busy = new Set<string>();
  private readonly background = new Set<Promise<unknown>>();
  /**
   * The last compile per session (keyed by its synced-files map): reused while no input changed, and
   * written into the sandbox again only when it may have changed there (see `compile`).
   */
  private readonly builds = new WeakMap<Map<string, string>, Build>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly ctx: ServiceContext,
    readonly manager: SandboxManager,
    private readonly llm?: LlmAccess,
  ) {}

  /**
   * Settles the runs of processes that are gone, then keeps this process's leases: every unfinished run
   * row carries a lease its process renews while it runs. `exclusive` (SQLite: the only process on its
   * database) cuts off every unfinished run at start; otherwise (Postgres replicas) runs past their
   * lease are cut off at start and every RUN_LEASE.sweepMs, so a replica killed mid-Run frees the
   * attempt's Run button on the others within about a lease.
   */
  async recover(opts: { exclusive: boolean }): Promise<void> {
    await this.cutOff(
      opts.exclusive ? 'all' : 'lapsed',
      'worksample: the server restarted during this run\n',
    );
    const every = (ms: number, job: () => Promise<unknown>) => {
      const t = setInterval(
        () => void job().catch((err: unknown) => this.ctx.logger.warn({ err }, 'run lease upkeep failed')),
        ms,
      );
      t.unref();
      this.timers.push(t);
    };
    every(RUN_LEASE.renewMs, () => this.renewLeases());
    if (!opts.exclusive)
      every(RUN_LEASE.sweepMs, () =>
        this.cutOff('lapsed', 'worksample: the server running this run stopped during it; run it again\n'),
      );
  }

  /** Stops the lease upkeep (shutdown). */
  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  /** Extends the lease of every run this process has queued or running. */
  async renewLeases(): Promise<void> {
    const ids = [...this.active.keys()];
    if (!ids.length) return;
    await this.ctx.db
      .updateTable('runs')
      .set({ lease_until: this.ctx.clock.now() + RUN_LEASE.ms })
      .where('id', 'in', ids)
      .where('status', '!=', 'done')
      .execute();
  }

  /**
   * Ends unfinished runs of processes that are gone, as `error` with `why` on stderr: every one
   * (`all`), or those past their lease (rows from before leases: older than RUN_CUT_OFF_MS).
   */
  async cutOff(which: 'all' | 'lapsed', why: string): Promise<number> {
    const now = this.ctx.clock.now();
    const r = await this.ctx.db
      .updateTable('runs')
      .set({ status: 'done', verdict: 'error', stderr: why, finished_at: now, lease_until: null })
      .where('status', '!=', 'done')
      .$if(which === 'lapsed', (q) =>
        q.where((eb) =>
          eb.or([
            eb('lease_until', '<', now),
            eb.and([eb('lease_until', 'is', null), eb('created_at', '<', now - RUN_CUT_OFF_MS)]),
          ]),
        ),
      )
      .executeTakeFirst();
    const n = Number(r.numUpdatedRows);
    if (n && which === 'lapsed')
      this.ctx.logger.warn({ runs: n }, 'cut off runs whose server stopped renewing them');
    return n;
  }

  /** Runs p in the background; settle() waits for it (tests, shutdown). */
  track(p: Promise<unknown>) {
    const q = p
      .catch((err) => this.ctx.logger.error({ err }, 'background sandbox job failed'))
      .finally(() => this.background.delete(q));
    this.background.add(q);
  }

  /** Waits for background jobs (grading, releases) — for tests and shutdown. */
  async settle(): Promise<void> {
    while (this.background.size) await Promise.all([...this.background]);
  }

  attemptStarted(attemptId: string): void {
    // Claim the sandbox now so the first Run does not wait for a container.
    this.track(
      (async () => {
        const { manifest } = await attemptWithManifest(this.ctx, attemptId);
        if (manifest.kind !== 'code' || !manifest.environment) return;
        if (manifest.environment.compile) warmCompiler();
        if (!(await this.manager.status()).ready) return;
        await this.manager
          .forAttempt(attemptId, manifest.environment.image, networkFor(manifest), { background: true })
          .catch((err: unknown) => {
            // Only a head start: the first Run creates the session when there are resources again.
            if (!isResourceShortage(err)) throw err;
            this.ctx.logger.info(
              { attemptId, reason: err.message },
              'no sandbox pre-warmed for a new attempt',
            );
          });
      })(),
    );
  }

  /** Ends the attempt's runs and gives its container back (grading runs in a fresh one, as a job). */
  attemptSubmitted(attemptId: string): void {
    for (const [runId, r] of this.active) if (r.attemptId === attemptId) this.cancel(runId);
    this.track(this.manager.release(attemptId));
  }

  /**
   * Starts a run of the task's run or test command. One run at a time per attempt (409); a place in
   * the sandbox queue is claimed before anything is recorded (429 with Retry-After when it is full).
   */
  async start(
    attemptId: string,
    kind: 'run' | 'test',
    input: { stdin?: string; interactive?: boolean } = {},
  ): Promise<RunView> {
    // Synchronous check-and-claim: no await between them.
    if (this.busy.has(attemptId)) throw inProgress();
    this.busy.add(attemptId);
    const runId = this.ctx.ids.id('run');
    let entry: ActiveRun | undefined;
    try {
      const { manifest } = await attemptWithManifest(this.ctx, attemptId);
      const env = codeEnvironment(manifest);
      const status = await this.manager.status();
      if (!status.ready)
        throw new AppError(
          'unavailable',
          `code cannot run right now: ${status.detail ?? 'the sandbox is not ready'}`,
        );
      const argv =
        kind === 'run' ? env.run : testArgv(env, manifest, await this.workspacePaths(attemptId), runId).argv;
      const now = this.ctx.clock.now();
      const row: RunsTable = {
        id: runId,
        attempt_id: attemptId,
        kind,
        argv_json: JSON.stringify(argv),
        status: 'queued',
        verdict: null,
        exit_code: null,
        duration_ms: null,
        stdout: '',
        stderr: '',
        output_truncated: 0,
        created_at: now,
        finished_at: null,
        lease_until: now + RUN_LEASE.ms,
      };
      // Both streams' caps plus their truncation markers: the most a run's live replay may hold.
      this.hub.open(runId, { maxBytes: 2 * this.manager.limits.outputBytes + 1024 });
      const e: ActiveRun = { attemptId, cancelled: false, position: 0 };
      entry = e;
      e.ticket = this.manager.claim({
        owner: attemptId,
        kind: 'run',
        onPosition: (position) => {
          e.position = position;
          if (position > 0) this.hub.emit(runId, { type: 'queued', data: { position } });
        },
      });
      try {
        await this.ctx.db.insertInto('runs').values(row).execute();
      } catch (err) {
        // Another server process on the same database started a run of this attempt.
        throw isUniqueViolation(err) ? inProgress() : err;
      }
      this.active.set(runId, e);
      this.track(this.execute(row, e, env.image, networkFor(manifest), input, env.compile));
      return { ...viewRun(row), queuePosition: e.position };
    } catch (err) {
      entry?.ticket?.cancel();
      this.hub.forget(runId);
      this.busy.delete(attemptId);
      throw err;
    }
  }

  /** Place in line of a live run (1 = next), 0 once started; null when not live here. */
  queuePosition(runId: string): number | null {
    return this.active.get(runId)?.position ?? null;
  }

  private async execute(
    row: RunsTable,
    entry: ActiveRun,
    image: string,
    network: 'none' | 'gateway',
    input: { stdin?: string; interactive?: boolean },
    compile?: 'esbuild',
  ) {
    let result: ExecResult | undefined;
    let failure: string | undefined;
    let closeWindow: (() => void) | undefined;
    let report: TestReport | undefined;
    const out = new OutputCoalescer((stream, data) => this.hub.emit(row.id, { type: stream, data }));
    try {
      // prime
      await entry.ticket!.run(async () => {
        if (entry.cancelled) return;
        // The attempt's session (recreated from the stored files if it was reclaimed while idle); a
        // shortage here sends this job back to the head of the line (it shows as waiting, not failed).
        await this.manager.useAttempt(row.attempt_id, image, network, async (sb) => {
          const want = await this.workspaceShas(row.attempt_id);
          // The recorded argv stays the task's command; a compiled run execs node on the build.
          let argv = JSON.parse(row.argv_json) as string[];
          const t0 = performance.now();
          const built = compile ? await this.compile(row.attempt_id, sb, argv, want) : undefined;
          // One archive for the changed files and a new build.
          await this.sync(row.attempt_id, sb.session, sb.synced, want, built?.ok ? built.files : []);
          if (built?.ok) built.build.inSandbox = true;
          const claimed = await this.ctx.db
            .updateTable('runs')
            .set({ status: 'running' })
            .where('id', '=', row.id)
            .where('status', '=', 'queued')
            .executeTakeFirst();
          // Another replica cut this run off while this process was stalled: run nothing.
          if (!Number(claimed.numUpdatedRows)) {
            entry.cancelled = true;
            return;
          }
          this.hub.emit(row.id, { type: 'status', data: { status: 'running' } });
          if (built) {
            if (!built.ok) {
              // Nothing runs: the compiler's message is the run's output, like a failed start of node.
              out.push('stderr', Buffer.from(built.message));
              const text = (s: string) => ({ text: s, bytes: Buffer.byteLength(s), truncated: false });
              result = {
                verdict: 'error',
                exitCode: 1,
                durationMs: Math.round(performance.now() - t0),
                stdout: text(''),
                stderr: text(built.message),
              };
              if (row.kind === 'test')
                report = testReport('tap', '', await this.workspacePaths(row.attempt_id));
              return;
            }
            argv = built.argv;
          }
          // execute; the gateway accepts this attempt's key only while a run is live
          let env: Record<string, string> | undefined;
          if (network === 'gateway' && this.llm) {
            // A job sent back to the queue (a shortage before its exec started) comes here again: one window.
            closeWindow?.();
            closeWindow = this.llm.openWindow(row.attempt_id, 'attempt');
            env = await this.llm.envFor(row.attempt_id, 'attempt', sb.session.gatewayAddress);
          }
          const exec = this.manager.exec(sb.session, {
            argv,
            env,
            stdin: input.stdin,
            // Interactive runs keep stdin open for the terminal; others see EOF after the given input.
            closeStdin: !input.interactive,
            onStdout: (c) => out.push('stdout', c),
            onStderr: (c) => out.push('stderr', c),
          });
          entry.exec = exec;
          if (entry.cancelled) exec.cancel();
          // The driver ends every process of the candidate after the exec (whatever the program did to
          // its own parent) and checks that none is left; if it could not, the container goes.
          result = await exec.result;
          // A program that failed may have failed by removing or changing the build: write it again.
          if (built?.ok && result.verdict !== 'ok') built.build.inSandbox = false;
          if (row.kind === 'test') report = await this.readReport(sb.session, row, result.stdout.text);
          if (result.cleanup && !result.cleanup.ok) {
            this.ctx.logger.error(
              { runId: row.id, attemptId: row.attempt_id, detail: result.cleanup.detail },
              'processes of a run survived cleanup; destroying the sandbox',
            );
            await this.manager.release(row.attempt_id);
          }
        });
      });
    } catch (err) {
      if (!entry.cancelled || result) {
        failure = err instanceof Error ? err.message : String(err);
        this.ctx.logger.error({ err, runId: row.id }, 'run failed in the sandbox');
      }
    } finally {
      // cleanup
      closeWindow?.();
      out.close();
      this.active.delete(row.id);
      const verdict = result?.verdict ?? (entry.cancelled ? 'cancelled' : 'error');
      const update = {
        status: 'done' as const,
        verdict,
        exit_code: result?.exitCode ?? null,
        duration_ms: result?.durationMs ?? 0,
        stdout: result?.stdout.text ?? '',
        stderr: result?.stderr.text ?? (failure ? `worksample: the sandbox failed: ${failure}\n` : ''),
        output_truncated: result && (result.stdout.truncated || result.stderr.truncated) ? 1 : 0,
        finished_at: this.ctx.clock.now(),
        lease_until: null,
        tests_json: report ? JSON.stringify(report) : null,
      };
      // What followers are told at the end: this result, or the record another replica already wrote.
      let ended = {
        verdict,
        exitCode: update.exit_code,
        durationMs: update.duration_ms,
        stderr: update.stderr,
      };
      try {
        // One transaction: one synchronous commit for the record and the timeline event. A record
        // already done was cut off by another replica while this process stalled (its lease lapsed);
        // the candidate was told so and may have started another run: it is not overwritten.
        const stale = await this.ctx.db.transaction().execute(async (trx) => {
          const wrote = await trx
            .updateTable('runs')
            .set(update)
            .where('id', '=', row.id)
            .where('status', '!=', 'done')
            .executeTakeFirst();
          if (!Number(wrote.numUpdatedRows)) return true;
          await recordEvent(trx, {
            attemptId: row.attempt_id,
            at: update.finished_at,
            type: `run.${row.kind}`,
            payload: { runId: row.id, verdict },
          });
          return false;
        });
        if (stale) {
          const rec = await this.ctx.db
            .selectFrom('runs')
            .select(['verdict', 'exit_code', 'duration_ms', 'stderr'])
            .where('id', '=', row.id)
            .executeTakeFirstOrThrow();
          this.ctx.logger.warn(
            { runId: row.id },
            'run was cut off by another server; its late result is dropped',
          );
          ended = {
            verdict: (rec.verdict ?? 'error') as typeof verdict,
            exitCode: rec.exit_code,
            durationMs: rec.duration_ms ?? 0,
            stderr: rec.stderr,
          };
        }
      } finally {
        this.busy.delete(row.attempt_id);
        if (ended.stderr !== update.stderr || (failure && !result))
          this.hub.emit(row.id, { type: 'stderr', data: ended.stderr });
        this.hub.emit(row.id, {
          type: 'exit',
          data: { verdict: ended.verdict, exitCode: ended.exitCode, durationMs: ended.durationMs },
        });
      }
    }
  }

  /**
   * `environment.compile: esbuild`: compiles the command's entries (server/runs/compile.ts) unless the
   * session's last build had the same inputs. Returns the argv to exec and the build files the
   * sandbox needs (none when it already holds this build). Undefined when the command runs as written.
   */
  private async compile(attemptId: string, sb: AttemptSandbox, argv: string[], want: Map<string, string>) {
    const plan = compilePlan(argv, new Set(want.keys()));
    if (!plan) return undefined;
    const inputs = [...want].filter(([p]) => isCompileInput(p)).sort(([a], [b]) => (a < b ? -1 : 1));
    const key = JSON.stringify([plan.entries, inputs]);
    let build = this.builds.get(sb.synced);
    if (build?.key !== key) {
      const files = new Map<string, string>();
      for (const [path, sha] of inputs) {
        const content = await fileContent(this.ctx, attemptId, sha);
        if (content) files.set(path, content.toString('utf8'));
      }
      const r = await compileEntries(plan.entries, files, sb.session.workspacePath ?? '/workspace');
      if (!r.ok) return r;
      build = { key, files: r.files, inSandbox: false };
      this.builds.set(sb.synced, build);
    }
    // A workspace file of the candidate's own inside the build folder may have overwritten it.
    const clash = [...want.keys()].some((p) => p.startsWith(`${BUILD_DIR}/`));
    const files = build.inSandbox && !clash ? [] : build.files;
    return { ok: true as const, argv: plan.argv, build, files };
  }

  /** path → sha256 of the attempt's workspace files. */
  private async workspaceShas(attemptId: string): Promise<Map<string, string>> {
    const rows = await this.ctx.db
      .selectFrom('workspace_files')
      .select(['path', 'sha256'])
      .where('attempt_id', '=', attemptId)
      .execute();
    return new Map(rows.map((r) => [r.path, r.sha256]));
  }

  private async workspacePaths(attemptId: string): Promise<string[]> {
    const rows = await this.ctx.db
      .selectFrom('workspace_files')
      .select('path')
      .where('attempt_id', '=', attemptId)
      .execute();
    return rows.map((r) => r.path);
  }

  /** The per-test results of a finished test run: TAP on stdout, or the JUnit file pytest wrote. */
  private async readReport(session: SandboxSession, row: RunsTable, stdout: string): Promise<TestReport> {
    const argv = JSON.parse(row.argv_json) as string[];
    const junit = argv.find((a) => a.startsWith(`--junitxml=${REPORT_DIR}/`))?.slice('--junitxml='.length);
    const paths = await this.workspacePaths(row.attempt_id);
    if (!junit) return testReport('tap', stdout, paths);
    const files = await this.manager
      .getFiles(session, { under: junit, maxBytes: 4 * 1024 * 1024 })
      .catch(() => [] as SandboxFile[]);
    await this.manager.putFiles(session, [], [junit]).catch(() => {});
    const file = files.find((f) => f.path === junit);
    return testReport('junit', file?.content.toString('utf8'), paths);
  }

  /**
   * The attempt's session (created, or recreated after an idle reclaim) holding the saved workspace
   * files: the terminal opens its shell there and syncs again before each command it sends.
   */
  async syncedSession(
    attemptId: string,
    image: string,
    network: 'none' | 'gateway',
  ): Promise<SandboxSession> {
    return this.manager.useAttempt(attemptId, image, network, async (sb) => {
      await this.sync(attemptId, sb.session, sb.synced, await this.workspaceShas(attemptId));
      return sb.session;
    });
  }

  /**
   * Sends the sandbox only what changed since the last sync (plus `extra`, files that are not the
   * candidate's, such as a build), and deletes what was removed.
   */
  private async sync(
    attemptId: string,
    session: SandboxSession,
    synced: Map<string, string>,
    want: Map<string, string>,
    extra: SandboxFile[] = [],
  ) {
    const deletes = [...synced.keys()].filter((p) => !want.has(p));
    const changed: SandboxFile[] = [];
    for (const [path, sha] of want) {
      if (synced.get(path) === sha) continue;
      const content = await fileContent(this.ctx, attemptId, sha);
      if (content) changed.push({ path, content });
    }
    if (!changed.length && !deletes.length && !extra.length) return;
    await this.manager.putFiles(session, [...changed, ...extra], deletes);
    for (const p of deletes) synced.delete(p);
    for (const f of changed) synced.set(f.path, want.get(f.path)!);
  }

  cancel(runId: string): boolean {
    const entry = this.active.get(runId);
    if (!entry) return false;
    entry.cancelled = true;
    entry.ticket?.cancel(); // gives up a place in line; a started run is stopped below
    entry.exec?.cancel();
    return true;
  }

  writeStdin(runId: string, data: string, close: boolean): boolean {
    const entry = this.active.get(runId);
    if (!entry?.exec) return false;
    if (data) entry.exec.write(data);
    if (close) entry.exec.closeStdin();
    return true;
  }
}

interface Build {
  key: string;
  files: SandboxFile[];
  /** The sandbox holds these files as built (set after writing them, cleared when a run fails). */
  inSandbox: boolean;
}

export async function listRuns(ctx: ServiceContext, attemptId: string): Promise<RunView[]> {
  const rows = await ctx.db
    .selectFrom('runs')
    .selectAll()
    .where('attempt_id', '=', attemptId)
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
  return rows.map(viewRun);
}

export async function getRun(ctx: ServiceContext, runId: string): Promise<RunsTable> {
  const row = await ctx.db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirst();
  if (!row) throw new AppError('not_found', 'run not found');
  return row;
}
