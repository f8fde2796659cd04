/**
 * Owns the live sandbox sessions: a warm pool of pre-created containers per environment (so an
 * attempt starts instantly), one session per running attempt with a record of which files it
 * already holds (so a Run sends only what changed), a cap on concurrent jobs (excess runs queue
 * instead of overloading the host; see queue.ts), and orphan removal (sessions no live owner claims).
 *
 * Capacity is bounded by active work, not by open tabs: an attempt's session unused for `idleMs` is
 * destroyed (its files are in the database) and the next Run takes a fresh one from the pool and
 * sends every file; when the subnet pool runs out, the least recently used idle session goes first.
 * Session creation is gated (`maxCreating` at once; jobs someone waits for before pre-warming), so a
 * burst of attempt starts does not swamp the engine.
 */
import type { Logger } from '../logger/index.ts';
import { JobQueue, type SlotOptions, type SlotTicket } from './queue.ts';
import {
  isResourceShortage,
  type ExecRequest,
  type RunningExec,
  type RunningShell,
  type ShellRequest,
  type SandboxDriver,
  type SandboxFile,
  type SandboxLimits,
  type SandboxSession,
  type SandboxStatus,
  type SessionSpec,
} from './types.ts';

export type { SlotOptions, SlotTicket } from './queue.ts';

export interface AttemptSandbox {
  session: SandboxSession;
  /** path → sha256 of what the container holds. */
  synced: Map<string, string>;
}

type Flavor = `${string}/${SessionSpec['network']}`;

/** An attempt's session and how it is used: jobs holding it now, and when it was last let go. */
interface AttemptEntry {
  sandbox: Promise<AttemptSandbox>;
  network: SessionSpec['network'];
  /** Set once the session exists (a session still being created is never reclaimed). */
  ready: boolean;
  leases: number;
  lastUsed: number;
  /** The session once made (to ask the driver whether it was lost). */
  session?: SandboxSession;
}

export interface ManagerOptions {
  driver: SandboxDriver;
  logger: Logger;
  limits: SandboxLimits;
  /** Pre-created sessions kept per environment and network kind. 0 disables the pool. */
  poolSize: number;
  /** Environments to keep warm. */
  warmEnvs: string[];
  /** Jobs (runs, grading) that may execute at once; the rest wait, served round robin per owner. */
  maxConcurrent: number;
  /** Runs that may wait for a slot in all (grading is not counted); default 8 × maxConcurrent. */
  maxQueued?: number;
  /** Runs one owner (attempt) may have waiting; default 1. */
  maxQueuedPerOwner?: number;
  /** Told when a session's private network comes and goes, so the LLM gateway listens on it. */
  gatewayNetworks?: { up(address: string): Promise<void>; down(address: string): Promise<void> };
  /** An attempt's session unused this long (ms) is destroyed by reclaimIdle; 0 or absent: never. */
  idleMs?: number;
  /** Time for idleness (default Date.now); tests pass a fake clock. */
  clock?: { now(): number };
  /** Sessions created at once (default 4); jobs someone waits for go before pre-warming. */
  maxCreating?: number;
  /** Backoff after a resource shortage (default 500 ms doubling to 10 s). */
  backoff?: { firstMs: number; maxMs: number };
}

export class SandboxManager {
  private readonly attempts = new Map<string, AttemptEntry>();
  private readonly pool = new Map<Flavor, SandboxSession[]>();
  private readonly filling = new Map<Flavor, Promise<void>>();
  /** Every session this manager created whose destroy has not finished (pool, attempts, grading, verify). */
  private readonly owned = new Set<string>();
  /** Counts session creations, so an orphan sweep can tell that one began while it was listing. */
  private creations = 0;
  /** Sessions being created right now (not yet known by id): orphan sweeps wait for zero. */
  private creating = 0;
  private closed = false;
  private readonly queue: JobQueue;
  private readonly clock: { now(): number };
  /** Creations under way, and those waiting for the gate (urgent ones first). */
  private gateBusy = 0;
  private readonly gateLine: Array<{ urgent: boolean; go: () => void }> = [];

