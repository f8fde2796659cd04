/**
 * Owns the live sandbox sessions: a warm pool of pre-created containers per environment (so an
 * attempt starts instantly), one session per running attempt with a record of which files it
 * already holds (so a Run sends only what changed), a cap on concurrent jobs (excess runs queue
 * instead of overloading the host), and orphan removal (sessions no live owner claims).
 */
import type { Logger } from '../logger/index.ts';
import type { SandboxDriver, SandboxLimits, SandboxSession, SessionSpec } from './types.ts';

export interface AttemptSandbox {
  session: SandboxSession;
  /** path → sha256 of what the container holds. */
  synced: Map<string, string>;
  /** Set while a run is active (one at a time per attempt). */
  activeRun?: string;
}

type Flavor = `${string}/${SessionSpec['network']}`;

export interface ManagerOptions {
  driver: SandboxDriver;
  logger: Logger;
  limits: SandboxLimits;
  /** Pre-created sessions kept per environment and network kind. 0 disables the pool. */
  poolSize: number;
  /** Environments to keep warm. */
  warmEnvs: string[];
  /** Jobs (runs, grading) that may execute at once; the rest wait in order. */
  maxConcurrent: number;
  /** Told when a session's private network comes and goes, so the LLM gateway listens on it. */
  gatewayNetworks?: { up(address: string): Promise<void>; down(address: string): Promise<void> };
}

export class SandboxManager {
  private readonly attempts = new Map<string, Promise<AttemptSandbox>>();
  private readonly pool = new Map<Flavor, SandboxSession[]>();
  private readonly filling = new Map<Flavor, Promise<void>>();
  private readonly other = new Set<string>(); // grading/verify sessions in flight
  private running = 0;
  /** Sessions being created right now (not yet known by id): orphan sweeps wait for zero. */
  private creating = 0;
  private readonly queue: Array<() => void> = [];
  private closed = false;

  constructor(private readonly opts: ManagerOptions) {}

  /** Connects the LLM gateway, which listens on each private network's gateway address. */
  useGatewayNetworks(hooks: NonNullable<ManagerOptions['gatewayNetworks']>) {
    this.opts.gatewayNetworks = hooks;
  }

  get driver() {
    return this.opts.driver;
  }

  get limits() {
    return this.opts.limits;
  }

  private async create(spec: SessionSpec): Promise<SandboxSession> {
    this.creating++;
    try {
      const session = await this.opts.driver.createSession(spec);
      if (session.gatewayAddress && this.opts.gatewayNetworks) {
        try {
          await this.opts.gatewayNetworks.up(session.gatewayAddress);
        } catch (err) {
          await this.opts.driver.destroy(session).catch(() => {});
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
    this.other.add(session.id);
    try {
      return await fn(session);
    } finally {
      this.other.delete(session.id);
      await this.destroy(session).catch((err) => this.opts.logger.warn({ err }, 'sandbox destroy failed'));
    }
  }

  /** Runs fn when a job slot is free (FIFO). */
  async slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.opts.maxConcurrent)
      await new Promise<void>((resolve) => this.queue.push(resolve));
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }

  /** Ids of every session this manager holds (pool, attempts, one-off jobs). */
  async sessionIds(): Promise<string[]> {
    const ids = [...this.other];
    for (const list of this.pool.values()) for (const s of list) ids.push(s.id);
    for (const p of this.attempts.values()) {
      const sb = await p.catch(() => undefined);
      if (sb) ids.push(sb.session.id);
    }
    return ids;
  }

  /** Removes sandboxes no live owner claims: leftovers of a crash, or of an attempt that is gone. */
  async removeOrphans(): Promise<number> {
    if (this.creating > 0) return 0; // a session being created is not known by id yet; try next time
    const live = new Set(await this.sessionIds());
    const orphans = await this.opts.driver.listOrphans((id) => live.has(id));
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
    await Promise.all([...this.filling.values()]);
    for (const list of this.pool.values())
      for (const s of list.splice(0)) await this.destroy(s).catch(() => {});
    for (const id of [...this.attempts.keys()]) await this.release(id);
  }
}
