/**
 * The webhook worker: after commits (kick) and on a short timer it tails the timelines into
 * deliveries (./tailer.ts), then sends due deliveries, a few at once. A failed try waits with
 * exponential backoff and jitter and goes again, up to WEBHOOK_MAX_TRIES; every try is logged.
 * Nothing lives only in memory: a restart finds pending deliveries in the database, and tries cut
 * off by a crash or shutdown go back in line (`start`).
 */
import { DuePump, JOB_LEASE, type ServiceContext } from '../platform/index.ts';
import { cutOffJobs, setJobLease, type WebhookDeliveriesTable } from '../db/index.ts';
import { retryDelayMs } from './backoff.ts';
import { sendOnce, type TryOutcome, type TryRequest } from './send.ts';
import { signatureHeader } from './signature.ts';
import { Tailer, type FanOut } from './tailer.ts';

export interface WebhookWorkerDeps {
  ctx: ServiceContext;
  /** Deliveries sent at once by this process. */
  concurrency?: number;
  /** How often the timelines are tailed when nothing kicks the worker, milliseconds. */
  pollMs?: number;
  /** For the backoff's jitter (tests pin it). */
  random?: () => number;
  /** One HTTP try (tests may wrap it). */
  send?: (req: TryRequest) => Promise<TryOutcome>;
  /** More producers run in the tailer's transaction for each timeline row (Greenhouse callbacks). */
  fanOut?: FanOut[];
  /**
   * This process is the only one on its database (SQLite): at start every delivering row was cut off.
   * False (Postgres replicas): only rows past their lease, looked for every JOB_LEASE.sweepMs. Default true.
   */
  exclusive?: boolean;
}

const CUT = 'the server stopped during this try';
/** How often finished deliveries past the retention period are looked for. */
const PRUNE_EVERY_MS = 3600_000;