  constructor(private readonly opts: ManagerOptions) {
    this.clock = opts.clock ?? { now: () => Date.now() };
    this.queue = new JobQueue({
      maxConcurrent: opts.maxConcurrent,
      maxQueued: opts.maxQueued,
      maxQueuedPerOwner: opts.maxQueuedPerOwner,
      wallMs: opts.limits.wallMs,
      backoff: opts.backoff,
      logger: opts.logger,
    });
  }

  /** The driver's name (docker, local, none): what isolation sessions get. */
  get driverName() {
    return this.opts.driver.name;
  }

  /** Whether sessions can be created now (engine answers, images present), and why not. */
  status(): Promise<SandboxStatus> {
    return this.opts.driver.status();
  }

  /** Copies files into a session's /workspace (replacing same-named files) and deletes the listed paths. */
  putFiles(session: SandboxSession, files: SandboxFile[], deletes?: string[]): Promise<void> {
    return this.opts.driver.putFiles(session, files, deletes);
  }

  /** Regular files under a session's /workspace; symlinks and special files are skipped. */
  getFiles(session: SandboxSession, opts?: { maxBytes?: number; under?: string }): Promise<SandboxFile[]> {
    return this.opts.driver.getFiles(session, opts);
  }

  /** Starts one exec in a session; callers hold a slot (`claim`/`slot`) while it runs. */
  exec(session: SandboxSession, req: ExecRequest): RunningExec {
    return this.opts.driver.exec(session, req);
  }

  /** Whether the driver can open a terminal shell in a session (Docker; never the local fallback). */
  get shells(): boolean {
    return typeof this.opts.driver.shell === 'function';
  }

  /** Opens an interactive shell in a session (see SandboxDriver.shell); callers check `shells` first. */
  shell(session: SandboxSession, req: ShellRequest): Promise<RunningShell> {
    const driver = this.opts.driver;
    if (!driver.shell) throw new Error(`the ${driver.name} sandbox driver has no terminal`);
    return driver.shell(session, req);
  }

  /** Whether a session still runs (false when the engine stopped or removed it under a job). */
  sessionAlive(session: SandboxSession): Promise<boolean> {
    return this.opts.driver.alive?.(session) ?? Promise.resolve(true);
  }

  /** Ends every candidate process in a session; throws when some survive. */
  stopProcesses(session: SandboxSession): Promise<void> {
    return this.opts.driver.stopProcesses(session);
  }

  /**
   * Startup: removes what a previous process left behind (orphaned sessions, dangling networks),
   * lets the driver build missing images in the background, and fills the warm pool once ready.
   */
  async start(opts: { autoBuild: boolean }): Promise<void> {
    await this.removeOrphans().catch((err: unknown) =>
      this.opts.logger.warn({ err }, 'could not remove orphaned sandboxes'),
    );
    const prepared = await this.opts.driver
      .prepare?.({
        autoBuild: opts.autoBuild,
        log: (line) => this.opts.logger.info({ line }, 'sandbox image build'),
      })
      .catch((err: unknown): { building?: Promise<void> } => {
        this.opts.logger.warn({ err }, 'sandbox driver startup failed');
        return {};
      });
    if (prepared?.building) {
      prepared.building
        .then(() => {
          this.opts.logger.info('sandbox images are ready');
          this.warm();
        })
        .catch((err: unknown) =>
          this.opts.logger.error({ err }, 'building sandbox images failed; run: npm run sandboxes:build'),
        );
    } else if ((await this.status()).ready) this.warm();
  }

  get limits() {
    return this.opts.limits;
  }

  /**
   * Creates a session through the creation gate. When the subnet pool is exhausted, idle attempt
   * sessions on gateway networks are reclaimed (least recently used first) and creation tried again;
   * any other shortage is thrown for the queue to retry.
   */
  private async create(spec: SessionSpec, urgent = true): Promise<SandboxSession> {
    for (;;) {
      try {
        return await this.gated(urgent, () => this.createNow(spec));
      } catch (err) {
        if (!isResourceShortage(err) || err.resource !== 'addresses' || spec.network !== 'gateway') throw err;
        if (!(await this.evictIdle('gateway'))) throw err;
      }
    }
  }

