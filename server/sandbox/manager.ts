/**
 * Owns the live sandbox sessions: a warm pool of pre-created containers per environment (so an
 * attempt starts instantly), one session per running attempt with a record of which files it
 * already holds (so a Run sends only what changed), a cap on concurrent jobs (excess runs queue
 * instead of overloading the host), and orphan removal (sessions no live owner claims).
 *
 * The queue is bounded and fair (stops one attempt — or many runs of one attempt — from filling every
 * slot and starving other candidates): waiting jobs are served round robin across owners (attempts),
 * each owner may have only `maxQueuedPerOwner` runs waiting, and past `maxQueued` waiting runs new
 * ones are refused with 429 and a Retry-After. Grading jobs are never refused and wait their turn.
 */
import { AppError } from '../errors/index.ts';
import type { Logger } from '../logger/index.ts';
import type {
  ExecRequest,
  RunningExec,
  SandboxDriver,
  SandboxFile,
  SandboxLimits,
  SandboxSession,
  SandboxStatus,
  SessionSpec,
} from './types.ts';

export interface AttemptSandbox {
  session: SandboxSession;
  /** path → sha256 of what the container holds. */
  synced: Map<string, string>;
}

type Flavor = `${string}/${SessionSpec['network']}`;

export interface SlotOptions {
  /** Whose job this is (the attempt id); waiting jobs are served round robin across owners. */
  owner?: string;
  /** 'grade' jobs are never refused for a full queue (they still wait their turn). Default 'run'. */
  kind?: 'run' | 'grade';
  /** Told the job's place in line (1 = next to start) whenever it changes, and 0 once it starts. */
  onPosition?: (position: number) => void;
}

interface Waiter {
  owner: string;
  kind: 'run' | 'grade';
  grant: () => void;
  onPosition?: (position: number) => void;
  position: number;
}

/** A place in line, claimed synchronously (so a full queue is refused before anything else happens). */
export interface SlotTicket {
  /** Runs fn once a slot is free; the slot is freed when fn settles. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Gives up the place (or the slot, if granted and not yet used). */
  cancel(): void;
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
}

export class SandboxManager {
  private readonly attempts = new Map<string, Promise<AttemptSandbox>>();
  private readonly pool = new Map<Flavor, SandboxSession[]>();
  private readonly filling = new Map<Flavor, Promise<void>>();
  private running = 0;
  /** Every session this manager created whose destroy has not finished (pool, attempts, grading, verify). */
  private readonly owned = new Set<string>();
  /** Counts session creations, so an orphan sweep can tell that one began while it was listing. */
  private creations = 0;
  /** Sessions being created right now (not yet known by id): orphan sweeps wait for zero. */
  private creating = 0;
  /** owner → its waiting jobs (oldest first); `turns` is the order owners are served in. */
  private readonly waiting = new Map<string, Waiter[]>();
  private turns: string[] = [];
  private jobs = 0;
  private closed = false;

  constructor(private readonly opts: ManagerOptions) {}

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