export class WebhookWorker {
  private readonly pump: DuePump<WebhookDeliveriesTable>;
  private readonly aborts = new Set<AbortController>();
  private readonly tailer: Tailer;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: WebhookWorkerDeps) {
    const { ctx } = deps;
    this.tailer = new Tailer(ctx, undefined, deps.fanOut);
    this.pump = new DuePump({
      clock: ctx.clock,
      concurrency: deps.concurrency ?? 4,
      pollMs: deps.pollMs ?? 1000,
      stopped: true, // until start()
      beforeClaim: async () => {
        await this.tailer.catchUp();
      },
      claim: () => claimNext(ctx),
      run: (job) => this.execute(job),
      nextDue: () => nextDue(ctx),
      onError: (err) => ctx.logger.error({ err }, 'webhook worker failed'),
      lease: {
        renewEveryMs: JOB_LEASE.renewMs,
        renew: (job) => renewLease(ctx, job),
        sweepEveryMs: JOB_LEASE.sweepMs,
        sweep: () => requeueInterrupted(ctx, { everyRunning: false }),
      },
    });
  }

  private get ctx() {
    return this.deps.ctx;
  }

  /** Startup: tries cut off by a stop go back in line (or fail, if that was their last); then work. */
  async start(): Promise<{ requeued: number }> {
    const exclusive = this.deps.exclusive ?? true;
    const requeued = await requeueInterrupted(this.ctx, { everyRunning: exclusive });
    if (requeued) this.ctx.logger.info({ requeued }, 'webhook deliveries resumed');
    this.pump.resume();
    if (!exclusive) this.pump.watchLeases();
    // The delivery log is bounded in time: finished deliveries go after the retention period.
    if (this.ctx.config.webhooks.retentionMs > 0 && !this.pruneTimer) {
      this.pump.track(this.prune());
      this.pruneTimer = setInterval(() => this.pump.track(this.prune()), PRUNE_EVERY_MS);
      this.pruneTimer.unref();
    }
    this.kick();
    return { requeued };
  }

  /**
   * Deletes deliveries finished (succeeded or failed for good) longer ago than WEBHOOK_RETENTION_DAYS,
   * their tries, and events no delivery refers to any more. Pending and delivering ones stay.
   */
  async prune(): Promise<number> {
    return pruneDeliveries(this.ctx);
  }

  /** Deliveries whose worker is gone (another replica died mid-try: the lease ran out) go back in line. */
  takeOver(): Promise<number> {
    return this.pump.sweepLeases();
  }

  /** Looks for new timeline events and due deliveries now. Does nothing before `start`. */
  kick(): void {
    this.pump.kick();
  }

  /** Stops taking deliveries and cuts off tries in flight (they are sent again at the next start). */
  stop(): void {
    this.pump.stop();
    clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
    for (const a of this.aborts) a.abort();
  }

  /** Waits until nothing is being tailed or sent (tests, shutdown). */
  async settle(): Promise<void> {
    await this.pump.settle();
  }

  /** One try of one delivery, and the move that follows from how it ended. */
  private async execute(job: WebhookDeliveriesTable): Promise<void> {
    const { ctx } = this;
    const cfg = ctx.config.webhooks;
    const row = await ctx.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
      .innerJoin('webhook_events as v', 'v.id', 'd.event_id')
      .select([
        'e.url',
        'e.method',
        'e.secret',
        'e.previous_secret',
        'e.previous_secret_until',
        'v.type',
        'v.body',
      ])
      .where('d.id', '=', job.id)
      .executeTakeFirst();
    if (!row) return; // the endpoint was deleted meanwhile
    const now = ctx.clock.now();
    const secrets = [row.secret];
    if (row.previous_secret && (row.previous_secret_until ?? 0) > now) secrets.push(row.previous_secret);
    const abort = new AbortController();
    this.aborts.add(abort);
    const send = this.deps.send ?? sendOnce;
    let outcome: TryOutcome;
    try {
      outcome = await send({
        url: row.url,
        method: row.method === 'PATCH' ? 'PATCH' : 'POST',
        body: row.body,
        eventType: row.type,
        deliveryId: job.id,
        signature: signatureHeader(secrets, row.body, now),
        timeoutMs: cfg.timeoutMs,
        allowPrivate: cfg.allowPrivate,
        signal: abort.signal,
      });
    } finally {
      this.aborts.delete(abort);
    }
    if (this.pump.isStopped && abort.signal.aborted) {
      // Shutdown cut it off: not the receiver's fault nor a real try; it goes again at the next start.
      await ctx.db
        .updateTable('webhook_deliveries')
        .set((eb) => ({
          status: 'pending',
          tries: eb('tries', '-', 1),
          next_attempt_at: now,
          lease_until: null,
        }))
        .where('id', '=', job.id)
        .where('status', '=', 'delivering')
        .where('tries', '=', job.tries)
        .execute();
      return;
    }
    const wait = retryDelayMs(
      job.tries,
      { baseMs: cfg.retryBaseMs, maxMs: cfg.retryMaxMs },
      this.deps.random,
    );
    await recordTry(ctx, job, now, outcome, wait);
    const log = { deliveryId: job.id, try: job.tries, status: outcome.status, error: outcome.error };
    if (outcome.ok) ctx.logger.debug(log, 'webhook delivered');
    else
      ctx.logger.warn(
        { ...log, retryInMs: job.tries < cfg.maxTries ? wait : undefined },
        'webhook try failed',
      );
  }
}

/** Takes the next due delivery of an enabled endpoint: it becomes delivering and its try is counted. */
export async function claimNext(ctx: ServiceContext): Promise<WebhookDeliveriesTable | undefined> {
  for (let round = 0; round < 5; round++) {
    const now = ctx.clock.now();
    const due = await ctx.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
      .select('d.id')
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      .where('e.enabled', '=', 1)
      .orderBy('d.next_attempt_at')
      .orderBy('d.created_at')
      .limit(1)
      .executeTakeFirst();
    if (!due) return undefined;
    const taken = await ctx.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({ status: 'delivering', tries: eb('tries', '+', 1), lease_until: now + JOB_LEASE.ms }))
      .where('id', '=', due.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) continue;
    return ctx.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('id', '=', due.id)
      .executeTakeFirstOrThrow();
  }
  return undefined;
}

/** When the next pending delivery of an enabled endpoint is due, if any. */
export async function nextDue(ctx: ServiceContext): Promise<number | undefined> {
  const r = await ctx.db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .select((eb) => eb.fn.min('d.next_attempt_at').as('at'))
    .where('d.status', '=', 'pending')
    .where('e.enabled', '=', 1)
    .executeTakeFirst();
  return r?.at == null ? undefined : Number(r.at);
}

