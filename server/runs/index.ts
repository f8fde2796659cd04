/**
 * Runs and grading: the candidate's "Run" / "Run tests" as recorded sandbox jobs with live output,
 * and, at submit, the hidden tests in a fresh sandbox producing a per-test report. Each job is an
 * explicit state machine — prime (record, claim a slot and a sandbox, sync files) → execute →
 * cleanup (record the result, stop leftover processes) — with cleanup in `finally`.
 */
import { AppError } from '../errors/index.ts';
import type { AttemptHooks, ServiceContext } from '../platform/index.ts';
import type { RunsTable } from '../db/schema.ts';
import { getBlob } from '../blobs/index.ts';
import type { TaskManifest } from '../tasks/manifest.ts';
import { attemptWithManifest, recordEvent } from '../attempts/index.ts';
import type { SandboxManager } from '../sandbox/manager.ts';
import type { ExecResult, RunningExec, SandboxFile } from '../sandbox/types.ts';
import { RunHub } from './hub.ts';
import { gradeAttempt } from './grade.ts';

export { RunHub, type RunEvent } from './hub.ts';
export { networkFor, type LlmAccess } from './llm-access.ts';
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
}

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
});

/** The environment a code task runs in; other kinds have none. */
export function codeEnvironment(manifest: TaskManifest) {
  const env = manifest.environment;
  if (manifest.kind !== 'code' || !env) throw new AppError('bad_request', 'this task has no code to run');
  return env;
}

export class RunService implements AttemptHooks {
  readonly hub = new RunHub();
  private readonly active = new Map<string, { attemptId: string; exec?: RunningExec; cancelled: boolean }>();
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    private readonly ctx: ServiceContext,
    readonly manager: SandboxManager,
    private readonly llm?: LlmAccess,
  ) {}

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
        if ((await this.manager.driver.status()).ready)
          await this.manager.forAttempt(attemptId, manifest.environment.image, networkFor(manifest));
      })(),
    );
  }

  attemptSubmitted(attemptId: string): void {
    this.track(
      (async () => {
        for (const [runId, r] of this.active) if (r.attemptId === attemptId) this.cancel(runId);
        await this.manager.release(attemptId);
        await gradeAttempt(this.ctx, this.manager, attemptId, this.llm);
      })(),
    );
  }

  /** Starts a run of the task's run or test command. One run at a time per attempt. */
  async start(
    attemptId: string,
    kind: 'run' | 'test',
    input: { stdin?: string; interactive?: boolean } = {},
  ): Promise<RunView> {
    const { manifest } = await attemptWithManifest(this.ctx, attemptId);
    const env = codeEnvironment(manifest);
    if ([...this.active.values()].some((r) => r.attemptId === attemptId)) {
      throw new AppError('conflict', 'a run is already in progress; wait for it or cancel it');
    }
    const status = await this.manager.driver.status();
    if (!status.ready)
      throw new AppError(
        'unavailable',
        `code cannot run right now: ${status.detail ?? 'the sandbox is not ready'}`,
      );
    const argv = kind === 'run' ? env.run : env.test;
    const now = this.ctx.clock.now();
    const row: RunsTable = {
      id: this.ctx.ids.id('run'),
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
    };
    await this.ctx.db.insertInto('runs').values(row).execute();
    this.hub.open(row.id);
    this.active.set(row.id, { attemptId, cancelled: false });
    this.track(this.execute(row, env.image, networkFor(manifest), input));
    return viewRun(row);
  }

  private async execute(
    row: RunsTable,
    image: string,
    network: 'none' | 'gateway',
    input: { stdin?: string; interactive?: boolean },
  ) {
    let result: ExecResult | undefined;
    let failure: string | undefined;
    const entry = this.active.get(row.id)!;
    try {
      // prime
      await this.manager.slot(async () => {
        if (entry.cancelled) return;
        const sb = await this.manager.forAttempt(row.attempt_id, image, network);
        await this.sync(row.attempt_id, sb.session, sb.synced);
        await this.ctx.db.updateTable('runs').set({ status: 'running' }).where('id', '=', row.id).execute();
        this.hub.emit(row.id, { type: 'status', data: { status: 'running' } });
        // execute
        const env =
          network === 'gateway' && this.llm
            ? await this.llm.envFor(row.attempt_id, 'attempt', sb.session.gatewayAddress)
            : undefined;
        const exec = this.manager.driver.exec(sb.session, {
          argv: JSON.parse(row.argv_json) as string[],
          env,
          stdin: input.stdin,
          // Interactive runs keep stdin open for the terminal; others see EOF after the given input.
          closeStdin: !input.interactive,
          onStdout: (c) => this.hub.emit(row.id, { type: 'stdout', data: c.toString('utf8') }),
          onStderr: (c) => this.hub.emit(row.id, { type: 'stderr', data: c.toString('utf8') }),
        });
        entry.exec = exec;
        if (entry.cancelled) exec.cancel();
        // The driver ends the run's leftover background processes as part of the exec.
        result = await exec.result;
      });
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
      this.ctx.logger.error({ err, runId: row.id }, 'run failed in the sandbox');
    } finally {
      // cleanup
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
      };
      // One transaction: one synchronous commit for the record and the timeline event.
      await this.ctx.db.transaction().execute(async (trx) => {
        await trx.updateTable('runs').set(update).where('id', '=', row.id).execute();
        await recordEvent(trx, {
          attemptId: row.attempt_id,
          at: update.finished_at,
          type: `run.${row.kind}`,
          payload: { runId: row.id, verdict },
        });
      });
      if (failure && !result) this.hub.emit(row.id, { type: 'stderr', data: update.stderr });
      this.hub.emit(row.id, {
        type: 'exit',
        data: { verdict, exitCode: update.exit_code, durationMs: update.duration_ms },
      });
    }
  }

  /** Sends the sandbox only what changed since the last sync, and deletes what was removed. */
  private async sync(
    attemptId: string,
    session: Parameters<SandboxManager['driver']['putFiles']>[0],
    synced: Map<string, string>,
  ) {
    const rows = await this.ctx.db
      .selectFrom('workspace_files')
      .select(['path', 'sha256'])
      .where('attempt_id', '=', attemptId)
      .execute();
    const want = new Map(rows.map((r) => [r.path, r.sha256]));
    const deletes = [...synced.keys()].filter((p) => !want.has(p));
    const changed: SandboxFile[] = [];
    for (const [path, sha] of want) {
      if (synced.get(path) === sha) continue;
      const content = await getBlob(this.ctx.db, sha);
      if (content) changed.push({ path, content });
    }
    if (!changed.length && !deletes.length) return;
    await this.manager.driver.putFiles(session, changed, deletes);
    for (const p of deletes) synced.delete(p);
    for (const f of changed) synced.set(f.path, want.get(f.path)!);
  }

  cancel(runId: string): boolean {
    const entry = this.active.get(runId);
    if (!entry) return false;
    entry.cancelled = true;
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

  isActive(runId: string) {
    return this.active.has(runId);
  }
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