  /** Runs fn when fewer than maxCreating creations are under way; urgent callers go first. */
  private async gated<T>(urgent: boolean, fn: () => Promise<T>): Promise<T> {
    if (this.gateBusy >= (this.opts.maxCreating ?? 4)) {
      await new Promise<void>((go) => {
        const waiter = { urgent, go };
        const i = urgent ? this.gateLine.findIndex((w) => !w.urgent) : -1;
        if (i < 0) this.gateLine.push(waiter);
        else this.gateLine.splice(i, 0, waiter);
      });
    } else this.gateBusy++;
    try {
      return await fn();
    } finally {
      const next = this.gateLine.shift();
      if (next) next.go();
      else this.gateBusy--;
    }
  }

  private async createNow(spec: SessionSpec): Promise<SandboxSession> {
    this.creating++;
    this.creations++;
    try {
      const session = await this.opts.driver.createSession(spec);
      // Owned from the moment it exists until its destroy has finished: never an orphan meanwhile.
      this.owned.add(session.id);
      if (session.gatewayAddress && this.opts.gatewayNetworks && !this.opts.driver.gatewayElsewhere) {
        try {
          await this.opts.gatewayNetworks.up(session.gatewayAddress);
        } catch (err) {
          await this.opts.driver.destroy(session).catch(() => {});
          this.owned.delete(session.id);
          throw err;
        }
      }
      return session;
    } finally {
      this.creating--;
    }
  }

  private async destroy(session: SandboxSession): Promise<void> {
    try {
      await this.opts.driver.destroy(session);
    } finally {
      this.owned.delete(session.id);
      if (session.gatewayAddress && !this.opts.driver.gatewayElsewhere)
        await this.opts.gatewayNetworks?.down(session.gatewayAddress).catch(() => {});
    }
  }

  private spec(
    env: string,
    network: SessionSpec['network'],
    purpose: SessionSpec['purpose'],
    ownerId: string,
  ): SessionSpec {
    return { env, network, purpose, ownerId, limits: this.opts.limits };
  }

  /** Fills the warm pool in the background. */
  warm(): void {
    if (this.opts.driver.name !== 'docker' || this.opts.poolSize <= 0) return;
    for (const env of this.opts.warmEnvs)
      for (const net of ['none', 'gateway'] as const) void this.refill(env, net);
  }

  /** A warm session of this flavour, skipping (and forgetting) any the driver knows were lost. */
  private takePooled(env: string, network: SessionSpec['network']): SandboxSession | undefined {
    const list = this.pool.get(`${env}/${network}`);
    for (let s = list?.shift(); s; s = list?.shift()) {
      if (!this.opts.driver.gone?.(s)) return s;
      this.owned.delete(s.id);
    }
    return undefined;
  }

  private refill(env: string, network: SessionSpec['network']): Promise<void> {
    const key: Flavor = `${env}/${network}`;
    const busy = this.filling.get(key);
    if (busy) return busy;
    const job = (async () => {
      const list = this.pool.get(key) ?? [];
      this.pool.set(key, list);
      while (!this.closed && list.length < this.opts.poolSize) {
        try {
          list.push(await this.create(this.spec(env, network, 'pool', 'pool'), false));
        } catch (err) {
          this.opts.logger.warn({ err, env }, 'could not pre-create a sandbox for the warm pool');
          return;
        }
      }
    })().finally(() => this.filling.delete(key));
    this.filling.set(key, job);
    return job;
  }

