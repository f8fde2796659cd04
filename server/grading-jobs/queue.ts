/**
 * The grading worker: takes due gradings from the database and runs them, at most `concurrency` at
 * once (each still waits for a sandbox slot like any job). A try that hits an engine error waits with
 * exponential backoff and jitter and goes again; after the last try, or on an error another try would
 * repeat, the grading is failed with the reason for staff. Nothing is kept only in memory: a restart
 * finds queued and waiting gradings in the database, and running ones go back in line (`start`).
 * Several replicas on one Postgres share the queue: each try holds a lease its worker renews, and a
 * grading whose worker died (its lease ran out) is taken up by a live replica's takeover sweep.
 */
import { DuePump, JOB_LEASE, type ServiceContext } from '../platform/index.ts';
import type { GradesTable } from '../db/index.ts';
import type { SandboxManager } from '../sandbox/index.ts';
import { gradeOnce, type LlmAccess } from '../runs/index.ts';
import { backoffMs } from './backoff.ts';
import { describeError, isTransient } from './classify.ts';
import {
  claimNext,
  enqueueFirst,
  finishDone,
  finishFailed,
  nextDue,
  noteWaiting,
  renewLease,
  endLease,
  requeueInterrupted,
  retryLater,
  ungradedAttempts,
} from './jobs.ts';

export interface GradingQueueDeps {
  ctx: ServiceContext;
  manager: SandboxManager;
  llm?: LlmAccess;
  /** Gradings run at once by this process (each also takes a sandbox slot). */
  concurrency: number;
  /** For the backoff's jitter (tests pin it). */
  random?: () => number;
  /** How often to look again while sandboxes cannot run, milliseconds. */
  notReadyPollMs?: number;
  /**
   * This process is the only one on its database (SQLite): at start every running grading was cut
   * off. False (Postgres, where replicas may share the database): only gradings past their lease are,
   * looked for every JOB_LEASE.sweepMs. Default true.
   */
  exclusive?: boolean;
}

/** Longest a timer sleeps before looking again (a clock that jumps is noticed within it). */
const MAX_SLEEP_MS = 60_000;

export class GradingQueue {
  private readonly pump: DuePump<GradesTable>;

  constructor(private readonly deps: GradingQueueDeps) {
    const { ctx } = deps;
    this.pump = new DuePump({
      clock: ctx.clock,
      concurrency: deps.concurrency,
      maxSleepMs: MAX_SLEEP_MS,
      beforeClaim: async () => {
        if (this.pump.active >= deps.concurrency) return;
        const sandbox = await deps.manager.status();
        if (sandbox.ready) return;
        // Nothing can run: no try is spent; staff see why it waits.
        await noteWaiting(ctx, `not graded yet: ${sandbox.detail ?? 'the sandbox is not ready'}`);
        return { lookAgainInMs: deps.notReadyPollMs ?? 15_000 };
      },
      claim: () => claimNext(ctx),
      run: (job) => this.execute(job),
      nextDue: () => nextDue(ctx),
      onError: (err) => ctx.logger.error({ err }, 'grading queue failed'),
      lease: {
        renewEveryMs: JOB_LEASE.renewMs,
        renew: (job) => renewLease(ctx, job),
        sweepEveryMs: JOB_LEASE.sweepMs,
        sweep: async () => {
          const n = await requeueInterrupted(ctx, ctx.config.grading.maxTries, { everyRunning: false });
          if (n)
            ctx.logger.warn({ requeued: n }, 'gradings taken over from a process that stopped renewing them');
          return n;
        },
      },
    });
  }

  private get ctx() {
    return this.deps.ctx;
  }

  /**
   * Startup: gradings cut off by a stop go back in line (or fail, if that was their last try), and
   * submitted code attempts that never got a grading get one. Then the worker looks for due work.
   */
  async start(): Promise<{ requeued: number; added: number }> {
    const exclusive = this.deps.exclusive ?? true;
    const requeued = await requeueInterrupted(this.ctx, this.ctx.config.grading.maxTries, {
      everyRunning: exclusive,
    });
    let added = 0;
    for (const a of await ungradedAttempts(this.ctx))
      if (await enqueueFirst(this.ctx, a.id, a.reason)) added++;
    if (requeued || added)
      this.ctx.logger.info({ requeued, added }, 'grading resumed for submissions left ungraded');
    if (!exclusive) this.pump.watchLeases();
    this.kick();
    return { requeued, added };
  }

  /** Gradings whose worker is gone (another replica died mid-try: the lease ran out) go back in line. */
  takeOver(): Promise<number> {
    return this.pump.sweepLeases();
  }

  /**
   * An attempt was submitted (by the candidate or the deadline): queues its grading. Resolves once the
   * worker has nothing due (the grading ended, or waits for a retry), so callers tracking background
   * work (RunService.settle in tests) see it through.
   */
  async submitted(attemptId: string): Promise<void> {
    const a = await this.ctx.db
      .selectFrom('attempts')
      .select('submit_reason')
      .where('id', '=', attemptId)
      .executeTakeFirst();
    const reason = a?.submit_reason === 'deadline' ? 'deadline' : 'submit';
    if (await enqueueFirst(this.ctx, attemptId, reason)) this.kick();
    await this.settle();
  }

  /** Looks for due gradings now (after queueing one, or when a wait is over). */
  kick(): void {
    this.pump.kick();
  }

  /** Stops taking gradings (shutdown); those running finish or are cut off and resumed at the next start. */
  stop(): void {
    this.pump.stop();
  }

  /** Waits until no grading runs and none is due now (tests, shutdown). */
  async settle(): Promise<void> {
    await this.pump.settle();
  }

  /** Gradings running in this process now. */
  get active(): number {
    return this.pump.active;
  }

  /** One try of one grading, and the move that follows from how it ended. */
  private async execute(job: GradesTable): Promise<void> {
    const { ctx } = this;
    const { maxTries, retryBaseMs, retryMaxMs } = ctx.config.grading;
    const log = { gradeId: job.id, attemptId: job.attempt_id, try: job.tries, maxTries };
    try {
      const outcome = await gradeOnce(ctx, this.deps.manager, job.attempt_id, this.deps.llm);
      if (!outcome) {
        await finishFailed(
          ctx,
          job,
          'grading failed: this task has no hidden tests to run',
          'not a code task',
        );
        return;
      }
      await finishDone(ctx, job, outcome);
      ctx.logger.info({ ...log, verdict: outcome.verdict }, 'graded');
    } catch (err) {
      const error = describeError(err);
      if (this.pump.isStopped) {
        // Shutdown took the sandbox away: not the submission's fault nor a real try; the next start
        // finds the grading running and queues it again.
        ctx.logger.warn({ ...log, err }, 'grading cut off by shutdown');
        // Its lease ends now: the next start, or another replica, takes it up without waiting it out.
        await endLease(ctx, job).catch(() => {});
        return;
      }
      if (isTransient(err) && job.tries < maxTries) {
        const wait = backoffMs(job.tries, { baseMs: retryBaseMs, maxMs: retryMaxMs }, this.deps.random);
        await retryLater(
          ctx,
          job,
          `try ${job.tries} of ${maxTries} failed: ${error}`,
          ctx.clock.now() + wait,
        );
        ctx.logger.warn({ ...log, err, retryInMs: wait }, 'grading hit an engine error; trying again later');
        return;
      }
      const reason = isTransient(err)
        ? `grading failed after ${job.tries} tries; the last engine error: ${error}`
        : `grading failed: ${error}`;
      await finishFailed(ctx, job, reason, error);
      ctx.logger.error({ ...log, err }, 'grading failed');
    }
  }
}
