/**
 * The email worker: sends due outbox rows one at a time. A refused or failed send (SMTP 4xx or 5xx,
 * a connection error) waits with exponential backoff and jitter and goes again, up to `maxTries`;
 * then the message is failed with the reason staff see in the delivery log. Nothing lives only in
 * memory: a restart finds queued rows, and rows cut off mid-send (`sending`) go back in line.
 * The same worker runs the sweeps (reminders, submission confirmations; sweeps.ts).
 */
import { cutOffJobs, setJobLease, type Db, type OutboxTable } from '../db/index.ts';
import {
  DuePump,
  JOB_LEASE,
  type MailQueue,
  type QueuedMail,
  type ServiceContext,
} from '../platform/index.ts';
import { backoffMs } from '../grading-jobs/index.ts';
import { insertMessage } from './outbox.ts';
import { loadTemplates, type Templates } from './templates.ts';
import type { Mailer } from './transport.ts';
import { queueReminders, tailSubmissions } from './sweeps.ts';

export interface EmailOutboxDeps {
  ctx: ServiceContext;
  /** The transport; undefined when SMTP_URL is not set (nothing is queued or sent). */
  mailer: Mailer | undefined;
  templates?: Templates;
  maxTries?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** For the backoff's jitter (tests pin it). */
  random?: () => number;
  /** How often the sweeps run while started, milliseconds. */
  sweepMs?: number;
  /**
   * This process is the only one on its database (SQLite): at start every message being sent was cut
   * off. False (Postgres replicas): only those past their lease, looked for every JOB_LEASE.sweepMs.
   * Default true.
   */
  exclusive?: boolean;
}

const MAX_SLEEP_MS = 60_000;

export class EmailOutbox implements MailQueue {
  private readonly pump: DuePump<OutboxTable>;
  private sweepTimer: NodeJS.Timeout | undefined;
  readonly templates: Templates;

  constructor(private readonly deps: EmailOutboxDeps) {
    this.templates = deps.templates ?? loadTemplates();
    const { ctx } = deps;
    this.pump = new DuePump({
      clock: ctx.clock,
      concurrency: 1, // one message at a time
      maxSleepMs: MAX_SLEEP_MS,
      stopped: true, // until start()
      claim: () => this.claimNext(),
      run: (job) => this.send(job),
      nextDue: async () => {
        const due = await ctx.db
          .selectFrom('outbox')
          .select((eb) => eb.fn.min('next_try_at').as('at'))
          .where('status', '=', 'queued')
          .executeTakeFirst();
        return due?.at == null ? undefined : Number(due.at);
      },
      onError: (err) => ctx.logger.error({ err: describe(err) }, 'email worker failed'),
      lease: {
        renewEveryMs: JOB_LEASE.renewMs,
        renew: (job) => setJobLease(ctx.db, 'outbox', job, ctx.clock.now() + JOB_LEASE.ms),
        sweepEveryMs: JOB_LEASE.sweepMs,
        sweep: () => this.requeueInterrupted(false),
      },
    });
  }

  get enabled(): boolean {
    return this.deps.mailer !== undefined;
  }

  private get ctx() {
    return this.deps.ctx;
  }

  async enqueue(db: Db, message: QueuedMail): Promise<boolean> {
    if (!this.enabled) return false;
    return insertMessage(db, this.ctx, this.templates, message);
  }

  /** Startup: messages cut off mid-send are queued again, the sweeps start, due mail goes out. */
  async start(): Promise<{ requeued: number }> {
    this.pump.resume();
    if (!this.enabled) return { requeued: 0 };
    const exclusive = this.deps.exclusive ?? true;
    const requeued = await this.requeueInterrupted(exclusive);
    if (requeued) this.ctx.logger.info({ requeued }, 'email: messages cut off by a restart are queued again');
    if (!exclusive) this.pump.watchLeases();
    await this.sweep();
    const every = this.deps.sweepMs ?? this.ctx.config.deadlineSweepMs;
    this.sweepTimer = setInterval(() => this.track(this.sweep()), every);
    this.sweepTimer.unref();
    this.kick();
    return { requeued };
  }