  /**
   * The attempt's session, taken from the pool (or created) on first use. `background` (pre-warming
   * at attempt start) waits behind creations a job is waiting for.
   */
  forAttempt(
    attemptId: string,
    env: string,
    network: SessionSpec['network'],
    opts: { background?: boolean } = {},
  ): Promise<AttemptSandbox> {
    let entry = this.attempts.get(attemptId);
    if (entry?.session && this.opts.driver.gone?.(entry.session)) {
      // Its worker died or restarted: a new session elsewhere, filled from the stored files by the job.
      this.attempts.delete(attemptId);
      this.owned.delete(entry.session.id);
      entry = undefined;
    }
    if (!entry) {
      const e: AttemptEntry = {
        network,
        ready: false,
        leases: 0,
        lastUsed: this.clock.now(),
        sandbox: (async () => {
          const pooled = this.takePooled(env, network);
          if (pooled) void this.refill(env, network);
          const session =
            pooled ?? (await this.create(this.spec(env, network, 'attempt', attemptId), !opts.background));
          return { session, synced: new Map<string, string>() };
        })(),
      };
      e.sandbox.then(
        (sb) => {
          e.ready = true;
          e.session = sb.session;
        },
        () => {
          if (this.attempts.get(attemptId) === e) this.attempts.delete(attemptId);
        },
      );
      this.attempts.set(attemptId, e);
      entry = e;
    }
    entry.lastUsed = this.clock.now();
    return entry.sandbox;
  }

  /**
   * Runs fn with the attempt's session (created, or recreated after an idle reclaim, on demand); the
   * session is not reclaimed while fn runs, and counts as used when it ends.
   */
  async useAttempt<T>(
    attemptId: string,
    env: string,
    network: SessionSpec['network'],
    fn: (sb: AttemptSandbox) => Promise<T>,
  ): Promise<T> {
    const sandbox = this.forAttempt(attemptId, env, network);
    const entry = this.attempts.get(attemptId)!;
    entry.leases++;
    try {
      return await fn(await sandbox);
    } finally {
      entry.leases--;
      entry.lastUsed = this.clock.now();
    }
  }

  /** The attempt's session if one exists (without creating it). */
  existing(attemptId: string): Promise<AttemptSandbox> | undefined {
    return this.attempts.get(attemptId)?.sandbox;
  }

  /** Destroys the attempt's session (submit, expiry, idle). */
  async release(attemptId: string): Promise<void> {
    const entry = this.attempts.get(attemptId);
    this.attempts.delete(attemptId);
    if (!entry) return;
    const sb = await entry.sandbox.catch(() => undefined);
    if (sb)
      await this.destroy(sb.session).catch((err) =>
        this.opts.logger.warn({ err, attemptId }, 'sandbox destroy failed'),
      );
  }

