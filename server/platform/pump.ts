/**
 * The loop under every durable background worker (gradings, webhook deliveries, email): claim due
 * rows, run them (at most `concurrency` at once), then sleep until the next one is due — or until
 * someone kicks it because a row was added or a job finished. The rows live in the database, so a
 * restart loses nothing; this only decides when to look.
 */
export interface DuePumpOptions<Job> {
  /** The application's clock (rows are due by it). */
  clock: { now(): number };
  /** Jobs run at once. While every slot is busy no timer is set: a finishing job kicks the pump. */
  concurrency: number;
  /**
   * Runs at the start of each round, before claiming (the webhooks tail their timelines here).
   * `{ lookAgainInMs }` means nothing can be claimed now: the pump ends this look and looks again
   * after that long (the grading queue while sandboxes are down).
   */
  beforeClaim?: () => Promise<{ lookAgainInMs: number } | undefined | void>;
  /** Takes the next due job (a conditional update: another process may race for it), or none. */
  claim: () => Promise<Job | undefined>;
  /** Runs one claimed job; when it settles a slot frees and the pump looks again. */
  run: (job: Job) => Promise<void>;
  /** When the earliest job that is waiting will be due (epoch ms), if any. */
  nextDue: () => Promise<number | undefined>;
  /** Looks again at least this often even when nothing is due (work that arrives without a kick). */
  pollMs?: number;
  /** Longest one timer sleeps (a clock that jumps is noticed within it). Default: no cap. */
  maxSleepMs?: number;
  /** Starts stopped: kicks do nothing until `resume()`. Default false. */
  stopped?: boolean;
  /** A look or a job threw (the row stays where it was; the next look finds it). */
  onError: (err: unknown) => void;
  /**
   * Claimed rows carry a lease (so that processes sharing the database can tell a job whose process
   * died from one still running): `renew` extends a running job's lease every `renewEveryMs` until it
   * settles or the pump stops (a stopped or dead worker renews nothing); `sweep`, every `sweepEveryMs`
   * once `watchLeases()` is called, puts back jobs whose lease ran out and returns how many.
   */
  lease?: {
    renewEveryMs: number;
    renew: (job: Job) => Promise<unknown>;
    sweepEveryMs: number;
    sweep: () => Promise<number>;
  };
}

/**
 * How long a claimed job stays its worker's without a renewal, how often a running job's worker renews
 * it, and how often processes sharing a database look for jobs past their lease.
 */
export const JOB_LEASE = { ms: 30_000, renewMs: 10_000, sweepMs: 15_000 } as const;

/** One worker's claim / run / sleep-until-due loop, with kick, stop and settle. */
export class DuePump<Job> {
  private running = 0;
  private pumping = false;
  private again = false;
  private stopped: boolean;
  private timer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly opts: DuePumpOptions<Job>) {
    this.stopped = opts.stopped ?? false;
  }

  /** Jobs running now. */
  get active(): number {
    return this.running;
  }

  /** True after `stop()` (or when built stopped) until `resume()`. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Looks for due jobs now (after adding one, or when a wait is over). */
  kick(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.track(this.pump());
  }

  /** Kicks work again after `stop()` or a stopped start. */
  resume(): void {
    this.stopped = false;
  }

  /** Takes no more jobs and cancels the timers; jobs running finish on their own (their leases lapse). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.leaseTimer);
    this.leaseTimer = undefined;
  }

  /**
   * Starts the lease sweep (other processes share the database): every `sweepEveryMs`, jobs another
   * process stopped renewing go back in line and this pump looks for them.
   */
  watchLeases(): void {
    const { lease } = this.opts;
    if (!lease || this.leaseTimer) return;
    this.leaseTimer = setInterval(() => this.track(this.sweepLeases()), lease.sweepEveryMs);
    this.leaseTimer.unref();
  }

  /** One lease sweep now; kicks the pump when it put jobs back. */
  async sweepLeases(): Promise<number> {
    if (this.stopped || !this.opts.lease) return 0;
    const n = await this.opts.lease.sweep();
    if (n) this.kick();
    return n;
  }

  /** Waits until no look and no job is in flight (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  /** Counts `p` as work in flight for `settle`, reporting a failure to onError. */
  track(p: Promise<unknown>): void {
    const q = p.catch((err: unknown) => this.opts.onError(err)).finally(() => this.inflight.delete(q));
    this.inflight.add(q);
  }

  private async pump(): Promise<void> {
    const { concurrency, pollMs } = this.opts;
    this.pumping = true;
    try {
      // Kicked during the look for the next due time (a row was added or came back): look again.
      for (;;) {
        do {
          this.again = false;
          if (this.stopped) return;
          const pause = await this.opts.beforeClaim?.();
          if (pause) {
            this.sleep(pause.lookAgainInMs);
            return;
          }
          while (this.running < concurrency && !this.stopped) {
            const job = await this.opts.claim();
            if (job === undefined) break;
            this.running++;
            this.track(
              this.runLeased(job).finally(() => {
                this.running--;
                this.kick();
              }),
            );
          }
        } while (this.again);
        // Every slot busy: a finishing job kicks the pump, so a due job must not spin the timer.
        const due = this.running >= concurrency ? undefined : await this.opts.nextDue();
        if (this.again) continue;
        const untilDue = due === undefined ? undefined : due - this.opts.clock.now();
        const wait =
          untilDue === undefined ? pollMs : pollMs === undefined ? untilDue : Math.min(pollMs, untilDue);
        if (wait !== undefined) this.sleep(wait);
        return;
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Runs a claimed job, renewing its lease meanwhile (when the rows carry one). */
  private async runLeased(job: Job): Promise<void> {
    const { lease } = this.opts;
    if (!lease) return this.opts.run(job);
    const renewal = setInterval(() => {
      if (this.stopped) return clearInterval(renewal);
      lease.renew(job).catch((err: unknown) => this.opts.onError(err));
    }, lease.renewEveryMs);
    renewal.unref();
    try {
      await this.opts.run(job);
    } finally {
      clearInterval(renewal);
    }
  }

  private sleep(ms: number) {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const capped = Math.min(this.opts.maxSleepMs ?? Number.POSITIVE_INFINITY, Math.max(0, ms));
    this.timer = setTimeout(() => this.kick(), capped);
    this.timer.unref();
  }
}