  private async create(spec: SessionSpec): Promise<SandboxSession> {
    this.creating++;
    this.creations++;
    try {
      const session = await this.opts.driver.createSession(spec);
      // Owned from the moment it exists until its destroy has finished: never an orphan meanwhile.
      this.owned.add(session.id);
      if (session.gatewayAddress && this.opts.gatewayNetworks) {
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
      if (session.gatewayAddress)
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

  private refill(env: string, network: SessionSpec['network']): Promise<void> {
    const key: Flavor = `${env}/${network}`;
    const busy = this.filling.get(key);
    if (busy) return busy;
    const job = (async () => {
      const list = this.pool.get(key) ?? [];
      this.pool.set(key, list);
      while (!this.closed && list.length < this.opts.poolSize) {
        try {
          list.push(await this.create(this.spec(env, network, 'pool', 'pool')));
        } catch (err) {
          this.opts.logger.warn({ err, env }, 'could not pre-create a sandbox for the warm pool');
          return;
        }
      }
    })().finally(() => this.filling.delete(key));
    this.filling.set(key, job);
    return job;
  }

  /** The attempt's session, taken from the pool (or created) on first use. */
  forAttempt(attemptId: string, env: string, network: SessionSpec['network']): Promise<AttemptSandbox> {
    let entry = this.attempts.get(attemptId);
    if (!entry) {
      entry = (async () => {
        const pooled = this.pool.get(`${env}/${network}`)?.shift();
        if (pooled) void this.refill(env, network);
        const session = pooled ?? (await this.create(this.spec(env, network, 'attempt', attemptId)));
        return { session, synced: new Map<string, string>() };
      })();
      entry.catch(() => this.attempts.delete(attemptId));
      this.attempts.set(attemptId, entry);
    }
    return entry;
  }

  /** The attempt's session if one exists (without creating it). */
  existing(attemptId: string): Promise<AttemptSandbox> | undefined {
    return this.attempts.get(attemptId);
  }

  /** Destroys the attempt's session (submit, expiry). */
  async release(attemptId: string): Promise<void> {
    const entry = this.attempts.get(attemptId);
    this.attempts.delete(attemptId);
    if (!entry) return;
    const sb = await entry.catch(() => undefined);
    if (sb)
      await this.destroy(sb.session).catch((err) =>
        this.opts.logger.warn({ err, attemptId }, 'sandbox destroy failed'),
      );
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

  /** Runs fn when a job slot is free (round robin across owners). */
  async slot<T>(fn: () => Promise<T>, opts: SlotOptions = {}): Promise<T> {
    return this.claim({ kind: 'grade', ...opts }).run(fn);
  }

  /**
   * Claims a place in line now. Throws AppError('rate_limited', …, { retryAfterSeconds }) when the
   * owner already has maxQueuedPerOwner runs waiting or the queue holds maxQueued runs.
   */
  claim(opts: SlotOptions = {}): SlotTicket {
    // A job without an owner is its own owner: it keeps its place among the turns.
    const owner = opts.owner ?? `job-${++this.jobs}`;
    const kind = opts.kind ?? 'run';
    let state: 'waiting' | 'granted' | 'running' | 'done' = 'waiting';
    let granted!: () => void;
    const ready = new Promise<void>((resolve) => (granted = resolve));
    const grant = () => {
      state = 'granted';
      this.running++;
      opts.onPosition?.(0);
      granted();
    };
    const free = () => {
      this.running--;
      this.next();
    };
    if (this.running < this.opts.maxConcurrent && this.turns.length === 0) grant();
    else {
      if (kind === 'run') this.refuseIfFull(owner);
      const w: Waiter = { owner, kind, grant, onPosition: opts.onPosition, position: 0 };
      const list = this.waiting.get(owner);
      if (list) list.push(w);
      else {
        this.waiting.set(owner, [w]);
        this.turns.push(owner);
      }
      this.reposition();
    }
    const cancelWaiter = () => {
      const list = this.waiting.get(owner);
      const i = list?.findIndex((w) => w.grant === grant) ?? -1;
      if (!list || i < 0) return;
      list.splice(i, 1);
      if (!list.length) {
        this.waiting.delete(owner);
        this.turns = this.turns.filter((o) => o !== owner);
      }
      this.reposition();
    };
    return {
      run: async <T>(fn: () => Promise<T>): Promise<T> => {
        await ready;
        if (state !== 'granted') throw new Error('this place in line was given up');
        state = 'running';
        try {
          return await fn();
        } finally {
          state = 'done';
          free();
        }
      },
      cancel: () => {
        if (state === 'waiting') {
          state = 'done';
          cancelWaiter();
          granted(); // wakes run(), which then refuses
        } else if (state === 'granted') {
          state = 'done';
          free();
        }
      },
    };
  }

  private refuseIfFull(owner: string) {
    const perOwner = this.opts.maxQueuedPerOwner ?? 1;
    const max = this.opts.maxQueued ?? 8 * this.opts.maxConcurrent;
    const mine = (this.waiting.get(owner) ?? []).filter((w) => w.kind === 'run').length;
    let all = 0;
    for (const list of this.waiting.values()) for (const w of list) if (w.kind === 'run') all++;
    // A rough wait: one run's wall clock per round of the queue.
    const retryAfterSeconds = Math.max(
      1,
      Math.ceil(((all / this.opts.maxConcurrent + 1) * this.opts.limits.wallMs) / 1000),
    );
    if (mine >= perOwner)
      throw new AppError(
        'rate_limited',
        `you already have ${mine === 1 ? 'a run' : `${mine} runs`} waiting for a sandbox; wait for it to start`,
        { retryAfterSeconds },
      );
    if (all >= max)
      throw new AppError(
        'rate_limited',
        `all sandboxes are busy and ${all} runs are waiting; try again in ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
  }

  /** Starts the next waiting job: the first owner in turn, who then goes to the back of the line. */
  private next() {
    while (this.running < this.opts.maxConcurrent && this.turns.length) {
      const owner = this.turns.shift()!;
      const list = this.waiting.get(owner)!;
      const w = list.shift()!;
      if (list.length) this.turns.push(owner);
      else this.waiting.delete(owner);
      w.grant();
    }
    this.reposition();
  }

  /** Recomputes every waiting job's place (round robin order) and tells those whose place changed. */
  private reposition() {
    let position = 0;
    for (let round = 0; ; round++) {
      let any = false;
      for (const owner of this.turns) {
        const w = this.waiting.get(owner)?.[round];
        if (!w) continue;
        any = true;
        position++;
        if (w.position !== position) {
          w.position = position;
          w.onPosition?.(position);
        }
      }
      if (!any) break;
    }
  }

  /** Jobs waiting for a slot (all owners). */
  get queued(): number {
    let n = 0;
    for (const list of this.waiting.values()) n += list.length;
    return n;
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
  async removeEverything(): Promise<void> {
    // In parallel: this runs in a shutdown with seconds to spare, and each removal waits on the engine.
    const all = await this.opts.driver.listOrphans(() => false);
    await Promise.all(all.map((o) => this.opts.driver.removeOrphan(o.id)));
    await this.opts.driver.removeDanglingResources?.();
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