  /**
   * Destroys attempt sessions no job has used for idleMs (container, network, volume): an open tab
   * costs nothing on the engine. The next Run recreates the session from the stored files.
   */
  async reclaimIdle(): Promise<number> {
    const idleMs = this.opts.idleMs ?? 0;
    if (idleMs <= 0) return 0;
    const now = this.clock.now();
    const idle = [...this.attempts].filter(
      ([, e]) => e.ready && e.leases === 0 && now - e.lastUsed >= idleMs,
    );
    for (const [id] of idle) this.attempts.delete(id); // synchronously: no job can take them now
    // A few at a time: the engine removes networks one by one, and jobs want it too.
    const queue = [...idle];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await this.destroyEntry(...next);
    };
    await Promise.all(Array.from({ length: Math.min(4, queue.length) }, worker));
    if (idle.length) this.opts.logger.info({ reclaimed: idle.length }, 'reclaimed idle sandboxes');
    return idle.length;
  }

  /** Reclaims the least recently used idle attempt session on this kind of network; false if none. */
  private async evictIdle(network: SessionSpec['network']): Promise<boolean> {
    let oldest: [string, AttemptEntry] | undefined;
    for (const [id, e] of this.attempts)
      if (e.ready && e.leases === 0 && e.network === network && (!oldest || e.lastUsed < oldest[1].lastUsed))
        oldest = [id, e];
    if (!oldest) return false;
    this.attempts.delete(oldest[0]);
    this.opts.logger.info(
      { attemptId: oldest[0] },
      'no free sandbox subnet: reclaiming the longest idle sandbox',
    );
    await this.destroyEntry(...oldest);
    return true;
  }

  private async destroyEntry(attemptId: string, e: AttemptEntry) {
    const sb = await e.sandbox.catch(() => undefined);
    if (sb)
      await this.destroy(sb.session).catch((err) =>
        this.opts.logger.warn({ err, attemptId }, 'sandbox destroy failed'),
      );
  }

  /** Attempt sessions held now (live containers of attempts), for metrics and benchmarks. */
  get attemptSessions(): number {
    return this.attempts.size;
  }

  /** A fresh session for one job (grading, verification); destroyed when fn settles. */
  async withFreshSession<T>(
    env: string,
    purpose: SessionSpec['purpose'],
    ownerId: string,
    fn: (s: SandboxSession) => Promise<T>,
    opts: { limits?: Partial<SandboxLimits>; network?: SessionSpec['network'] } = {},
  ): Promise<T> {
    const session = await this.create({
      ...this.spec(env, opts.network ?? 'none', purpose, ownerId),
      limits: { ...this.opts.limits, ...opts.limits },
    });
    try {
      return await fn(session);
    } finally {
      await this.destroy(session).catch((err) => this.opts.logger.warn({ err }, 'sandbox destroy failed'));
    }
  }

  /** Runs fn when a job slot is free (round robin across owners); grading by default. */
  async slot<T>(fn: () => Promise<T>, opts: SlotOptions = {}): Promise<T> {
    return this.queue.claim({ kind: 'grade', ...opts }).run(fn);
  }

  /**
   * Claims a place in line now. Throws AppError('rate_limited', …, { retryAfterSeconds }) when the
   * owner already has maxQueuedPerOwner runs waiting or the queue holds maxQueued runs.
   */
  claim(opts: SlotOptions = {}): SlotTicket {
    return this.queue.claim(opts);
  }

  /** Jobs waiting for a slot (all owners). */
  get queued(): number {
    return this.queue.queued;
  }

  /** Ids of every session this manager holds (pool, attempts, one-off jobs). */
  async sessionIds(): Promise<string[]> {
    return [...this.owned];
  }

  /** Where the API may listen when this process sits on sandbox networks (attach mode); else undefined. */
  apiAddresses(): Promise<string[] | undefined> {
    return this.opts.driver.apiAddresses?.() ?? Promise.resolve(undefined);
  }

  /** Shutdown: removes every session of this instance, held or not, and what they left behind. */
  removeEverything(): Promise<void> {
    return removeAllSessions(this.opts.driver);
  }

  /** Removes sandboxes no live owner claims: leftovers of a crash, or of an attempt that is gone. */
  async removeOrphans(): Promise<number> {
    if (this.creating > 0) return 0; // a session being created is not known by id yet; try next time
    const before = this.creations;
    const orphans = await this.opts.driver.listOrphans((id) => this.owned.has(id));
    // A creation that began while the engine was listing may be among them: leave it to the next sweep.
    if (this.creating > 0 || this.creations !== before) return 0;
    let removed = 0;
    for (const o of orphans) {
      await this.opts.driver.removeOrphan(o.id);
      removed++;
    }
    if (removed) this.opts.logger.info({ removed }, 'removed orphaned sandboxes');
    return removed;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.close();
    // What is held goes first and all at once (a shutdown has seconds, and every removal waits on the
    // engine); a pool fill still creating adds its session when done, which goes after it.
    const destroyHeld = () =>
      Promise.all([
        ...[...this.pool.values()]
          .flatMap((list) => list.splice(0))
          .map((s) => this.destroy(s).catch(() => {})),
        ...[...this.attempts.keys()].map((id) => this.release(id)),
      ]);
    await destroyHeld();
    await Promise.all([...this.filling.values()]);
    await destroyHeld();
  }
}

/** Every session of the driver's instance, held or not, and what they left behind (networks, volumes). */
export async function removeAllSessions(driver: SandboxDriver): Promise<void> {
  // In parallel: this runs in a shutdown with seconds to spare, and each removal waits on the engine.
  const all = await driver.listOrphans(() => false);
  await Promise.all(all.map((o) => driver.removeOrphan(o.id)));
  await driver.removeDanglingResources?.();
}