  /**
   * Messages left sending by a process that is gone are queued again: at the start of the only process
   * on its database (`everyRunning`) all of them, otherwise those past their lease.
   */
  private async requeueInterrupted(everyRunning: boolean): Promise<number> {
    const r = await this.ctx.db
      .updateTable('outbox')
      .set({ status: 'queued', lease_until: null })
      .where(cutOffJobs('outbox', this.ctx.clock.now(), everyRunning))
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Reminders due now and confirmations of new submissions are queued (each at most once). */
  async sweep(): Promise<void> {
    if (!this.enabled) return;
    await queueReminders(this.ctx);
    await tailSubmissions(this.ctx);
    // Also picks up rows queued by another process (the CLI's `invite`).
    this.kick();
  }

  /** Messages whose worker is gone (another replica died mid-send: the lease ran out) go back in line. */
  takeOver(): Promise<number> {
    return this.pump.sweepLeases();
  }

  /** Sends due messages now (after queueing one, or when a wait is over). */
  kick(): void {
    if (!this.enabled) return;
    this.pump.kick();
  }

  stop(): void {
    this.pump.stop();
    clearInterval(this.sweepTimer);
  }

  /** Waits until nothing is being sent and nothing is due now (tests, shutdown). */
  async settle(): Promise<void> {
    await this.pump.settle();
  }

  /** Stops and closes the transport's connections. */
  close(): void {
    this.stop();
    this.deps.mailer?.close();
  }

  /** Counts `p` as the worker's work in flight (settle waits for it; a failure is logged). */
  track(p: Promise<unknown>) {
    this.pump.track(p);
  }

  /** Takes the oldest due message with a conditional update (another process may race for it). */
  private async claimNext(): Promise<OutboxTable | undefined> {
    const { db } = this.ctx;
    for (let round = 0; round < 5; round++) {
      const now = this.ctx.clock.now();
      const due = await db
        .selectFrom('outbox')
        .select('id')
        .where('status', '=', 'queued')
        .where('next_try_at', '<=', now)
        .orderBy('next_try_at')
        .orderBy('created_at')
        .limit(1)
        .executeTakeFirst();
      if (!due) return undefined;
      const taken = await db
        .updateTable('outbox')
        .set((eb) => ({ status: 'sending', tries: eb('tries', '+', 1), lease_until: now + JOB_LEASE.ms }))
        .where('id', '=', due.id)
        .where('status', '=', 'queued')
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) !== 1) continue;
      return db.selectFrom('outbox').selectAll().where('id', '=', due.id).executeTakeFirstOrThrow();
    }
    return undefined;
  }

  private async send(job: OutboxTable): Promise<void> {
    const { ctx } = this;
    const maxTries = this.deps.maxTries ?? 8;
    const log = { mailId: job.id, kind: job.kind, try: job.tries, maxTries };
    try {
      await this.deps.mailer!.send({
        from: ctx.config.email.from,
        to: job.to_address,
        subject: job.subject,
        text: job.text_body ?? '',
        html: job.html_body ?? undefined,
      });
      await ctx.db
        .updateTable('outbox')
        .set({
          status: 'sent',
          sent_at: ctx.clock.now(),
          text_body: null,
          html_body: null,
          last_error: null,
          lease_until: null,
        })
        // Not conditioned on 'sending': a message put back in line after this worker's lease ran out is
        // sent now, so it must not go out again; one already taken by another try may (at least once).
        .where('id', '=', job.id)
        .where('tries', '=', job.tries)
        .execute();
      ctx.logger.info(log, 'email sent');
    } catch (err) {
      const error = describe(err);
      if (job.tries < maxTries) {
        const wait = backoffMs(
          job.tries,
          { baseMs: this.deps.retryBaseMs ?? 30_000, maxMs: this.deps.retryMaxMs ?? 3600_000 },
          this.deps.random,
        );
        await ctx.db
          .updateTable('outbox')
          .set({
            status: 'queued',
            next_try_at: ctx.clock.now() + wait,
            last_error: error,
            lease_until: null,
          })
          .where('id', '=', job.id)
          .where('status', '=', 'sending')
          .where('tries', '=', job.tries)
          .execute();
        ctx.logger.warn({ ...log, error, retryInMs: wait }, 'email not accepted; trying again later');
        return;
      }
      await ctx.db
        .updateTable('outbox')
        .set({ status: 'failed', last_error: error, text_body: null, html_body: null, lease_until: null })
        .where('id', '=', job.id)
        .where('status', '=', 'sending')
        .where('tries', '=', job.tries)
        .execute();
      ctx.logger.error({ ...log, error }, 'email failed; giving up');
    }
  }
}

/** The error as staff and logs see it (transport errors are already scrubbed of the password). */
function describe(err: unknown): string {
  const e = err as { message?: string; responseCode?: number };
  const code = typeof e?.responseCode === 'number' ? `SMTP ${e.responseCode}: ` : '';
  return `${code}${String(e?.message ?? err)}`.slice(0, 500);
}