/** Logs a try and moves the delivery: succeeded, pending again after `waitMs`, or failed for good. */
export async function recordTry(
  ctx: ServiceContext,
  job: WebhookDeliveriesTable,
  startedAt: number,
  outcome: Omit<TryOutcome, 'ok'> & { ok: boolean },
  waitMs: number,
): Promise<void> {
  const { maxTries, disableAfter } = ctx.config.webhooks;
  const now = ctx.clock.now();
  const status = outcome.ok ? 'succeeded' : job.tries < maxTries ? 'pending' : 'failed';
  await ctx.db.transaction().execute(async (trx) => {
    // The move names the try that took the delivery: a delivery deleted with its endpoint, or taken
    // over after this worker's lease ran out (and maybe delivered since), records nothing.
    const moved = await trx
      .updateTable('webhook_deliveries')
      .set({
        last_status: outcome.status,
        last_error: outcome.error,
        status,
        lease_until: null,
        ...(status === 'pending' ? { next_attempt_at: now + waitMs } : { finished_at: now }),
      })
      .where('id', '=', job.id)
      .where('status', '=', 'delivering')
      .where('tries', '=', job.tries)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) return;
    const earlier = await trx
      .selectFrom('webhook_tries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('delivery_id', '=', job.id)
      .executeTakeFirst();
    await trx
      .insertInto('webhook_tries')
      .values({
        delivery_id: job.id,
        try: Number(earlier?.n ?? 0) + 1,
        started_at: startedAt,
        duration_ms: outcome.durationMs,
        status_code: outcome.status,
        response_excerpt: outcome.excerpt,
        error: outcome.error,
      })
      .execute();
    if (status === 'succeeded') {
      await trx
        .updateTable('webhook_endpoints')
        .set({ consecutive_failures: 0 })
        .where('id', '=', job.endpoint_id)
        .execute();
      return;
    }
    if (status === 'pending') return;
    await trx
      .updateTable('webhook_endpoints')
      .set((eb) => ({ consecutive_failures: eb('consecutive_failures', '+', 1) }))
      .where('id', '=', job.endpoint_id)
      .execute();
    if (disableAfter > 0)
      await trx
        .updateTable('webhook_endpoints')
        .set({
          enabled: 0,
          updated_at: now,
          disabled_reason: `disabled after ${disableAfter} deliveries in a row failed`,
        })
        .where('id', '=', job.endpoint_id)
        .where('consecutive_failures', '>=', disableAfter)
        .where('enabled', '=', 1)
        .execute();
  });
}

/** The worker still sends this try: it keeps the delivery a lease longer. */
export function renewLease(ctx: ServiceContext, job: WebhookDeliveriesTable): Promise<boolean> {
  return setJobLease(ctx.db, 'webhook_deliveries', job, ctx.clock.now() + JOB_LEASE.ms);
}

/**
 * Deliveries left delivering by a process that is gone: the cut try is logged, and they go back in
 * line or fail when that was their last try. `everyRunning`: at the start of the only process on its
 * database (SQLite) every delivering row is such a one; otherwise only those past their lease.
 */
export async function requeueInterrupted(
  ctx: ServiceContext,
  opts: { everyRunning: boolean } = { everyRunning: true },
): Promise<number> {
  const now = ctx.clock.now();
  const cut = await ctx.db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where(cutOffJobs('webhook_deliveries', now, opts.everyRunning))
    .execute();
  for (const job of cut)
    await recordTry(ctx, job, now, { ok: false, status: null, durationMs: 0, excerpt: '', error: CUT }, 0);
  return cut.length;
}

/** See WebhookWorker.prune. Returns how many deliveries were deleted. */
export async function pruneDeliveries(ctx: ServiceContext): Promise<number> {
  const { retentionMs } = ctx.config.webhooks;
  if (retentionMs <= 0) return 0;
  const cutoff = ctx.clock.now() - retentionMs;
  return ctx.db.transaction().execute(async (trx) => {
    // Their tries go with them (webhook_tries.delivery_id: on delete cascade).
    const gone = await trx
      .deleteFrom('webhook_deliveries')
      .where('status', 'in', ['succeeded', 'failed'])
      .where('finished_at', '<', cutoff)
      .executeTakeFirst();
    await trx
      .deleteFrom('webhook_events')
      .where('created_at', '<', cutoff)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('webhook_deliveries as d')
              .select('d.id')
              .whereRef('d.event_id', '=', 'webhook_events.id'),
          ),
        ),
      )
      .execute();
    return Number(gone.numDeletedRows);
  });
}
